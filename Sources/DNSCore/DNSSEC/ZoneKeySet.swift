/// The signing keys of one zone, checked to be usable together.
///
/// Refuses two keys with the same key tag (counting DNSKEYs published by someone else, such as a
/// pre-published successor or another signer's key): RRSIG and DS records name keys by tag, validators
/// then have to try every colliding key, and key files (`K<zone>+<alg>+<tag>`) would overwrite each
/// other. Also refuses keys without the Zone Key flag, which validators ignore.
public struct ZoneKeySet: Sendable {
    public let zone: DomainName
    /// In the order given.
    public let keys: [SigningKey]

    public init(zone: DomainName, keys: [SigningKey], otherPublishedKeys: [DNSKEY] = []) throws(DNSSECError) {
        var seen: [UInt16: [String]] = [:]
        for key in keys {
            guard key.isZoneKey else { throw .notAZoneKey(keyTag: key.keyTag, flags: key.flags) }
            seen[key.keyTag, default: []].append(key.summary)
        }
        for other in otherPublishedKeys where !keys.contains(where: { $0.dnskey == other }) {
            seen[other.keyTag, default: []].append(
                "published \(DNSSECAlgorithm(other.algorithm)) key \(other.keyTag) flags \(other.flags)")
        }
        // Report the lowest colliding tag first so the message does not depend on dictionary order.
        if let (tag, names) = seen.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
            throw .duplicateKeyTag(zone: zone, keyTag: tag, keys: names)
        }
        self.zone = zone
        self.keys = keys
    }

    /// Keys with the SEP bit: they sign the DNSKEY, CDS and CDNSKEY RRsets.
    public var keySigningKeys: [SigningKey] { keys.filter(\.isKeySigningKey) }

    /// Keys that sign everything else: those without the SEP bit, or, when every key has it (a
    /// combined signing key, CSK), all of them.
    public var zoneSigningKeys: [SigningKey] {
        let zsks = keys.filter { !$0.isKeySigningKey }
        return zsks.isEmpty ? keys : zsks
    }

    /// The DNSKEY RRset data of these keys.
    public var dnskeys: [DNSKEY] { keys.map(\.dnskey) }

    public func key(tag: UInt16) -> SigningKey? { keys.first { $0.keyTag == tag } }
}
