import Foundation

/// The answer of `/healthz`: healthy when there are no problems. Built by the pure `evaluate`, from
/// inputs the daemon gathers, so every rule is tested without a clock or a server.
package struct HealthReport: Sendable, Equatable {
    package var problems: [HealthProblem]
    /// How many zones were looked at (shown in the body, so "ok, 0 zones" is not mistaken for coverage).
    package var zonesChecked: Int

    package init(problems: [HealthProblem] = [], zonesChecked: Int = 0) {
        self.problems = problems
        self.zonesChecked = zonesChecked
    }

    package var isHealthy: Bool { problems.isEmpty }

    /// Every problem of every zone at `now`, zones in name order, the worst first within a zone:
    /// expired, then signatures expired or in the danger margin, then a poll overdue.
    package static func evaluate(zones: [ZoneHealthInput], now: Int64) -> HealthReport {
        var problems: [HealthProblem] = []
        for input in zones.sorted(by: { $0.zone < $1.zone }) {
            if input.expired {
                problems.append(.zoneExpired(zone: input.zone))
            }
            if let expiry = input.earliestSignatureExpiry {
                let remaining = expiry - now
                if remaining <= 0 {
                    problems.append(.signaturesExpired(zone: input.zone, expiry: expiry))
                } else if remaining < input.dangerMargin {
                    problems.append(.signaturesInDangerMargin(
                        zone: input.zone, expiry: expiry, remaining: remaining,
                        dangerMargin: input.dangerMargin, refreshMargin: input.refreshMargin))
                }
            }
            if let limit = input.maxSilence, !input.expired {
                // An expired zone already says it; a second line about polls would only repeat it.
                let reference = input.lastSuccess ?? input.since
                let silence = reference.map { now - $0 }
                if (silence ?? Int64.max) > limit {
                    problems.append(.noSuccessfulPoll(zone: input.zone, lastSuccess: input.lastSuccess, silence: silence, limit: limit))
                }
            }
        }
        return HealthReport(problems: problems, zonesChecked: zones.count)
    }

    /// The report plus daemon-wide problems the daemon found itself.
    package func adding(_ more: [HealthProblem]) -> HealthReport {
        HealthReport(problems: more + problems, zonesChecked: zonesChecked)
    }

    // MARK: Bodies

    /// `ok: 3 zones` or one line per problem after a count; what `curl /healthz` prints.
    package var text: String {
        guard !isHealthy else { return "ok: \(zonesChecked) zone\(zonesChecked == 1 ? "" : "s")\n" }
        var out = "unhealthy: \(problems.count) problem\(problems.count == 1 ? "" : "s")\n"
        for problem in problems { out += "- \(problem)\n" }
        return out
    }

    /// `{"status":"ok"|"unhealthy","zones":N,"problems":[{"code","zone","message"}]}`.
    package var json: String {
        let list: [[String: Any]] = problems.map { problem in
            var entry: [String: Any] = ["code": problem.code, "message": problem.description]
            if let zone = problem.zone { entry["zone"] = zone }
            return entry
        }
        let object: [String: Any] = ["status": isHealthy ? "ok" : "unhealthy", "zones": zonesChecked, "problems": list]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: Formatting

    /// `2024-05-01T12:00:00Z`.
    static func timestamp(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// `3d 4h`, `2h 5m`, `40s`: the two largest units, enough to act on.
    static func span(_ seconds: Int64) -> String {
        let units: [(Int64, String)] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        var rest = max(0, seconds)
        var parts: [String] = []
        for (size, name) in units where rest >= size || (parts.isEmpty && size == 1) {
            parts.append("\(rest / size)\(name)")
            rest %= size
            if parts.count == 2 || rest == 0 { break }
        }
        return parts.joined(separator: " ")
    }
}
