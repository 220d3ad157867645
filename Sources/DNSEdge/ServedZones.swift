import DNSCore

/// The zones being served, swapped atomically while queries and transfers run.
///
/// Only the immutable snapshots are kept: queries read them directly, and a transfer rebuilds the `Zone`
/// it sends from the snapshot it started with (transfers are rare; keeping a second copy of every zone for
/// them doubled the server's memory). The catalog is replaced as a whole under a lock, so a query or
/// transfer in flight keeps the version it started with.
public final class ServedZones: ZoneSource {
    private let state: Locked<Catalog>

    public init(_ zones: [Zone] = []) throws(ZoneSnapshotError) {
        state = Locked(try ServedZones.makeCatalog(zones))
    }

    static func makeCatalog(_ zones: [Zone]) throws(ZoneSnapshotError) -> Catalog {
        var snapshots: [ZoneSnapshot] = []
        for zone in zones { snapshots.append(try ZoneSnapshot(zone)) }
        return Catalog(snapshots)
    }

    public var catalog: Catalog { state.current }
    public var origins: [DomainName] { catalog.zones.map(\.origin) }

    /// The serial served now for `name`, without rebuilding the zone.
    public func serial(of name: DomainName) -> SerialNumber? { catalog[name]?.serial }

    /// The zone to send in a transfer (streamed from the snapshot by `AXFRWriter(snapshot:)`); none while
    /// the zone is unavailable (expired data is not handed on).
    public func snapshot(named name: DomainName) -> ZoneSnapshot? {
        let catalog = catalog
        guard !catalog.isUnavailable(name) else { return nil }
        return catalog[name]
    }

    /// Adds or replaces one zone. The snapshot is built before the lock is taken, so queries never
    /// wait for it.
    public func publish(_ zone: Zone) throws(ZoneSnapshotError) {
        let snapshot = try ZoneSnapshot(zone)
        state.withLock { $0 = $0.replacing(snapshot) }
    }

    /// Replaces one zone whose records changed only at `changedNames` (see `ZoneSnapshot.patched`):
    /// the current snapshot is patched when the change allows it, else rebuilt.
    public func publish(_ zone: Zone, changedNames: Set<DomainName>?) throws(ZoneSnapshotError) {
        guard let changedNames, let current = catalog[zone.origin],
              let snapshot = current.patched(zone, changedNames: changedNames)
        else { return try publish(zone) }
        state.withLock { $0 = $0.replacing(snapshot) }
    }

    /// Replaces the whole set at once.
    public func replaceAll(with zones: [Zone]) throws(ZoneSnapshotError) {
        let next = try ServedZones.makeCatalog(zones)
        state.withLock { $0 = next }
    }

    /// Stops answering for `origin` (SERVFAIL) or starts again, keeping its snapshot either way.
    public func setUnavailable(_ origin: DomainName, _ isUnavailable: Bool) {
        state.withLock { $0 = $0.marking(origin, unavailable: isUnavailable) }
    }

    /// Whether `origin` is held but answered with SERVFAIL.
    public func isUnavailable(_ origin: DomainName) -> Bool { catalog.isUnavailable(origin) }

    public func remove(_ origin: DomainName) {
        state.withLock { $0 = $0.removing(origin) }
    }
}
