import DaemonKit
import DNSCore
import Foundation
import GRDB

/// The primary's zone store: one SQLite file shared by the daemon and the CLI.
///
/// WAL so readers (the daemon serving AXFR) never block the writer (the CLI); `synchronous=FULL` so a
/// committed edit survives power loss (an edit is an operator's decision, and NOTIFY announces it); a busy
/// timeout so two writers queue instead of failing; every writer opens `BEGIN IMMEDIATE`, taking the write
/// lock before reading the zone it will change, so no edit is computed from a stale read.
///
/// Records are stored in presentation form (owner, TTL, type code, RDATA text): the store is readable and
/// repairable with the `sqlite3` shell, and DNSCore's parser is the single place that validates RDATA, on
/// the way in and on the way out. Wire form would be faster to load, but loading is not a hot path (the
/// daemon keeps the zone in memory and reloads on a version change).
final class PrimaryStore: Sendable {
    let pool: DatabasePool
    let path: String
    /// Fired after a commit that recorded operator events (the daemon wakes its notification worker).
    let outboxSignal = OutboxSignal()

    /// How long a writer waits for another writer's lock before giving up.
    static let busyTimeout: TimeInterval = SQLiteDatabase.busyTimeout

    /// Opens (creating when missing, mode 0600: the file holds TSIG secrets) and migrates the store the
    /// way every DaemonKit database is opened; the notification outbox lives in the same file, so an
    /// operator event is committed with the change it reports.
    init(path: String) throws {
        self.path = path
        do {
            pool = try SQLiteDatabase.open(path: path, migrator: Migrations.migrator)
        } catch let error as SQLiteDatabase.OpenError {
            throw StoreError(.invalidArgument, reason: "cannot open the store: \(error)")
        }
    }

    // MARK: Transactions

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction; a throw rolls everything back.
    func writeImmediate<T>(_ body: (Database) throws -> T) throws -> T {
        try SQLiteDatabase.writeImmediate(pool, body)
    }

    // MARK: Zone rows

    struct ZoneRow {
        var id: Int64
        var name: String
        var serial: UInt32
        var serialPolicy: SerialPolicy
        var aliasFailurePolicy: AliasFailureSetting
        var keepLastMaxAge: Int
        var createdAt: Int64
        var updatedAt: Int64
        var version: Int64
    }

    static let zoneColumns =
        "id, name, serial, serial_policy, alias_failure_policy, keep_last_max_age, created_at, updated_at, version"

    static func zoneRow(_ row: Row) throws -> ZoneRow {
        let name: String = row["name"]
        guard let serialPolicy = SerialPolicy(rawValue: row["serial_policy"]),
              let aliasPolicy = AliasFailureSetting(rawValue: row["alias_failure_policy"])
        else { throw StoreError(.corrupt, zone: name, reason: "unknown policy in the zones table") }
        let serial: Int64 = row["serial"]
        return ZoneRow(
            id: row["id"], name: name, serial: UInt32(truncatingIfNeeded: serial), serialPolicy: serialPolicy,
            aliasFailurePolicy: aliasPolicy, keepLastMaxAge: row["keep_last_max_age"], createdAt: row["created_at"],
            updatedAt: row["updated_at"], version: row["version"])
    }

    /// The zone's row, or `unknownZone`.
    static func zoneRow(_ db: Database, _ name: DomainName) throws -> ZoneRow {
        let key = name.lowercased().text
        guard let row = try Row.fetchOne(
            db, sql: "SELECT \(zoneColumns) FROM zones WHERE name = ?", arguments: [key])
        else { throw StoreError(.unknownZone, zone: key, reason: "no such zone in the store") }
        return try zoneRow(row)
    }

    /// Parses a zone name given by an operator (always absolute: a trailing dot is optional).
    static func zoneName(_ text: String) throws -> DomainName {
        let absolute = text.hasSuffix(".") ? text : text + "."
        do {
            return try DomainName(absolute).lowercased()
        } catch {
            throw StoreError(.invalidName, zone: text, reason: "bad zone name: \(error)")
        }
    }

    // MARK: Records

    /// Reads the zone's records back through DNSCore's parser.
    static func loadZone(_ db: Database, _ zone: ZoneRow) throws -> Zone {
        let origin = try zoneName(zone.name)
        var text = ""
        let rows = try Row.fetchCursor(
            db, sql: "SELECT owner, ttl, type, rdata FROM records WHERE zone_id = ? ORDER BY id",
            arguments: [zone.id])
        while let row = try rows.next() {
            let owner: String = row["owner"]
            let ttl: Int64 = row["ttl"]
            let type: Int = row["type"]
            let rdata: String = row["rdata"]
            text += "\(owner)\t\(ttl)\tIN\t\(RecordType(UInt16(type)))\t\(rdata)\n"
        }
        do {
            return try Zone(parsing: text, origin: origin, file: "store:\(zone.name)")
        } catch {
            throw StoreError(.corrupt, zone: zone.name, reason: "stored records do not parse: \(error)")
        }
    }

