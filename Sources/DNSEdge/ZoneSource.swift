import DNSCore

/// Where transfers find the zone they send: the catalog the server currently serves.
public protocol ZoneSource: Sendable {
    /// The zone whose origin is exactly `name`, as served right now.
    func zone(named name: DomainName) -> Zone?
}
