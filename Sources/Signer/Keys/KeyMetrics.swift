import CoreMetrics
import Foundation
import DNSEdge
import Metrics

/// The key lifecycle's metrics (docs/METRICS.md): how many keys of each role are in each state, whether
/// a rollover is in progress, and when the next key event is due, so an operator can alert on a rollover
/// that stalls.
///
/// Only the role × state pairs a zone's keys have held get a series (set to 0 once emptied): the metrics
/// registry copies a metric's whole label table when it adds a series, so a fixed grid per zone made
/// starting ten thousand zones quadratic.
enum KeyMetrics {
    static let keys = "countersign_dnssec_keys"
    static let nextEvent = "countersign_key_next_event_timestamp_seconds"
    static let rolloverInProgress = "countersign_key_rollover_in_progress"

    /// The role × state pairs written per zone, so a pair that empties is set to 0.
    private static let written = Locked<[String: Set<String>]>([:])

    static func record(zone: String, lifecycle: KeyLifecycle, nextEvent at: Int64? = nil) {
        var counts: [String: (KeyRole, KeyState, Int)] = [:]
        for key in lifecycle.keys where key.state != .removed {
            let id = "\(key.role.rawValue)/\(key.state.rawValue)"
            counts[id] = (key.role, key.state, (counts[id]?.2 ?? 0) + 1)
        }
        let previous = written.withLock { table in
            let before = table[zone] ?? []
            table[zone] = before.union(counts.keys)
            return before
        }
        for id in previous.subtracting(counts.keys) {
            let parts = id.split(separator: "/").map(String.init)
            Gauge(label: keys, dimensions: [("zone", zone), ("role", parts[0]), ("state", parts[1])]).record(0)
        }
        for (_, (role, state, count)) in counts {
            Gauge(label: keys, dimensions: [("zone", zone), ("role", role.rawValue), ("state", state.rawValue)]).record(Double(count))
        }
        Gauge(label: rolloverInProgress, dimensions: [("zone", zone)]).record(lifecycle.rollover == nil ? 0 : 1)
        if let at { Gauge(label: nextEvent, dimensions: [("zone", zone)]).record(Double(at)) }
    }
}
