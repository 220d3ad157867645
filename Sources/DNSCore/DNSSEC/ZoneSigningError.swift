/// Why a zone could not be signed. Each case names the zone (and the names involved) so the operator
/// knows what to fix.
public enum ZoneSigningError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The zone has no SOA at its apex: the NSEC/NSEC3 TTL and the DNSKEY TTL come from it.
    case noSOA(zone: DomainName)
    /// No signing keys were given.
    case noKeys(zone: DomainName)
    /// The key set was made for another zone.
    case keysForOtherZone(zone: DomainName, keys: DomainName)
    /// The policy cannot produce usable signatures (see `SigningPolicy.problem`).
    case invalidPolicy(String)
    /// Two names of the zone have the same NSEC3 hash: the chain cannot hold both (RFC 5155 §7.1).
    /// Changing the salt resolves it.
    case nsec3HashCollision(zone: DomainName, DomainName, DomainName)
    /// The crypto library failed to sign.
    case signing(zone: DomainName, owner: DomainName, type: RecordType, DNSSECError)

    public var description: String {
        switch self {
        case let .noSOA(zone): "cannot sign \(zone): no SOA record at the apex"
        case let .noKeys(zone): "cannot sign \(zone): no signing keys"
        case let .keysForOtherZone(zone, keys): "cannot sign \(zone) with keys of \(keys)"
        case let .invalidPolicy(reason): "unusable signing policy: \(reason)"
        case let .nsec3HashCollision(zone, first, second):
            "cannot sign \(zone): \(first) and \(second) have the same NSEC3 hash; use another salt"
        case let .signing(zone, owner, type, error): "cannot sign \(owner) \(type) in \(zone): \(error)"
        }
    }
}
