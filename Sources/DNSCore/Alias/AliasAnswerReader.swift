/// Reads a resolver's response to (target, A|AAAA) into an `AliasLookup`: follows the CNAME chain
/// inside the answer section (bounded, loops detected) to the addresses, with the smallest TTL met on
/// the way. The response is hostile input: records for other names are ignored.
public enum AliasAnswerReader {
    /// CNAMEs followed at most (RFC 1034 leaves it open; resolvers commonly stop near 8–16).
    public static let maximumChain = 16

    /// TTL for NODATA when the response holds no SOA to take a negative TTL from.
    public static let defaultNegativeTTL: UInt32 = 60

    /// With `requireAuthenticated`, an answer the resolver did not validate (see `AliasAuthenticity`)
    /// is a failure, `.unauthenticated`, whatever it holds: NODATA and NXDOMAIN included, as a forged
    /// "no addresses" would take the family out of the zone.
    public static func read(_ response: Message, target: DomainName, family: AliasAddressFamily,
                            requireAuthenticated: Bool = false) -> AliasLookup {
        if let question = response.question, question.name != target || question.type != family.recordType {
            return .failed(.badAnswer("the answer is for \(question), not \(target.text) \(family)"))
        }
        if requireAuthenticated, let refusal = AliasAuthenticity.refusal(of: response) {
            return .failed(.unauthenticated(refusal))
        }
        switch response.rcode {
        case .NOERROR, .NXDOMAIN: break
        default: return .failed(.serverFailure(response.rcode))
        }
        var current = target
        var chain = [target]
        var ttl = UInt32.max
        while true {
            let addresses = response.answers.filter { $0.name == current && $0.type == family.recordType }
            if !addresses.isEmpty {
                let rdatas = addresses.map(\.rdata)
                let addressTTL = addresses.map(\.ttl).min()!
                return .resolved(AliasAddresses(rdatas: rdatas, ttl: min(ttl, addressTTL)))
            }
            guard let cname = response.answers.first(where: { $0.name == current && $0.type == .CNAME }),
                  case .cname(let next) = cname.rdata
            else { break }
            ttl = min(ttl, cname.ttl)
            if chain.contains(next.target) {
                return .failed(.cnameLoop(chain + [next.target]))
            }
            guard chain.count <= maximumChain else { return .failed(.cnameChainTooLong(maximumChain)) }
            chain.append(next.target)
            current = next.target
        }
        if response.rcode == .NXDOMAIN { return .failed(.nxdomain) }
        return .resolved(.nodata(ttl: min(ttl, negativeTTL(response))))
    }

    /// RFC 2308 §5: the smaller of the SOA's TTL and its MINIMUM field.
    static func negativeTTL(_ response: Message) -> UInt32 {
        for record in response.authority where record.type == .SOA {
            if case .soa(let soa) = record.rdata { return min(record.ttl, soa.minimum) }
        }
        return defaultNegativeTTL
    }
}
