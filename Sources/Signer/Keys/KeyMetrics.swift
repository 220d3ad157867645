import CoreMetrics
import Metrics

/// The key lifecycle's metrics (docs/METRICS.md, "Keys"): how many keys of each role are in each
/// state, and when the next key event is due, so an operator can alert on a rollover that stalls.
enum KeyMetrics {
    static let keys = "countersign_dnssec_keys"
    static let nextEvent = "countersign_key_next_event_timestamp_seconds"
    static let rolloverInProgress = "countersign_key_rollover_in_progress"

    /// Every role × state series of the zone is written (zeros included), so a state a key left drops to 0.
    static func record(zone: String, lifecycle: KeyLifecycle, nextEvent at: Int64? = nil) {
        for role in KeyRole.allCases {
            for state in KeyState.allCases where state != .removed {
                let count = lifecycle.keys.filter { $0.role == role && $0.state == state }.count
                Gauge(label: keys, dimensions: [("zone", zone), ("role", role.rawValue), ("state", state.rawValue)]).record(Double(count))
            }
        }
        for kind in Rollover.Kind.allCases {
            Gauge(label: rolloverInProgress, dimensions: [("zone", zone), ("kind", kind.rawValue)])
                .record(lifecycle.rollover?.kind == kind ? 1 : 0)
        }
        if let at { Gauge(label: nextEvent, dimensions: [("zone", zone)]).record(Double(at)) }
    }
}
