import DNSCore
import Foundation

/// The guard settings as operators write and read them, shared by `zone add`, `zone set`, `zone status`
/// and `zone accept-next`.
enum GuardText {
    /// `refuse more than 10 times the RRsets and 1000 added`, or `off`.
    static func growth(_ limit: Double, _ minimum: Int) -> String {
        limit == 0 ? "off" : "refuse more than \(factor(limit)) times the RRsets and \(minimum) added"
    }

    /// `10`, `2.5`: a factor without a trailing `.0`.
    static func factor(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? "\(Int(value))" : "\(value)"
    }

    static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded())) %" }

    /// What the policy guards refuse, as the end of "taken even if …".
    static func policy(_ config: SignerZoneConfig) -> String {
        var parts = ["it lowers the serial", "loses more than \(percent(config.shrinkLimit)) of the RRsets"]
        if config.growthLimit > 0 {
            parts.append("grows past \(factor(config.growthLimit)) times its RRsets with more than \(config.growthMinRRsets) added")
        }
        return parts.dropLast().joined(separator: ", ") + " or " + parts.last!
    }
}

extension ZoneCommand.SettingsParser {
    /// A factor above 1, or `0`/`off` for no growth guard.
    func growthLimit(_ text: String) throws -> Double {
        if text == "off" { return 0 }
        guard let limit = Double(text), limit.isFinite else {
            throw bad("--growth-limit \(text)", "expected a factor such as 10 (or 0 / off for no growth guard)")
        }
        return limit
    }

    func growthMinRRsets(_ text: String) throws -> Int {
        guard let count = Int(text), count >= 0 else {
            throw bad("--growth-min-rrsets \(text)", "expected a number of RRsets such as 1000")
        }
        return count
    }
}

extension ZoneCommand.Report.Settings {
    /// The `guards:` line of `zone status`.
    var guardsText: String {
        "refuse losing more than \(GuardText.percent(shrinkLimit)) of the RRsets"
            + (allowSerialDecrease ? "; serial decrease allowed" : "; serial decrease refused")
            + "; growth: \(GuardText.growth(growthLimit, growthMinRRsets))"
    }

    /// The `accept-next:` line of `zone status`, shown while the override is pending.
    func acceptNextText(now: Date) -> String {
        "pending: the next transfer passes the serial-decrease, shrink and growth guards (once); asked by "
            + "\(acceptNextBy ?? "unknown") at \(SignerStoreOptions.time(acceptNextAt, now: now))"
    }
}
