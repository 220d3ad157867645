import DaemonKit
import DNSCore
import Foundation
import GRDB

/// Review before publishing (migration signer-v4-review): the zone's review settings as columns of
/// `zones`, and the version under review in `pending_review` — written by the daemon when a version
/// waits for the operator or a command rejected it, decided by `zone approve|reject`.
extension SignerStore {
    /// One zone's review row.
    struct ReviewRecord: Sendable, Equatable {
        enum Status: String, Sendable, Equatable, Codable {
            case pending, approved, rejected
        }

        var stage: ReviewGate.Stage
        var status: Status
        var candidate: ReviewGate.Candidate
        /// Where the daemon wrote the zone for the operator to read (while it waits).
        var zoneFile: String?
        /// Why it was rejected.
        var reason: String?
        var createdAt: Int64
        var decidedBy: String?
        var decidedAt: Int64?

        /// The serial `zone approve|reject` names: the unsigned one for the unsigned review, else the signed one.
        var serial: UInt32 { candidate.serial(for: stage) }

        /// The review machine's phase this row stands for.
        var phase: ReviewGate.Phase {
            switch status {
            case .pending: .waiting(candidate, stage, since: createdAt)
            case .approved: .approved(candidate, through: stage)
            case .rejected: .rejected(candidate, stage, reason: reason ?? "rejected")
            }
        }
    }

    func review(zone name: String) throws -> ReviewRecord? {
        let origin = try SignerStore.zoneName(name)
        return try pool.read { db in try SignerStore.review(db, zoneID: SignerStore.zoneID(db, origin), zone: origin.text) }
    }

