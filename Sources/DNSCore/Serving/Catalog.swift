/// The zones a server answers for: immutable snapshots keyed by origin.
///
/// A catalog never changes; a new one is made with `replacing(_:)` / `removing(_:)` and swapped in as a
/// whole (the edge holds the current one behind a lock or atomic reference), so a query always sees one
/// consistent set of zones and in-flight queries keep the old one alive until they finish.
public final class Catalog: Sendable {
    /// The zones, in no particular order.
    public var zones: [ZoneSnapshot] { Array(byOrigin.values) }
    /// Lowercased origin wire bytes → snapshot. A new catalog copies this one table and changes one entry:
    /// with ten thousand zones, each publish used to rebuild the table from an array under the lock.
    let byOrigin: [[UInt8]: ZoneSnapshot]
    /// Zones held but not answered for (a secondary's zone past its SOA expire): queries for names in
    /// them get SERVFAIL, which tells resolvers to try another server, rather than stale data.
    public let unavailable: Set<DomainName>

    public static let empty = Catalog([])

    /// A later snapshot with the same origin replaces an earlier one.
    public convenience init(_ snapshots: some Sequence<ZoneSnapshot>, unavailable: Set<DomainName> = []) {
        var byOrigin: [[UInt8]: ZoneSnapshot] = [:]
        for snapshot in snapshots { byOrigin[DomainName.lowercase(snapshot.origin.wire)] = snapshot }
        self.init(byOrigin: byOrigin, unavailable: Set(unavailable.map { $0.lowercased() }))
    }

    private init(byOrigin: [[UInt8]: ZoneSnapshot], unavailable: Set<DomainName>) {
        self.byOrigin = byOrigin
        self.unavailable = unavailable
    }

    /// Whether queries for names in the zone `origin` are answered with SERVFAIL.
    public func isUnavailable(_ origin: DomainName) -> Bool {
        !unavailable.isEmpty && unavailable.contains(origin.lowercased())
    }

    /// The same zones with `origin` marked unavailable (or available again).
    public func marking(_ origin: DomainName, unavailable isUnavailable: Bool) -> Catalog {
        var set = unavailable
        if isUnavailable { set.insert(origin.lowercased()) } else { set.remove(origin.lowercased()) }
        return Catalog(byOrigin: byOrigin, unavailable: set)
    }

    /// Snapshots of `zones`, built here (see `ZoneSnapshot.init`).
    public convenience init(zones: [Zone]) throws(ZoneSnapshotError) {
        var snapshots: [ZoneSnapshot] = []
        for zone in zones { snapshots.append(try ZoneSnapshot(zone)) }
        self.init(snapshots)
    }

    /// The snapshot for exactly this origin.
    public subscript(origin: DomainName) -> ZoneSnapshot? { byOrigin[DomainName.lowercase(origin.wire)] }

    /// A catalog with `snapshot` added or replacing the zone of the same origin.
    public func replacing(_ snapshot: ZoneSnapshot) -> Catalog {
        var table = byOrigin
        table[DomainName.lowercase(snapshot.origin.wire)] = snapshot
        return Catalog(byOrigin: table, unavailable: unavailable)
    }

    /// A catalog without the zone `origin`.
    public func removing(_ origin: DomainName) -> Catalog {
        var table = byOrigin
        table[DomainName.lowercase(origin.wire)] = nil
        return Catalog(byOrigin: table, unavailable: unavailable.subtracting([origin.lowercased()]))
    }

    /// The zone with the longest origin at or above `name`: the one authoritative for it.
    public func zone(for name: DomainName) -> ZoneSnapshot? {
        if byOrigin.count <= 8 {
            var best: ZoneSnapshot? = nil
            for zone in byOrigin.values where name.isSubdomain(of: zone.origin) {
                if best == nil || zone.origin.wire.count > best!.origin.wire.count { best = zone }
            }
            return best
        }
        let wire = DomainName.lowercase(name.wire)
        var offset = 0
        while true {
            if let zone = byOrigin[Array(wire[offset...])] { return zone }
            if wire[offset] == 0 { return nil }
            offset += Int(wire[offset]) + 1
        }
    }

    /// The zone enclosing `zone`'s origin from above (its parent, when we serve both), for DS queries,
    /// which the parent side of a cut answers (RFC 4035 §3.1.4.1).
    func parentZone(of zone: ZoneSnapshot) -> ZoneSnapshot? {
        guard let parent = zone.origin.parent else { return nil }
        return self.zone(for: parent)
    }
}
