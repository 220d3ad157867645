import DNSCore

/// Where transfers find the zone they send: the catalog the server currently serves.
public protocol ZoneSource: Sendable {
    /// The snapshot of the zone whose origin is exactly `name`, as served right now (transfers stream
    /// from it), or nil when it is not served.
    func snapshot(named name: DomainName) -> ZoneSnapshot?
}
