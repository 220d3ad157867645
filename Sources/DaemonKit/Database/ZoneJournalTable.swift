import DNSCore
import Foundation
import GRDB

/// A zone's journal as `zone status` shows it: how far back IXFR can answer from.
package struct JournalReach: Sendable, Equatable, Codable {
    package var oldestSerial: UInt32
    package var newestSerial: UInt32
    package var versions: Int
    package var bytes: Int64

    package var text: String { "serials \(oldestSerial)–\(newestSerial), \(versions) versions, \(bytes) bytes" }
}

/// Both daemons' `journal` table (migrations `v4-journal` and `signer-v5-journal`): one row per
/// version, the step from the version before (`JournalDeltaCodec`), `seq` ordering the steps,
/// `from_serial` finding where a client's IXFR starts, `bytes` the blob's length (summed for the byte
/// limit without reading the blobs). Every function runs inside the caller's transaction.
package enum ZoneJournalTable {
    /// The table as both migrations create it. Frozen: a later change to the table is a new
    /// migration in each daemon, never an edit here (it would rewrite two shipped migrations).
    package static let schemaV1 = """
        CREATE TABLE journal (
            zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            from_serial INTEGER NOT NULL CHECK (from_serial BETWEEN 0 AND 4294967295),
            to_serial INTEGER NOT NULL CHECK (to_serial BETWEEN 0 AND 4294967295),
            bytes INTEGER NOT NULL CHECK (bytes >= 0),
            data BLOB NOT NULL,
            PRIMARY KEY (zone_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX journal_from_serial ON journal(zone_id, from_serial);
        """

    /// Appends `delta` and drops the oldest steps beyond `limits`; with the journal turned off
    /// (`limits.isDisabled`) empties it instead. `data` is `JournalDeltaCodec.encode(delta)`, encoded
    /// before the caller took the write lock.
    package static func append(from: SerialNumber, to: SerialNumber, data: [UInt8], limits: JournalLimits,
                                zoneID: Int64, _ db: Database) throws {
        guard !limits.isDisabled else {
            try reset(zoneID: zoneID, db)
            return
        }
        let next = try Int64.fetchOne(db.cachedStatement(sql: "SELECT ifnull(max(seq), 0) + 1 FROM journal WHERE zone_id = ?"), arguments: [zoneID]) ?? 1
        try db.cachedStatement(sql: "INSERT INTO journal (zone_id, seq, from_serial, to_serial, bytes, data) VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [zoneID, next, Int64(from.rawValue), Int64(to.rawValue), data.count, Data(data)])
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, bytes FROM journal WHERE zone_id = ? ORDER BY seq"), arguments: [zoneID])
        let drop = limits.dropCount(sizesOldestFirst: rows.map { $0["bytes"] as Int })
        guard drop > 0 else { return }
        let lastDropped: Int64 = rows[drop - 1]["seq"]
        try db.cachedStatement(sql: "DELETE FROM journal WHERE zone_id = ? AND seq <= ?").execute(arguments: [zoneID, lastDropped])
    }

    /// Forgets the zone's history: the next version starts a new journal.
    package static func reset(zoneID: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM journal WHERE zone_id = ?").execute(arguments: [zoneID])
    }

    /// The steps from the first one starting at `serial` to the newest (what an IXFR from `serial`
    /// needs, `IXFRPlan` decides whether they reach); empty when none starts there.
    package static func steps(from serial: SerialNumber, zoneID: Int64, _ db: Database) throws -> [JournalDelta] {
        guard let start = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(seq) FROM journal WHERE zone_id = ? AND from_serial = ?"), arguments: [zoneID, Int64(serial.rawValue)])
        else { return [] }
        let blobs = try Data.fetchAll(db.cachedStatement(sql: "SELECT data FROM journal WHERE zone_id = ? AND seq >= ? ORDER BY seq"), arguments: [zoneID, start])
        return try blobs.map { blob throws(JournalError) in try JournalDeltaCodec.decode([UInt8](blob)) }
    }

    /// The newest step's serial, or nil when the journal is empty.
    package static func newestSerial(zoneID: Int64, _ db: Database) throws -> SerialNumber? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT to_serial FROM journal WHERE zone_id = ? ORDER BY seq DESC LIMIT 1"), arguments: [zoneID])
            .map { SerialNumber(UInt32(truncatingIfNeeded: $0)) }
    }

    /// How far back the journal reaches, or nil when it is empty.
    package static func reach(zoneID: Int64, _ db: Database) throws -> JournalReach? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT count(*) AS n, ifnull(sum(bytes), 0) AS total,
                (SELECT from_serial FROM journal WHERE zone_id = ?1 ORDER BY seq LIMIT 1) AS oldest,
                (SELECT to_serial FROM journal WHERE zone_id = ?1 ORDER BY seq DESC LIMIT 1) AS newest
            FROM journal WHERE zone_id = ?1
            """), arguments: [zoneID]),
            let count = row["n"] as Int?, count > 0, let oldest = row["oldest"] as Int64?, let newest = row["newest"] as Int64?
        else { return nil }
        return JournalReach(oldestSerial: UInt32(truncatingIfNeeded: oldest), newestSerial: UInt32(truncatingIfNeeded: newest),
                            versions: count, bytes: row["total"])
    }
}
