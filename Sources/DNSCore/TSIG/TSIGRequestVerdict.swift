/// What a server learns from a request's TSIG (RFC 8945 §5.2), and so how it must answer.
public enum TSIGRequestVerdict: Sendable, Hashable {
    /// No TSIG record; whether unsigned requests are allowed is the caller's policy.
    case unsigned
    /// Signed by a known key and valid: sign the response with the plan.
    case verified(TSIGResponsePlan)
    /// Invalid. Answer with `error.rcode`, and when `response` is given put its TSIG on the answer
    /// (BADKEY/BADSIG unsigned, BADTIME/BADTRUNC signed); without one (FORMERR) send no TSIG.
    case rejected(TSIGError, response: TSIGResponsePlan?)

    /// The key that verified the request, when it did.
    public var key: TSIGKey? {
        if case .verified(let plan) = self { return plan.key }
        return nil
    }
}
