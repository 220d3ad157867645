import Foundation
import GRDB

/// The notification outbox, kept in the daemon's own database: an event is recorded in the same
/// transaction as the state change it reports, and delivered later by a worker, once per channel.
///
/// (Interface fixed by the lead; the delivery side is being written in this folder.)
package enum Outbox {
    /// Adds the outbox tables to a daemon's migrator. Call once, after the daemon's own migrations.
    package static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("outbox-v1") { db in
            try db.execute(sql: """
                CREATE TABLE outbox_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    zone TEXT,
                    time INTEGER NOT NULL,
                    summary TEXT NOT NULL,
                    details TEXT NOT NULL
                );
                """)
        }
        registerDeliveryMigrations(&migrator)
    }

    /// Records `event` inside the caller's transaction `db`.
    package static func record(_ event: OperatorEvent, in db: Database) throws {
        let details = String(decoding: try JSONEncoder().encode(event.details), as: UTF8.self)
        // Prepared once per connection: every published version records its events here.
        try db.cachedStatement(sql: "INSERT INTO outbox_events (id, kind, severity, zone, time, summary, details) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(
            arguments: [event.id, event.kind.rawValue, event.severity.rawValue, event.zone, event.time, event.summary, details])
    }

    /// The most recent events, newest first (for `zone status` and tests).
    package static func recent(zone: String? = nil, limit: Int = 20, in db: Database) throws -> [OperatorEvent] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, kind, severity, zone, time, summary, details FROM outbox_events
            WHERE ?1 IS NULL OR zone = ?1 ORDER BY seq DESC LIMIT ?2
            """, arguments: [zone, limit])
        return rows.compactMap { row in
            guard let kind = OperatorEvent.Kind(rawValue: row["kind"]),
                  let severity = OperatorEvent.Severity(rawValue: row["severity"]) else { return nil }
            let detailsText: String = row["details"]
            let details = (try? JSONDecoder().decode([String: String].self, from: Data(detailsText.utf8))) ?? [:]
            return OperatorEvent(id: row["id"], kind: kind, severity: severity, zone: row["zone"], time: row["time"],
                                 summary: row["summary"], details: details)
        }
    }
}
