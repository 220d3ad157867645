import CoreMetrics
import DNSCore
import Foundation
import Metrics

/// Every metric the daemons export, by name, in one place (documented in docs/METRICS.md).
///
/// The daemons call these instead of creating swift-metrics objects themselves, so names, label keys and
/// label values cannot drift between the primary and the signer. Each call goes through swift-metrics'
/// current factory (our `MetricsRegistry` after `Telemetry.bootstrap()`, a task-local one in tests); the
/// registry keeps one time series per name and label set, so calling again updates the same series.
/// These are for per-zone events (a few a minute); the per-query counter is `QueryMetrics`, created once.
///
/// `zone` is the zone's absolute lowercased name, as in `OperatorEvent.zone` ("example.com.").
package enum CountersignMetrics {
    /// Metric names. Prometheus conventions: `_total` for counters, `_seconds` for times, base units.
    package enum Name {
        package static let serial = "countersign_zone_serial"
        package static let lastSuccessfulTransfer = "countersign_zone_last_successful_transfer_timestamp_seconds"
        package static let lastPoll = "countersign_zone_last_poll_timestamp_seconds"
        package static let polls = "countersign_polls_total"
        package static let refusals = "countersign_transfer_refusals_total"
        package static let transfers = "countersign_transfers_total"
        package static let signings = "countersign_signings_total"
        package static let earliestSignatureExpiry = "countersign_zone_earliest_signature_expiry_timestamp_seconds"
        package static let zoneExpired = "countersign_zone_expired"
        package static let aliasResolutions = "countersign_alias_resolutions_total"
        package static let queries = "countersign_queries_total"
        package static let queriesDropped = "countersign_queries_dropped_total"
        package static let notifies = "countersign_notifies_total"
        package static let notificationQueueDepth = "countersign_notification_queue_depth"
        package static let notificationsDelivered = "countersign_notifications_delivered_total"
        package static let notificationFailures = "countersign_notification_failures_total"
    }

    // MARK: Zones

    /// The SOA serial of a zone's unsigned copy (what the primary holds) or of the signed copy we serve.
    package static func setSerial(zone: String, kind: SerialKind, value: UInt32) {
        Gauge(label: Name.serial, dimensions: [("zone", zone), ("kind", kind.rawValue)]).record(Double(value))
    }

    /// A poll ended. `at` is the time it ended (seconds since 1970); a `changed` or `unchanged` result is a
    /// successful transfer and also sets the last-successful-transfer time, and `zone_expired` to 0: a zone
    /// is expired only while no poll succeeds, so the gauge reads 0 from the first good poll on rather than
    /// appearing only once a zone expires (an alert on `== 1` then has a series to watch).
    package static func pollFinished(zone: String, result: PollResult, at seconds: Int64) {
        if result == .unchanged { return UnchangedPolls(zone: zone).record(at: seconds) }
        Counter(label: Name.polls, dimensions: [("zone", zone), ("result", result.rawValue)]).increment()
        Gauge(label: Name.lastPoll, dimensions: [("zone", zone)]).record(Double(seconds))
        if result == .changed {
            transferSucceeded(zone: zone, at: seconds)
            setExpired(zone: zone, false)
        }
    }

    /// What an accepted NOTIFY that carried a serial did to its zone.
    package enum NotifyResult: String, Sendable {
        /// Its serial was the one held: nothing asked of the primary.
        case current
        /// The zone was polled at once.
        case refresh
    }

    package static func notified(zone: String, result: NotifyResult) {
        Counter(label: Name.notifies, dimensions: [("zone", zone), ("result", result.rawValue)]).increment()
    }

    /// A complete transfer arrived and passed the guards (or, on the primary, an outgoing AXFR completed).
    package static func transferSucceeded(zone: String, at seconds: Int64) {
        Gauge(label: Name.lastSuccessfulTransfer, dimensions: [("zone", zone)]).record(Double(seconds))
    }

    /// A guard refused a transfer; what we serve did not change.
    package static func transferRefused(zone: String, reason: RefusalReason) {
        Counter(label: Name.refusals, dimensions: [("zone", zone), ("reason", reason.rawValue)]).increment()
    }

    /// A transfer from the primary arrived whole (before the guards), by how it came.
    package static func transferReceived(zone: String, type: TransferType) {
        Counter(label: Name.transfers, dimensions: [("zone", zone), ("type", type.rawValue)]).increment()
    }

    /// A new signed version was published.
    package static func zoneSigned(zone: String, reason: SigningReason) {
        Counter(label: Name.signings, dimensions: [("zone", zone), ("reason", reason.rawValue)]).increment()
    }

    /// The earliest RRSIG expiration in the served signed zone (seconds since 1970).
    package static func setEarliestSignatureExpiry(zone: String, at seconds: Int64) {
        Gauge(label: Name.earliestSignatureExpiry, dimensions: [("zone", zone)]).record(Double(seconds))
    }

    /// 1 while a zone is past its SOA expire without a successful poll (and so answered with SERVFAIL).
    package static func setExpired(zone: String, _ expired: Bool) {
        Gauge(label: Name.zoneExpired, dimensions: [("zone", zone)]).record(expired ? 1 : 0)
    }

    /// The series an unchanged poll updates (`pollFinished(zone:result: .unchanged, at:)`), looked up
    /// once: the signer's shared poller records thousands of unchanged polls a minute, and looking each
    /// series up by name and labels was most of what recording one cost.
    package struct UnchangedPolls: Sendable {
        private let polls: Counter
        private let lastPoll: Gauge
        private let lastSuccess: Gauge
        private let expired: Gauge

        package init(zone: String) {
            polls = Counter(label: Name.polls, dimensions: [("zone", zone), ("result", PollResult.unchanged.rawValue)])
            lastPoll = Gauge(label: Name.lastPoll, dimensions: [("zone", zone)])
            lastSuccess = Gauge(label: Name.lastSuccessfulTransfer, dimensions: [("zone", zone)])
            expired = Gauge(label: Name.zoneExpired, dimensions: [("zone", zone)])
        }

        package func record(at seconds: Int64) {
            polls.increment()
            lastPoll.record(Double(seconds))
            lastSuccess.record(Double(seconds))
            expired.record(0)
        }
    }

    /// One ALIAS target resolution ended (on the primary; `zone` is the zone holding the ALIAS).
    package static func aliasResolved(zone: String, result: AliasResult) {
        Counter(label: Name.aliasResolutions, dimensions: [("zone", zone), ("result", result.rawValue)]).increment()
    }

    /// Drops a removed zone's gauges, so a deleted zone stops showing a serial or an expiry. (Its counters
    /// stay until the process restarts, as Prometheus expects of counters.)
    package static func zoneRemoved(zone: String) {
        for kind in SerialKind.allCases {
            Gauge(label: Name.serial, dimensions: [("zone", zone), ("kind", kind.rawValue)]).destroy()
        }
        for name in [Name.lastSuccessfulTransfer, Name.lastPoll, Name.earliestSignatureExpiry, Name.zoneExpired] {
            Gauge(label: name, dimensions: [("zone", zone)]).destroy()
        }
    }

    // MARK: Notifications

    /// Events in the outbox not yet delivered to every channel.
    package static func setNotificationQueueDepth(_ depth: Int) {
        Gauge(label: Name.notificationQueueDepth).record(Double(depth))
    }

    /// An event was delivered to one channel (`channel` is the config file's section name).
    package static func notificationDelivered(channel: String) {
        Counter(label: Name.notificationsDelivered, dimensions: [("channel", channel)]).increment()
    }

    /// One delivery attempt to one channel failed (retried, or given up, or the endpoint is gone).
    package static func notificationFailed(channel: String) {
        Counter(label: Name.notificationFailures, dimensions: [("channel", channel)]).increment()
    }

    /// Creates a channel's delivered and failed counters at 0 (the notification worker does, at start).
    package static func declareNotificationChannel(_ channel: String) {
        _ = Counter(label: Name.notificationsDelivered, dimensions: [("channel", channel)])
        _ = Counter(label: Name.notificationFailures, dimensions: [("channel", channel)])
    }
}
