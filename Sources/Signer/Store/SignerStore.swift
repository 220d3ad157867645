import DNSCore
import DaemonKit
import Foundation
import GRDB

/// The signer's store: one SQLite file shared by the daemon and the CLI (opened by DaemonKit: WAL,
/// `synchronous=FULL`, mode 0600, busy timeout). It holds the zones' settings, their downstream
/// secondaries, the TSIG keys, the zones' private keys, what the daemon knows about each zone, and the
/// last published unsigned and signed copies, one row per owner name (`ZoneNodeCodec`), so a restarted
/// signer serves at once and a change rewrites only the names it touched.
///
/// Every write is one `BEGIN IMMEDIATE` transaction; events for operators are recorded in the outbox
/// inside the same transaction as the change they report.
final class SignerStore: Sendable {
    let pool: DatabasePool
    let path: String
    /// Fired after a commit that recorded operator events (the daemon wakes its notification worker).
    let outboxSignal = OutboxSignal()

    /// Where the CLI and the daemon look when no `--db` is given.
    static let defaultPath = "/var/lib/countersign/signer.db"

    /// How much signed history the journal keeps per zone (the daemon's `--journal-max-versions` and
    /// `--journal-max-bytes`); the CLI, which never publishes, keeps the default.
    let journalLimits: JournalLimits

    init(path: String, journalLimits: JournalLimits = .default) throws {
        self.path = path
        self.journalLimits = journalLimits
        pool = try SQLiteDatabase.open(path: path, migrator: SignerMigrations.migrator)
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction; a throw rolls everything back.
    func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        try SQLiteDatabase.writeImmediate(pool, body)
    }

    // MARK: Configuration version

    /// A counter raised by every change to any zone's settings, downstream entries or TSIG keys (not
    /// by the daemon's own bookkeeping: state, published copies, clearing a refresh request). The
    /// daemon compares it every second to notice CLI edits.
    func configVersion() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT version FROM config_version WHERE id = 1") ?? 0 }
    }

    /// Marks a configuration change: the global counter, and the zone's own version and update time.
    static func touch(zoneID: Int64?, now: Date, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE config_version SET version = version + 1 WHERE id = 1").execute()
        if let zoneID {
            try db.cachedStatement(sql: "UPDATE zones SET updated_at = ?, version = version + 1 WHERE id = ?").execute(arguments: [timestamp(now), zoneID])
        }
    }

    static func timestamp(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }

    // MARK: Names

    /// Parses a zone name given by an operator (always absolute: a trailing dot is optional).
    static func zoneName(_ text: String) throws -> DomainName {
        guard !text.isEmpty, !text.contains(where: \.isNewline) else {
            throw SignerStoreError(.invalidName, zone: text, reason: "bad zone name")
        }
        let absolute = text.hasSuffix(".") ? text : text + "."
        do {
            return try DomainName(absolute).lowercased()
        } catch {
            throw SignerStoreError(.invalidName, zone: text, reason: "bad zone name: \(error)")
        }
    }

    /// The zone's row id, or `unknownZone`.
    static func zoneID(_ db: Database, _ origin: DomainName) throws -> Int64 {
        let name = origin.lowercased().text
        guard let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM zones WHERE name = ?"), arguments: [name]) else {
            throw SignerStoreError(.unknownZone, zone: name, reason: "no such zone in the store (see `dns-signer zone list`)")
        }
        return id
    }
}
