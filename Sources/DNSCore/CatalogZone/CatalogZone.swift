/// A catalog zone of RFC 9432, schema version 2: the list of member zones a fleet of secondaries
/// serves, published as a zone so that Knot (`catalog-role: interpret`), BIND (`catalog-zones`) and
/// PowerDNS pick up every added zone and drop every removed one with no configuration of their own.
///
/// Both ways are pure: `zone(serial:)` builds the zone a producer serves, `init(parsing:)` reads and
/// validates one a consumer received. Members are kept sorted by name, so two catalogs with the same
/// members compare equal however they were listed.
///
/// This is not `Catalog` (DNSCore/Serving), the set of zones a server answers for.
public struct CatalogZone: Sendable, Equatable {
    public let origin: DomainName
    public let members: [CatalogMember]

    /// The schema this code writes and reads (§4.2.1).
    public static let schemaVersion = "2"
    /// Catalog records carry TTL 0: they are read by transfer, never cached by resolvers (§4.1).
    public static let ttl: UInt32 = 0

    /// A catalog of `members`; refused when a zone is listed twice, two members share an id, or a
    /// member is the catalog itself or below it.
    public init(origin: DomainName, members: [CatalogMember]) throws(CatalogZoneError) {
        self.origin = origin.lowercased()
        var byName: [DomainName: String] = [:]
        var ids: Set<String> = []
        for member in members {
            if member.zone.isSubdomain(of: self.origin) {
                throw .memberInsideCatalog(zone: member.zone.text)
            }
            if let other = byName[member.zone] {
                throw .duplicateMember(zone: member.zone.text, ids: [other, member.id].sorted())
            }
            guard ids.insert(member.id.lowercased()).inserted else { throw .duplicateID(id: member.id) }
            byName[member.zone] = member.id
        }
        self.members = members.sorted { $0.zone < $1.zone }
    }

    public var memberNames: [DomainName] { members.map(\.zone) }

    /// `zones.<catalog>`, the parent of every member node.
    public var zonesName: DomainName { CatalogZone.child("zones", of: origin) }
    /// `version.<catalog>`.
    public var versionName: DomainName { CatalogZone.child("version", of: origin) }

    // MARK: Producing

    /// The catalog as a zone with `serial`: SOA and NS `invalid.` at the apex (§4.1: the catalog is
    /// not meant to be queried), the version TXT "2", and per member `<id>.zones PTR <member>` plus
    /// `group.<id>.zones TXT <group>` for each group and `coo.<id>.zones PTR <catalog>` when handed over.
    public func zone(serial: SerialNumber, refresh: UInt32 = 300, retry: UInt32 = 60,
                     expire: UInt32 = 2_419_200) -> Zone {
        let invalid = CatalogZone.child("invalid", of: .root)
        let soa = SOA(mname: invalid, rname: invalid, serial: serial, refresh: refresh, retry: retry, expire: expire, minimum: 0)
        var records = [
            ResourceRecord(name: origin, ttl: CatalogZone.ttl, rdata: .soa(soa)),
            ResourceRecord(name: origin, ttl: CatalogZone.ttl, rdata: .ns(NS(target: invalid))),
            ResourceRecord(name: versionName, ttl: CatalogZone.ttl,
                           rdata: .txt(TXT(strings: [Array(CatalogZone.schemaVersion.utf8)]))),
        ]
        let zones = zonesName
        for member in members {
            // The id is one label of at most 63 bytes by construction (`CatalogMember` or a parsed label).
            guard let node = try? zones.prepending(Array(member.id.utf8)) else { continue }
            records.append(ResourceRecord(name: node, ttl: CatalogZone.ttl, rdata: .ptr(PTR(target: member.zone))))
            if let coo = member.coo, let property = try? node.prepending(Array("coo".utf8)) {
                records.append(ResourceRecord(name: property, ttl: CatalogZone.ttl, rdata: .ptr(PTR(target: coo))))
            }
            guard !member.groups.isEmpty, let group = try? node.prepending(Array("group".utf8)) else { continue }
            for name in member.groups {
                records.append(ResourceRecord(name: group, ttl: CatalogZone.ttl, rdata: .txt(TXT(strings: [Array(name.utf8)]))))
            }
        }
        return Zone(records: records, origin: origin)
    }

    static func child(_ label: String, of parent: DomainName) -> DomainName {
        // Fixed short labels under a valid name: cannot exceed the name limits unless the parent is
        // already within a few bytes of 255, which `try!` would turn into a crash; fall back to the parent.
        (try? parent.prepending(Array(label.utf8))) ?? parent
    }
}

extension CatalogZone {
    /// The serial to publish a catalog with, given the one stored with the last membership: unchanged
    /// while the membership is (`changed` false and a serial was published), else raised, to `now` as
    /// unix time when that is higher (RFC 1982 arithmetic), so consumers see every change.
    public static func serial(stored: UInt32, changed: Bool, now: Int64) -> UInt32 {
        if !changed && stored != 0 { return stored }
        return SerialNumber(stored).next(atLeast: SerialNumber(UInt32(truncatingIfNeeded: now))).rawValue
    }
}
