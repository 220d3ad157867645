/// One reason `/healthz` answers 503, worded for the operator who reads it.
package enum HealthProblem: Sendable, Equatable, CustomStringConvertible {
    /// Past SOA expire without a successful poll; the zone is no longer served.
    case zoneExpired(zone: String)
    /// Signatures already expired: validating resolvers fail the zone.
    case signaturesExpired(zone: String, expiry: Int64)
    /// Signatures expire within the danger margin: re-signing is not keeping up.
    case signaturesInDangerMargin(zone: String, expiry: Int64, remaining: Int64, dangerMargin: Int64, refreshMargin: Int64)
    /// No successful poll for longer than allowed. `lastSuccess` nil: none at all; `silence` nil: since
    /// an unknown time.
    case noSuccessfulPoll(zone: String, lastSuccess: Int64?, silence: Int64?, limit: Int64)
    /// Something daemon-wide (a listener down, the database unreadable), in the daemon's words.
    case daemon(String)

    /// The zone the problem is about; nil for daemon-wide problems.
    package var zone: String? {
        switch self {
        case let .zoneExpired(zone), let .signaturesExpired(zone, _), let .signaturesInDangerMargin(zone, _, _, _, _),
             let .noSuccessfulPoll(zone, _, _, _):
            zone
        case .daemon:
            nil
        }
    }

    /// A stable short name for scripts and the JSON body.
    package var code: String {
        switch self {
        case .zoneExpired: "zone-expired"
        case .signaturesExpired: "signatures-expired"
        case .signaturesInDangerMargin: "signatures-in-danger-margin"
        case .noSuccessfulPoll: "no-successful-poll"
        case .daemon: "daemon"
        }
    }

    package var description: String {
        switch self {
        case let .zoneExpired(zone):
            return "\(zone): expired (no successful poll within the SOA expire time); answering SERVFAIL"
        case let .signaturesExpired(zone, expiry):
            return "\(zone): signatures expired at \(HealthReport.timestamp(expiry)); validating resolvers reject the zone"
        case let .signaturesInDangerMargin(zone, expiry, remaining, danger, refresh):
            return "\(zone): signatures expire in \(HealthReport.span(remaining)) (at \(HealthReport.timestamp(expiry))), "
                + "inside the danger margin of \(HealthReport.span(danger)); re-signing was due at \(HealthReport.span(refresh)) left"
        case let .noSuccessfulPoll(zone, last, silence, limit):
            let when = last.map { "since \(HealthReport.timestamp($0))" } ?? "yet"
            let how = silence.map { "for \(HealthReport.span($0)), " } ?? ""
            return "\(zone): no successful poll \(when) (\(how)limit \(HealthReport.span(limit)))"
        case let .daemon(text):
            return text
        }
    }
}
