import Crypto

/// One member of a catalog zone (RFC 9432 §4.1): the member zone's name, the unique-id label of its
/// member node `<id>.zones.<catalog>`, its `group` properties (§4.4.2), which consumers such as Knot
/// and BIND map to a template or configuration of their own, and its `coo` property (§4.4.1): the
/// catalog the producer is handing the zone over to (§5.5), nil when none.
public struct CatalogMember: Sendable, Hashable {
    public let zone: DomainName
    /// The unique-id label (one label, without dots).
    public let id: String
    public let groups: [String]
    /// The new owner catalog (change of ownership, RFC 9432 §5.5), lowercased.
    public let coo: DomainName?

    public init(zone: DomainName, id: String, groups: [String] = [], coo: DomainName? = nil) {
        self.zone = zone.lowercased()
        self.id = id
        self.groups = groups
        self.coo = coo?.lowercased()
    }

    /// A member whose unique id is derived from its name, so the same zone gets the same id in every
    /// version of the catalog and after it is removed and added again. RFC 9432 §5.4 makes an id change
    /// mean "reset this zone" (consumers drop its data and transfer it afresh); a stable id means a
    /// re-added zone is not reset by surprise. 16 hex digits of SHA-256 over the lowercased wire name:
    /// collisions among a catalog's members are out of reach (2^-64 per pair), and `CatalogZone` refuses
    /// one anyway.
    public init(zone: DomainName, groups: [String] = []) {
        self.init(zone: zone, id: CatalogMember.stableID(for: zone), groups: groups)
    }

    public static func stableID(for zone: DomainName) -> String {
        let digest = SHA256.hash(data: zone.lowercased().wire)
        return digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension CatalogZone {
    /// A digest of the membership (names, ids, groups): equal for equal catalogs, so a producer raises
    /// the serial only when it changed.
    public var membershipDigest: [UInt8] {
        var hasher = SHA256()
        hasher.update(data: origin.wire)
        for member in members {
            hasher.update(data: member.zone.wire)
            hasher.update(data: Array(member.id.utf8) + [0])
            for group in member.groups { hasher.update(data: Array(group.utf8) + [0]) }
            // Only when present, so the digests of catalogs without it (every one this code produced
            // before `coo` was read) stay as stored and no serial rises for nothing.
            if let coo = member.coo { hasher.update(data: [0xFE] + coo.wire) }
            hasher.update(data: [0xFF])
        }
        return Array(hasher.finalize())
    }
}
