import DNSCore
import Foundation
import Logging

extension ZoneWorker {
    /// The transfer guards for one poll, from the zone's settings. Settings the store should have refused
    /// (an older build's, or edited by hand) fall back to the defaults with an error in the log rather
    /// than leaving the zone unguarded. A pending `accept-next` is logged with who asked for it and when,
    /// so the log shows which transfer the operator's override was in force for.
    static func guards(for config: SignerZoneConfig, logger: Logger) -> TransferGuard {
        let zone = config.origin.text
        var guards = TransferGuard(
            shrinkLimit: config.shrinkLimit, allowSerialDecrease: config.allowSerialDecrease, acceptNext: config.acceptNext,
            growthLimit: config.growthLimit, growthMinRRsets: config.growthMinRRsets)
        if let problem = guards.problem {
            logger.error("bad guard settings; using defaults", metadata: ["zone": "\(zone)", "reason": "\(problem)"])
            guards = TransferGuard(acceptNext: config.acceptNext)
        }
        if config.acceptNext {
            logger.notice("accept-next pending: this transfer passes the serial-decrease, shrink and growth guards", metadata: [
                "zone": "\(zone)", "by": "\(config.acceptNextBy ?? "unknown")",
                "at": "\(config.acceptNextAt.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval($0))) } ?? "unknown")",
            ])
        }
        return guards
    }
}
