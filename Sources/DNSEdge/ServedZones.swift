import DNSCore

/// The zones being served, swapped atomically while queries and transfers run. Queries read the
/// `Catalog` of immutable snapshots; transfers read the `Zone` each snapshot was built from. Both
/// live in one state value replaced as a whole under a lock, so a reader never sees a catalog and a
/// zone of different versions, and a query or transfer in flight keeps the version it started with.
public final class ServedZones: ZoneSource {
    public struct State: Sendable {
        public let catalog: Catalog
        public let zones: [DomainName: Zone]
    }

    private let state: Locked<State>

    public init(_ zones: [Zone] = []) throws(ZoneSnapshotError) {
        state = Locked(try ServedZones.makeState(zones))
    }

    static func makeState(_ zones: [Zone]) throws(ZoneSnapshotError) -> State {
        var table: [DomainName: Zone] = [:]
        var snapshots: [ZoneSnapshot] = []
        for zone in zones {
            table[zone.origin] = zone
            snapshots.append(try ZoneSnapshot(zone))
        }
        return State(catalog: Catalog(snapshots), zones: table)
    }

    public var current: State { state.current }
    public var catalog: Catalog { state.withLock { $0.catalog } }
    public var origins: [DomainName] { Array(state.withLock { $0.zones.keys }) }

    public func zone(named name: DomainName) -> Zone? { state.withLock { $0.zones[name] } }

    /// Adds or replaces one zone. The snapshot is built before the lock is taken, so queries never
    /// wait for it.
    public func publish(_ zone: Zone) throws(ZoneSnapshotError) {
        let snapshot = try ZoneSnapshot(zone)
        state.withLock { current in
            var zones = current.zones
            zones[zone.origin] = zone
            current = State(catalog: current.catalog.replacing(snapshot), zones: zones)
        }
    }

    /// Replaces the whole set at once.
    public func replaceAll(with zones: [Zone]) throws(ZoneSnapshotError) {
        let next = try ServedZones.makeState(zones)
        state.withLock { $0 = next }
    }

    public func remove(_ origin: DomainName) {
        state.withLock { current in
            var zones = current.zones
            zones[origin] = nil
            current = State(catalog: current.catalog.removing(origin), zones: zones)
        }
    }
}
