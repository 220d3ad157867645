/// A signed zone and when it must next be re-signed, as `ZoneSigner` returns it.
///
/// Besides the zone it remembers what the signatures were made with (keys, denial settings) and, for
/// NSEC3, the chain's hashes in order, so an incremental update can find the neighbours of a changed
/// name without hashing the whole zone again. Equality compares the zone and `nextResign` only.
public struct SignedZone: Sendable, Equatable {
    /// The zone with its RRSIG, NSEC or NSEC3, NSEC3PARAM, DNSKEY, CDS and CDNSKEY records.
    public internal(set) var zone: Zone
    /// The earliest time (seconds since 1970, modulo 2^32) at which some signature falls within the
    /// refresh margin of its expiration: call `ZoneSigner.refresh` then, at the latest.
    public internal(set) var nextResign: UInt32
    /// What the zone was signed with; nil for a zone loaded from outside (`init(restoring:…)`).
    var fingerprint: Fingerprint?
    /// For NSEC3 zones, the hashes of the chain in ascending order.
    var nsec3Digests: [NSEC3Hash.Digest]
    /// After `ZoneSigner.update` or `refresh`: the names whose records (data, signatures, chain) may
    /// differ from the zone it was made from — a superset of what changed, so a copy elsewhere (a store,
    /// a serving snapshot) can be brought up to date without comparing the whole zone. Nil after a full
    /// signing or a restore: everything may have changed.
    public var changedNames: Set<DomainName>?

    init(zone: Zone, nextResign: UInt32, fingerprint: Fingerprint?, nsec3Digests: [NSEC3Hash.Digest]) {
        self.zone = zone
        self.nextResign = nextResign
        self.fingerprint = fingerprint
        self.nsec3Digests = nsec3Digests
    }

    /// A zone signed earlier (read back from a file, received by transfer), ready for
    /// `ZoneSigner.update` and `ZoneSigner.refresh`. When its DNSKEY, CDS, CDNSKEY and NSEC3PARAM
    /// RRsets and its denial records are what `keys` and `policy` produce, updates keep its
    /// signatures; otherwise the first update or refresh signs it in full. `nextResign` comes from
    /// the signatures present.
    public init(restoring zone: Zone, keys: ZoneKeySet, policy: SigningPolicy) {
        var digests: [NSEC3Hash.Digest] = []
        var earliest: UInt32?
        var hasNSEC = false
        var denialTTL: UInt32?
        var optOutFlags: Set<Bool> = []
        for (name, node) in zone.nodes {
            for rrset in node {
                switch rrset.type {
                case .RRSIG:
                    for case .rrsig(let rrsig) in rrset.rdatas {
                        // Earliest in serial-number order, relative to the first one seen.
                        if let current = earliest {
                            if Int32(bitPattern: rrsig.expiration &- current) < 0 { earliest = rrsig.expiration }
                        } else {
                            earliest = rrsig.expiration
                        }
                    }
                case .NSEC:
                    hasNSEC = true
                    denialTTL = rrset.ttl
                case .NSEC3:
                    if let digest = NSEC3Hash.Digest(owner: name, zone: zone.origin) { digests.append(digest) }
                    if case .nsec3(let record) = rrset.rdatas.first { optOutFlags.insert(record.isOptOut) }
                    denialTTL = rrset.ttl
                default:
                    continue
                }
            }
        }
        digests.sort()
        self.init(
            zone: zone, nextResign: (earliest ?? 0) &- policy.refreshMargin, fingerprint: nil, nsec3Digests: digests)

        // The fingerprint only when everything the signer would generate at the apex is there as is.
        guard let context = try? ZoneSigner.Context(zone: zone, keys: keys, policy: policy, now: 0),
              let expected = try? context.apexRRsets(),
              denialTTL == context.denialTTL
        else { return }
        let generated = zone.rrsets(at: zone.origin).filter {
            SigningRoles.isSignerOwned($0.type) && $0.type != .RRSIG && $0.type != .NSEC && $0.type != .NSEC3
        }
        guard Set(generated) == Set(expected) else { return }
        switch policy.denial {
        case .nsec:
            guard hasNSEC && digests.isEmpty else { return }
        case .nsec3(let settings):
            guard !hasNSEC && !digests.isEmpty && optOutFlags == [settings.optOut] else { return }
        }
        fingerprint = context.fingerprint
    }

    public static func == (lhs: SignedZone, rhs: SignedZone) -> Bool {
        lhs.nextResign == rhs.nextResign && lhs.zone == rhs.zone
    }

    /// The zone without anything the signer generates: what was signed.
    public var unsignedZone: Zone {
        var zone = zone
        for name in zone.sortedNames {
            let node = zone.nodes[name]!
            guard node.contains(where: { SigningRoles.isSignerOwned($0.type) }) else { continue }
            zone.nodes[name] = node.filter { !SigningRoles.isSignerOwned($0.type) }
        }
        zone.sortedNames.removeAll { zone.nodes[$0]!.isEmpty }
        for (name, node) in zone.nodes where node.isEmpty { zone.nodes[name] = nil }
        return zone
    }

    /// The keys, roles and denial settings a signing used. When they change, an incremental update
    /// cannot keep any signature or chain record and signs everything again.
    struct Fingerprint: Sendable, Hashable {
        var dnskeys: [DNSKEY]
        var keySigners: [UInt16]
        var zoneSigners: [UInt16]
        var cdsKeys: [UInt16]
        var cdsDelete: Bool
        var denial: SigningPolicy.Denial
        var publishCDS: Bool
        var cdsDigestType: DSDigestType
        var keyTTL: UInt32
        var denialTTL: UInt32
    }
}

extension SignedZone {
    /// A zone served without DNSSEC (the operator took it insecure, RFC 8078): signer-generated records
    /// removed, nothing ever due for re-signing (`nextResign` is `now` plus about 68 years in serial
    /// arithmetic, the furthest it can say).
    public init(insecure zone: Zone, now: UInt32) {
        var stripped = zone
        for name in zone.sortedNames {
            guard let node = zone.nodes[name], node.contains(where: { SigningRoles.isSignerOwned($0.type) }) else { continue }
            let kept = node.filter { !SigningRoles.isSignerOwned($0.type) }
            if kept.isEmpty { stripped.nodes[name] = nil; stripped.removeSortedName(name) } else { stripped.nodes[name] = kept }
        }
        self.init(zone: stripped, nextResign: now &+ 0x7FFF_0000, fingerprint: nil, nsec3Digests: [])
    }
}
