import DNSCore

/// Where IXFR finds a zone's history: a daemon's store (SQLite), read per request.
public protocol ZoneJournalSource: Sendable {
    /// The stored steps of `zone` from the first one that starts at `serial` to the newest, oldest
    /// first; empty when none starts there. `IXFRPlan` decides whether they reach the served version.
    func journalSteps(zone: DomainName, from serial: SerialNumber) throws -> [JournalDelta]
}
