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
    /// What each key of `keys` does, in the same order; nil: every key is published and signs by the
    /// policy's key roles, and the KSKs are in CDS (a zone whose keys never change).
    public let usage: [KeyUsage]?
    /// Publish CDS/CDNSKEY DELETE (RFC 8078 §4) instead of the keys' CDS: the operator is taking the
    /// zone insecure and asks the parent to remove the DS.
    public let cdsDelete: Bool

    public init(zone: DomainName, keys: [SigningKey], otherPublishedKeys: [DNSKEY] = []) throws(DNSSECError) {
        try self.init(zone: zone, keys: keys, usage: nil, cdsDelete: false, otherPublishedKeys: otherPublishedKeys)
    }

    /// Keys with an explicit usage each (a rollover in progress). `usage` must have one entry per key.
    public init(zone: DomainName, keys: [SigningKey], usage: [KeyUsage]?, cdsDelete: Bool = false,
                otherPublishedKeys: [DNSKEY] = []) throws(DNSSECError) {
        if let usage, usage.count != keys.count {
            throw .invalidKeyUsage(zone: zone, reason: "\(usage.count) usages for \(keys.count) keys")
        }
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
        self.usage = usage
        self.cdsDelete = cdsDelete
    }

    /// The usage of the key at `index` (the default when none was given).
    public func usage(at index: Int) -> KeyUsage? { usage?[index] }

    /// Public halves of the keys that sign but are not published (an algorithm rollover's new keys
    /// before their DNSKEYs go out, its old ones after): a verifier of our own output needs them.
    public var unpublishedSigningKeys: [DNSKEY] {
        guard let usage else { return [] }
        return zip(keys, usage).filter { !$1.published && ($1.signsKeys || $1.signsZone) }.map(\.0.dnskey)
    }

    /// Keys with the SEP bit: they sign the DNSKEY, CDS and CDNSKEY RRsets.
    public var keySigningKeys: [SigningKey] { keys.filter(\.isKeySigningKey) }

    /// Keys that sign everything else: those without the SEP bit, or, when every key has it (a
    /// combined signing key, CSK), all of them.
    public var zoneSigningKeys: [SigningKey] {
        let zsks = keys.filter { !$0.isKeySigningKey }
        return zsks.isEmpty ? keys : zsks
    }

    /// The DNSKEY RRset data: the published keys.
    public var dnskeys: [DNSKEY] {
        guard let usage else { return keys.map(\.dnskey) }
        return zip(keys, usage).filter { $1.published }.map(\.0.dnskey)
    }

    public func key(tag: UInt16) -> SigningKey? { keys.first { $0.keyTag == tag } }
}
