import Foundation

/// Something an operator should hear about: a zone re-signed, a transfer refused, a primary failing or
/// back, signatures close to expiry, an ALIAS target that stopped resolving.
///
/// Written to the outbox in the same transaction as the state change it reports (so a crash loses
/// neither), then delivered to every channel. `id` is stable across retries and restarts, so a receiver
/// that remembers ids never acts twice on one event.
package struct OperatorEvent: Sendable, Equatable, Codable {
    package enum Kind: String, Sendable, Codable, CaseIterable {
        case zoneResigned = "zone.resigned"
        case transferRefused = "transfer.refused"
        case transferFailing = "transfer.failing"
        case transferRecovered = "transfer.recovered"
        /// The periodic AXFR content check found other content than IXFR had built at the same serial;
        /// the AXFR's content was taken.
        case transferIXFRMismatch = "transfer.ixfr-mismatch"
        /// An operator ran `dns-signer zone accept-next`: who, when, and the refusal they had looked at.
        case transferAcceptNext = "transfer.accept-next"
        /// A new version waits for an operator's `dns-signer zone approve|reject` (review before publishing).
        case reviewPending = "review.pending"
        /// A review (command or operator) refused a new version; the previous one stays served.
        case reviewRejected = "review.rejected"
        /// An operator approved a version waiting for review.
        case reviewApproved = "review.approved"
        case signingFailed = "signing.failed"
        case signaturesExpiring = "signatures.expiring"
        case zoneExpired = "zone.expired"
        case keyActionNeeded = "key.action-needed"
        case keyRolloverStarted = "key.rollover-started"
        case keyRolloverFinished = "key.rollover-finished"
        case aliasFailing = "alias.failing"
        case aliasRecovered = "alias.recovered"
        case test = "test"
        /// A webhook endpoint answered 410 Gone and was disabled; sent to the email channels.
        case channelDisabled = "notification.channel-disabled"
    }

    package enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
        case info, warning, critical

        private var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        package static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// A UUID, lowercased; the `webhook-id` and the email's Message-ID are derived from it.
    package var id: String
    package var kind: Kind
    package var severity: Severity
    /// The zone, absolute, lowercased ("example.com."); nil for daemon-wide events.
    package var zone: String?
    /// Seconds since 1970.
    package var time: Int64
    /// One sentence a person reads on a phone: "example.com.: re-signed, serial 1700000000 → 1700000060, 2 RRsets changed".
    package var summary: String
    /// Machine-readable details (serials, counts, guard name, DS text, examples of what changed).
    package var details: [String: String]

    package init(id: String = UUID().uuidString.lowercased(), kind: Kind, severity: Severity, zone: String?,
                 time: Int64, summary: String, details: [String: String] = [:]) {
        self.id = id
        self.kind = kind
        self.severity = severity
        self.zone = zone
        self.time = time
        self.summary = summary
        self.details = details
    }
}