    static func insert(_ rrset: RRset, zoneID: Int64, _ db: Database) throws {
        let owner = rrset.name.text
        let key = rrset.name.lowercased().text
        for rdata in rrset.rdatas {
            try db.execute(
                sql: "INSERT INTO records (zone_id, owner, owner_key, ttl, type, rdata) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [zoneID, owner, key, Int64(rrset.ttl), Int(rrset.type.rawValue), rdata.presentation])
        }
    }

    // MARK: Serials and validation

    /// The serial a zone gets on an edit: always greater than `old` (RFC 1982), at least the policy's
    /// candidate (a date), and the operator's own serial when they wrote a greater one.
    static func nextSerial(old: SerialNumber, policy: SerialPolicy, proposed: SerialNumber?, now: Date) -> SerialNumber {
        let candidate: SerialNumber
        switch policy {
        case .increment: candidate = old
        case .date: candidate = dateSerial(now)
        }
        let next = old.next(atLeast: candidate)
        if let proposed, proposed > next { return proposed }
        return next
    }

    /// YYYYMMDD00 in UTC.
    static func dateSerial(_ now: Date) -> SerialNumber {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        let value = UInt32(parts.year!) * 1_000_000 + UInt32(parts.month!) * 10_000 + UInt32(parts.day!) * 100
        return SerialNumber(value)
    }

    /// Throws `zoneCheckFailed` naming the first errors when `zone` fails DNSCore's checks.
    static func validate(_ zone: Zone, record: String?) throws {
        do {
            try zone.validate()
        } catch {
            let errors = error.errors
            let shown = errors.prefix(5).map(\.description).joined(separator: "; ")
            let more = errors.count > 5 ? " (and \(errors.count - 5) more)" : ""
            throw StoreError(.zoneCheckFailed, zone: zone.origin.text, record: record, reason: shown + more)
        }
    }

    /// Sets the SOA serial of `zone` per the zone's policy; a zone without SOA is left for `validate`.
    static func bumpSerial(_ zone: inout Zone, old: SerialNumber, policy: SerialPolicy, now: Date) -> SerialNumber? {
        guard let set = zone.rrset(at: zone.origin, type: .SOA), var soa = zone.soa else { return nil }
        let proposed = soa.serial == old ? nil : soa.serial
        soa.serial = nextSerial(old: old, policy: policy, proposed: proposed, now: now)
        zone.insert(RRset(name: set.name, type: .SOA, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: [.soa(soa)]))
        return soa.serial
    }

    /// The heart of every record edit: read the zone under the write lock, apply `change`, give it a new
    /// serial, check it, and write back only the RRsets that differ. A throw anywhere changes nothing.
    @discardableResult
    func edit(zone text: String, record: String?, now: Date, _ change: (inout Zone) throws -> Void) throws -> Zone {
        try edit(origin: PrimaryStore.zoneName(text), record: record, keepUnchanged: false, now: now, change).zone
    }

    /// `edit`, for the remote editors (RFC 2136 updates, the HTTP API): with `keepUnchanged`, a change
    /// that leaves every record as it was commits nothing and keeps the serial (RFC 2136 §3.6; a client
    /// re-sending the same state must not make every secondary transfer the zone).
    func edit(
        origin: DomainName, record: String?, keepUnchanged: Bool, now: Date, _ change: (inout Zone) throws -> Void
    ) throws -> (zone: Zone, changed: Bool) {
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            let old = try PrimaryStore.loadZone(db, row)
            var new = old
            try change(&new)
            if keepUnchanged && new == old { return (old, false) }
            // Checked before the serial is set, so a bad SOA RRset (none, two) is reported as it is.
            try PrimaryStore.validate(new, record: record)
            guard let serial = PrimaryStore.bumpSerial(
                &new, old: SerialNumber(row.serial), policy: row.serialPolicy, now: now)
            else { throw StoreError(.zoneCheckFailed, zone: row.name, record: record, reason: "no SOA record at the apex") }
            try PrimaryStore.commit(from: old, to: new, serial: serial, row: row, now: now, db)
            return (new, true)
        }
    }

    static func commit(from old: Zone, to new: Zone, serial: SerialNumber, row: ZoneRow, now: Date, _ db: Database) throws {
        // Rows are keyed by owner and type, so every (owner, type) the diff touches is rewritten whole from
        // the new zone: RRSIG sets of several covered types share one key.
        let diff = ZoneDiff(from: old, to: new)
        var touched: [DomainName: Set<RecordType>] = [:]
        for rrset in diff.removed + diff.added { touched[rrset.name, default: []].insert(rrset.type) }
        for (name, types) in touched {
            for type in types {
                try db.execute(
                    sql: "DELETE FROM records WHERE zone_id = ? AND owner_key = ? AND type = ?",
                    arguments: [row.id, name.lowercased().text, Int(type.rawValue)])
                for rrset in new.rrsets(at: name) where rrset.type == type {
                    try insert(rrset, zoneID: row.id, db)
                }
            }
        }
        try db.execute(
            sql: "UPDATE zones SET serial = ?, updated_at = ?, version = version + 1 WHERE id = ?",
            arguments: [Int64(serial.rawValue), timestamp(now), row.id])
    }

    /// Marks a zone changed (transfer ACL, NOTIFY targets, policies) without touching its records.
    static func touch(zoneID: Int64, now: Date, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE zones SET updated_at = ?, version = version + 1 WHERE id = ?",
            arguments: [timestamp(now), zoneID])
    }

    static func timestamp(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}

/// How a zone's SOA serial advances on an edit.
enum SerialPolicy: String, Sendable, CaseIterable, Codable {
    /// serial + 1.
    case increment
    /// YYYYMMDDnn (UTC), or serial + 1 once a day's hundred numbers are used up.
    case date
}

/// What an outgoing transfer does when an ALIAS target cannot be resolved.
/// A zone's stored choice of what to do when an ALIAS target does not resolve; DNSCore's
/// `AliasFailurePolicy` is the same choice with the keep-last age attached, ready for the expander.
enum AliasFailureSetting: String, Sendable, CaseIterable, Codable {
    case fail
    case keepLast = "keep-last"
    case ignore

    func policy(keepLastMaxAge: Int) -> AliasFailurePolicy {
        switch self {
        case .fail: .fail
        case .keepLast: .keepLast(maxAge: UInt64(max(0, keepLastMaxAge)))
        case .ignore: .ignore
        }
    }
}
