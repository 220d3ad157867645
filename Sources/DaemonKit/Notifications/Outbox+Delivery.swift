import Foundation
import GRDB

/// The delivery side of the outbox: one row per (event, channel) in `outbox_deliveries`, and per channel
/// in `outbox_channels` how far through the events it has been scheduled and whether its endpoint was
/// disabled (HTTP 410). Only the notification worker writes these tables.
extension Outbox {
    static func registerDeliveryMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("outbox-v2") { db in
            try db.execute(sql: """
                CREATE TABLE outbox_channels (
                    name TEXT PRIMARY KEY,
                    -- seq of the last outbox event this channel was scheduled for (or skipped)
                    scheduled_through INTEGER NOT NULL,
                    disabled_at INTEGER,
                    disabled_reason TEXT,
                    -- the URL the endpoint had when it was disabled: a new URL enables the channel again
                    disabled_target TEXT
                );
                CREATE TABLE outbox_deliveries (
                    event_id TEXT NOT NULL REFERENCES outbox_events(id) ON DELETE CASCADE,
                    channel TEXT NOT NULL,
                    event_seq INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'disabled')),
                    -- a zone.resigned event waiting for its channel's digest
                    batched INTEGER NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    first_failure_at INTEGER,
                    next_attempt_at INTEGER NOT NULL,
                    last_error TEXT,
                    delivered_at INTEGER,
                    PRIMARY KEY (event_id, channel)
                );
                CREATE INDEX outbox_deliveries_queue ON outbox_deliveries (channel, state, batched, event_seq);
                """)
        }
    }

    /// One event's delivery to one channel, as stored.
    package struct Delivery: Sendable, Equatable {
        package var eventID: String
        package var eventSeq: Int64
        package var channel: String
        /// Waiting for the channel's `zone.resigned` digest.
        package var batched: Bool
        package var machine: DeliveryMachine
    }

    /// A channel's stored state.
    package struct ChannelStatus: Sendable, Equatable {
        package var name: String
        package var scheduledThrough: Int64
        package var disabledAt: Int64?
        package var disabledReason: String?
        package var disabledTarget: String?
        package var isDisabled: Bool { disabledAt != nil }
    }

    /// Deliveries in event order, optionally of one channel or one event (for status output and tests).
    package static func deliveries(channel: String? = nil, eventID: String? = nil, in db: Database) throws -> [Delivery] {
        try Row.fetchAll(db, sql: """
            SELECT * FROM outbox_deliveries WHERE (?1 IS NULL OR channel = ?1) AND (?2 IS NULL OR event_id = ?2)
            ORDER BY event_seq, channel
            """, arguments: [channel, eventID]).compactMap(delivery(from:))
    }

    /// Every channel the worker has seen, with its disabled state.
    package static func channels(in db: Database) throws -> [ChannelStatus] {
        try Row.fetchAll(db, sql: "SELECT * FROM outbox_channels ORDER BY name").map { row in
            ChannelStatus(name: row["name"], scheduledThrough: row["scheduled_through"], disabledAt: row["disabled_at"],
                          disabledReason: row["disabled_reason"], disabledTarget: row["disabled_target"])
        }
    }

    /// Deletes events older than `time` whose deliveries are all settled (delivered, failed or disabled),
    /// with their deliveries; returns how many events went. Pending work is never pruned.
    @discardableResult
    package static func prune(before time: Int64, in db: Database) throws -> Int {
        try db.execute(sql: """
            DELETE FROM outbox_events WHERE time < ? AND NOT EXISTS (
                SELECT 1 FROM outbox_deliveries d WHERE d.event_id = outbox_events.id AND d.state = 'pending')
            """, arguments: [time])
        return db.changesCount
    }

    // MARK: Worker queries

    static func delivery(from row: Row) -> Delivery? {
        guard let state = DeliveryMachine.State(rawValue: row["state"]) else { return nil }
        return Delivery(
            eventID: row["event_id"], eventSeq: row["event_seq"], channel: row["channel"], batched: row["batched"],
            machine: DeliveryMachine(state: state, attempts: row["attempts"], firstFailureAt: row["first_failure_at"],
                                     nextAttemptAt: row["next_attempt_at"], lastError: row["last_error"],
                                     deliveredAt: row["delivered_at"]))
    }

    /// An event row as recorded; nil for a kind or severity this build does not know (a newer daemon
    /// wrote it), which is then never scheduled rather than misdelivered.
    static func event(from row: Row) -> OperatorEvent? {
        guard let kind = OperatorEvent.Kind(rawValue: row["kind"]),
              let severity = OperatorEvent.Severity(rawValue: row["severity"]) else { return nil }
        let detailsText: String = row["details"]
        let details = (try? JSONDecoder().decode([String: String].self, from: Data(detailsText.utf8))) ?? [:]
        return OperatorEvent(id: row["id"], kind: kind, severity: severity, zone: row["zone"], time: row["time"],
                             summary: row["summary"], details: details)
    }

    static func channelStatus(_ name: String, in db: Database) throws -> ChannelStatus? {
        try channels(in: db).first { $0.name == name }
    }

    /// Creates the pending deliveries `channel` has not had yet (events after its `scheduled_through`
    /// that pass its filters and `wants`), and moves its mark to the newest event. A channel seen for the
    /// first time starts with the events of the last `backlog` seconds, not the whole history.
    static func schedule(
        _ channel: NotificationChannel, now: Int64, backlog: Int64, wants: (OperatorEvent) -> Bool, in db: Database
    ) throws -> ChannelStatus {
        var status: ChannelStatus
        if let existing = try channelStatus(channel.name, in: db) {
            status = existing
        } else {
            let start = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM outbox_events WHERE time < ?",
                                           arguments: [now - backlog]) ?? 0
            try db.execute(sql: "INSERT INTO outbox_channels (name, scheduled_through) VALUES (?, ?)",
                           arguments: [channel.name, start])
            status = ChannelStatus(name: channel.name, scheduledThrough: start)
        }
        if status.isDisabled && status.disabledTarget != channel.target {
            try db.execute(sql: """
                UPDATE outbox_channels SET disabled_at = NULL, disabled_reason = NULL, disabled_target = NULL WHERE name = ?
                """, arguments: [channel.name])
            status.disabledAt = nil
            status.disabledReason = nil
            status.disabledTarget = nil
        }
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM outbox_events WHERE seq > ? ORDER BY seq",
                                    arguments: [status.scheduledThrough])
        guard let last: Int64 = rows.last?["seq"] else { return status }
        if !status.isDisabled {
            var openDigestDue = try Int64.fetchOne(db, sql: """
                SELECT MIN(next_attempt_at) FROM outbox_deliveries
                WHERE channel = ? AND state = 'pending' AND batched = 1 AND attempts = 0
                """, arguments: [channel.name])
            for row in rows {
                guard let event = event(from: row), channel.accepts(event), wants(event) else { continue }
                let batched = channel.digestInterval > 0 && event.kind == .zoneResigned
                var due = now
                if batched {
                    due = openDigestDue ?? now + channel.digestInterval
                    openDigestDue = due
                }
                try db.execute(sql: """
                    INSERT OR IGNORE INTO outbox_deliveries (event_id, channel, event_seq, state, batched, next_attempt_at)
                    VALUES (?, ?, ?, 'pending', ?, ?)
                    """, arguments: [event.id, channel.name, row["seq"] as Int64, batched, due])
            }
        }
        try db.execute(sql: "UPDATE outbox_channels SET scheduled_through = ? WHERE name = ?", arguments: [last, channel.name])
        status.scheduledThrough = last
        return status
    }

    /// The channel's oldest pending event outside digests (due or not: it blocks the ones behind it).
    static func head(of channel: String, in db: Database) throws -> (Delivery, OperatorEvent)? {
        let row = try Row.fetchOne(db, sql: """
            SELECT d.*, e.kind, e.severity, e.zone, e.time, e.summary, e.details, e.id
            FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id
            WHERE d.channel = ? AND d.state = 'pending' AND d.batched = 0
            ORDER BY d.event_seq LIMIT 1
            """, arguments: [channel])
        guard let row, let delivery = delivery(from: row), let event = event(from: row) else { return nil }
        return (delivery, event)
    }

    /// The channel's next digest: the one already attempted (its members fixed), else every pending
    /// `zone.resigned` delivery not yet attempted.
    static func digest(of channel: String, in db: Database) throws -> [(Delivery, OperatorEvent)] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT d.*, e.kind, e.severity, e.zone, e.time, e.summary, e.details, e.id
            FROM outbox_deliveries d JOIN outbox_events e ON e.id = d.event_id
            WHERE d.channel = ? AND d.state = 'pending' AND d.batched = 1
            ORDER BY d.event_seq
            """, arguments: [channel])
        let members = rows.compactMap { row -> (Delivery, OperatorEvent)? in
            guard let delivery = delivery(from: row), let event = event(from: row) else { return nil }
            return (delivery, event)
        }
        let inFlight = members.filter { $0.0.machine.attempts > 0 }
        return inFlight.isEmpty ? members : inFlight
    }

    static func save(_ delivery: Delivery, in db: Database) throws {
        let machine = delivery.machine
        try db.execute(sql: """
            UPDATE outbox_deliveries SET state = ?, attempts = ?, first_failure_at = ?, next_attempt_at = ?,
                last_error = ?, delivered_at = ?
            WHERE event_id = ? AND channel = ?
            """, arguments: [machine.state.rawValue, machine.attempts, machine.firstFailureAt, machine.nextAttemptAt,
                             machine.lastError.map { String($0.prefix(1000)) }, machine.deliveredAt,
                             delivery.eventID, delivery.channel])
    }

    /// Disables `channel` (persisted, with the target it had) and settles its pending deliveries as
    /// disabled.
    static func disable(_ channel: NotificationChannel, reason: String, now: Int64, in db: Database) throws {
        try db.execute(sql: """
            UPDATE outbox_channels SET disabled_at = ?, disabled_reason = ?, disabled_target = ? WHERE name = ?
            """, arguments: [now, reason, channel.target, channel.name])
        try db.execute(sql: """
            UPDATE outbox_deliveries SET state = 'disabled', last_error = COALESCE(last_error, ?)
            WHERE channel = ? AND state = 'pending'
            """, arguments: ["channel disabled: \(reason)", channel.name])
    }
}
