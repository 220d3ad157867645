import DaemonKit
import DNSCore
import Foundation
import GRDB

/// The guard settings added by migration signer-v3-guards (growth limit, who asked for accept-next),
/// kept apart from the zone rows' original columns, and `zone accept-next` itself.
extension SignerStore {
    /// What `requestAcceptNext` stored and recorded.
    struct AcceptNextRequest: Sendable, Equatable {
        var zone: String
        var by: String
        var at: Int64
        /// The refusal the operator presumably checked (the zone's last), if any.
        var lastRefusal: String?
        var event: OperatorEvent
    }

    /// `zone accept-next`: lets the zone's next transfer through the policy guards (serial decrease,
    /// shrink, growth) once. Stores who asked (`by`, the OS user running the CLI) and when, and records a
    /// `transfer.accept-next` event naming them — in one transaction, so the override never exists without
    /// its event. Structural refusals (a broken transfer, TSIG, semantic errors, out-of-zone data, the size
    /// limits) are not affected, and the event says so.
    @discardableResult
    func requestAcceptNext(_ name: String, by: String, now: Date) throws -> AcceptNextRequest {
        let origin = try SignerStore.zoneName(name)
        let zone = origin.text
        let at = SignerStore.timestamp(now)
        let request = try writeImmediate { db -> AcceptNextRequest in
            let id = try SignerStore.zoneID(db, origin)
            let lastRefusal = try String.fetchOne(db, sql: "SELECT last_refusal FROM zone_state WHERE zone_id = ?", arguments: [id])
            try db.execute(sql: "UPDATE zones SET accept_next = 1, accept_next_by = ?, accept_next_at = ? WHERE id = ?",
                           arguments: [by, at, id])
            try SignerStore.touch(zoneID: id, now: now, db)
            var details = ["by": by, "at": "\(at)", "guards": "serial-decrease,shrink,growth"]
            if let lastRefusal { details["lastRefusal"] = lastRefusal }
            let event = OperatorEvent(
                kind: .transferAcceptNext, severity: .warning, zone: zone, time: at,
                summary: "\(zone): \(by) ran accept-next: the next transfer is taken once even if it lowers the serial, "
                    + "shrinks or grows the zone past the limits; broken transfers are still refused"
                    + (lastRefusal.map { " (last refusal: \($0))" } ?? ""),
                details: details)
            try Outbox.record(event, in: db)
            return AcceptNextRequest(zone: zone, by: by, at: at, lastRefusal: lastRefusal, event: event)
        }
        outboxSignal.eventsCommitted()
        return request
    }

    // MARK: Columns

    static func writeGuardSettings(_ config: SignerZoneConfig, zoneID: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE zones SET growth_limit = ?, growth_min_rrsets = ? WHERE id = ?").execute(arguments: [config.growthLimit, config.growthMinRRsets, zoneID])
    }

    static func readGuardSettings(_ row: Row, into config: inout SignerZoneConfig) {
        config.growthLimit = row["growth_limit"]
        config.growthMinRRsets = row["growth_min_rrsets"]
        // Who and when are kept after the override is used; they mean something only while it is pending.
        config.acceptNextBy = config.acceptNext ? row["accept_next_by"] : nil
        config.acceptNextAt = config.acceptNext ? row["accept_next_at"] : nil
    }

    static func checkGuards(_ config: SignerZoneConfig, zone: String) throws {
        guard config.growthLimit.isFinite, config.growthLimit == 0 || config.growthLimit > 1 else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "growth limit \(config.growthLimit)",
                                   reason: "must be a factor above 1 (10 refuses a zone grown to more than 10 times its RRsets), or 0 for no growth guard")
        }
        guard config.growthMinRRsets >= 0 else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "growth minimum \(config.growthMinRRsets)",
                                   reason: "must be a number of RRsets, 0 or more")
        }
    }
}
