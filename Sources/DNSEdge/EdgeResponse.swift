import DNSCore

/// Small responses the edge builds itself: errors, NOTIFY acknowledgements, signed as the request's
/// TSIG verdict requires (RFC 8945 §5.3: a response to a signed request is signed).
enum EdgeResponse {
    /// The response skeleton with `rcode`, signed with `plan` when there is one.
    static func make(
        _ rcode: RCode, to request: Message, authoritative: Bool = false, plan: TSIGResponsePlan?, now: UInt64,
        maxSize: Int = 65535
    ) -> [UInt8] {
        var response = request.makeResponse(rcode: rcode)
        response.flags.aa = authoritative
        return sign(response, plan: plan, now: now, maxSize: maxSize)
    }

    static func sign(_ response: Message, plan: TSIGResponsePlan?, now: UInt64, maxSize: Int = 65535) -> [UInt8] {
        guard let plan else { return response.encode(maxSize: maxSize) }
        return plan.sign(response, now: now, maxSize: maxSize).bytes
    }

    /// The plan for answering a request, whatever its verdict (nil: answer unsigned).
    static func plan(_ verdict: TSIGRequestVerdict) -> TSIGResponsePlan? {
        switch verdict {
        case .unsigned: nil
        case let .verified(plan): plan
        case let .rejected(_, plan): plan
        }
    }
}