    static func review(_ db: Database, zoneID: Int64, zone: String) throws -> ReviewRecord? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM pending_review WHERE zone_id = ?", arguments: [zoneID]) else { return nil }
        guard let stage = ReviewGate.Stage(rawValue: row["stage"]), let status = ReviewRecord.Status(rawValue: row["status"]) else {
            throw SignerStoreError(.corrupt, zone: zone, field: "pending review", reason: "unknown stage or status in the store")
        }
        let hash: Data = row["content_hash"]
        let candidate = ReviewGate.Candidate(
            contentHash: [UInt8](hash), unsignedSerial: UInt32(truncatingIfNeeded: row["unsigned_serial"] as Int64),
            signedSerial: UInt32(truncatingIfNeeded: row["signed_serial"] as Int64),
            previousSignedSerial: (row["previous_signed_serial"] as Int64?).map { UInt32(truncatingIfNeeded: $0) })
        return ReviewRecord(stage: stage, status: status, candidate: candidate, zoneFile: row["zone_file"], reason: row["reason"],
                            createdAt: row["created_at"], decidedBy: row["decided_by"], decidedAt: row["decided_at"])
    }

    /// Stores the zone's review row (replacing any) with the events that report it, in one transaction.
    func recordReview(zone name: String, _ record: ReviewRecord, events: [OperatorEvent]) throws {
        let origin = try SignerStore.zoneName(name)
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO pending_review (zone_id, stage, status, unsigned_serial, signed_serial,
                        previous_signed_serial, content_hash, zone_file, reason, created_at, decided_by, decided_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, record.stage.rawValue, record.status.rawValue, Int64(record.candidate.unsignedSerial),
                    Int64(record.candidate.signedSerial), record.candidate.previousSignedSerial.map { Int64($0) },
                    Data(record.candidate.contentHash), record.zoneFile, record.reason, record.createdAt,
                    record.decidedBy, record.decidedAt,
                ])
            for event in events { try Outbox.record(event, in: db) }
        }
        if !events.isEmpty { outboxSignal.eventsCommitted() }
    }

    /// Forgets the zone's review row (its version was published, superseded, or the settings changed).
    func clearReview(zone name: String) throws {
        let origin = try SignerStore.zoneName(name)
        try writeImmediate { db in
            try db.execute(sql: "DELETE FROM pending_review WHERE zone_id = ?", arguments: [SignerStore.zoneID(db, origin)])
        }
    }

    /// `zone approve|reject ZONE SERIAL`: decides the version waiting for the operator, when `serial` is
    /// the one waiting (the unsigned serial at the unsigned review, the signed serial at the signed one).
    /// Stores the decision with who and when and records `review.approved` or `review.rejected`, in one
    /// transaction, and raises the configuration version so the running daemon takes it within a second.
    @discardableResult
    func decideReview(zone name: String, serial: UInt32, approve: Bool, by: String, now: Date) throws -> ReviewRecord {
        let origin = try SignerStore.zoneName(name)
        let zone = origin.text
        let at = SignerStore.timestamp(now)
        let record = try writeImmediate { db -> ReviewRecord in
            let id = try SignerStore.zoneID(db, origin)
            guard var record = try SignerStore.review(db, zoneID: id, zone: zone), record.status != .rejected else {
                throw SignerStoreError(.notFound, zone: zone, reason: "no version is waiting for review (`dns-signer zone status \(zone)` shows the review state)")
            }
            guard record.status == .pending else {
                throw SignerStoreError(.invalidArgument, zone: zone, field: "serial \(serial)",
                                       reason: "already approved by \(record.decidedBy ?? "someone") at \(SignerStoreOptions.time(record.decidedAt)); the daemon publishes it at its next poll")
            }
            guard record.serial == serial else {
                throw SignerStoreError(.invalidArgument, zone: zone, field: "serial \(serial)",
                                       reason: "not the version waiting for review: the \(record.stage.rawValue) version with serial \(record.serial) is (give that serial)")
            }
            record.status = approve ? .approved : .rejected
            record.decidedBy = by
            record.decidedAt = at
            if !approve { record.reason = "rejected by \(by)" }
            try db.execute(sql: "UPDATE pending_review SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE zone_id = ?",
                           arguments: [record.status.rawValue, by, at, record.reason, id])
            try SignerStore.touch(zoneID: id, now: now, db)
            let stage = record.stage.rawValue
            let event = approve
                ? OperatorEvent(kind: .reviewApproved, severity: .info, zone: zone, time: at,
                                summary: "\(zone): \(by) approved the \(stage) version with serial \(serial); it goes on at the next poll",
                                details: Self.reviewDetails(record))
                : OperatorEvent(kind: .reviewRejected, severity: .warning, zone: zone, time: at,
                                summary: "\(zone): \(by) rejected the \(stage) version with serial \(serial); still serving the previous version",
                                details: Self.reviewDetails(record))
            try Outbox.record(event, in: db)
            return record
        }
        outboxSignal.eventsCommitted()
        return record
    }

    /// What review events carry for machines.
    static func reviewDetails(_ record: ReviewRecord) -> [String: String] {
        var details = [
            "stage": record.stage.rawValue, "serial": "\(record.serial)",
            "unsignedSerial": "\(record.candidate.unsignedSerial)", "signedSerial": "\(record.candidate.signedSerial)",
            "previousSignedSerial": record.candidate.previousSignedSerial.map { "\($0)" } ?? "none",
        ]
        if let by = record.decidedBy { details["by"] = by }
        if let reason = record.reason { details["reason"] = reason }
        if let file = record.zoneFile { details["zoneFile"] = file }
        return details
    }

    // MARK: Settings columns

    static func writeReviewSettings(_ config: SignerZoneConfig, zoneID: Int64, _ db: Database) throws {
        try db.cachedStatement(
            sql: "UPDATE zones SET review_unsigned = ?, review_signed = ?, review_command = ?, review_timeout = ? WHERE id = ?").execute(arguments: [config.reviewUnsigned.rawValue, config.reviewSigned.rawValue, config.reviewCommand, config.reviewTimeout, zoneID])
    }

    static func readReviewSettings(_ row: Row, into config: inout SignerZoneConfig) throws {
        guard let unsigned = ReviewGate.Mode(rawValue: row["review_unsigned"]), let signed = ReviewGate.Mode(rawValue: row["review_signed"]) else {
            throw SignerStoreError(.corrupt, zone: config.origin.text, field: "review mode", reason: "unknown in the store")
        }
        config.reviewUnsigned = unsigned
        config.reviewSigned = signed
        config.reviewCommand = row["review_command"]
        config.reviewTimeout = row["review_timeout"]
    }

    static func checkReviewSettings(_ config: SignerZoneConfig, zone: String) throws {
        if let command = config.reviewCommand, !command.hasPrefix("/") || command.contains("\n") {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "review command \(command)",
                                   reason: "give the program's absolute path (it is run without a shell)")
        }
        if (config.reviewUnsigned == .command || config.reviewSigned == .command) && config.reviewCommand == nil {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "review mode command",
                                   reason: "give the program to run with --review-command PATH")
        }
        guard (1...86_400).contains(config.reviewTimeout) else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "review timeout \(config.reviewTimeout)s",
                                   reason: "must be from 1 second to 1 day")
        }
    }
}
