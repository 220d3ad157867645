import DNSCore
import Foundation
import GRDB

/// What `zone list` and `zone show` print.
struct ZoneSummary: Sendable, Equatable, Codable {
    var name: String
    var serial: UInt32
    var serialPolicy: SerialPolicy
    var aliasFailurePolicy: AliasFailureSetting
    /// Seconds the `keep-last` policy may serve old ALIAS answers.
    var keepLastMaxAge: Int
    var recordCount: Int
    var createdAt: Date
    var updatedAt: Date
    /// Bumped on every change to the zone or its transfer settings.
    var version: Int64
}

extension PrimaryStore {
    /// Creates a zone holding an SOA and the apex NS RRset (at least one name server).
    @discardableResult
    func createZone(
        _ name: String, ns: [String], email: String, serialPolicy: SerialPolicy = .increment,
        aliasFailurePolicy: AliasFailureSetting = .fail, keepLastMaxAge: Int = 86400, ttl: UInt32 = 3600,
        now: Date
    ) throws -> ZoneSummary {
        let origin = try PrimaryStore.zoneName(name)
        let zoneText = origin.text
        guard !ns.isEmpty else {
            throw StoreError(.invalidArgument, zone: zoneText, reason: "a zone needs at least one name server")
        }
        guard keepLastMaxAge >= 0 else {
            throw StoreError(.invalidArgument, zone: zoneText, reason: "keep-last max age must not be negative")
        }
        var servers: [DomainName] = []
        for server in ns {
            do { servers.append(try DomainName(server, origin: origin)) } catch {
                throw StoreError(.invalidName, zone: zoneText, record: "@ NS \(server)", reason: "bad name server name: \(error)")
            }
        }
        let rname = try PrimaryStore.mailbox(email, zone: zoneText)
        let serial = serialPolicy == .date ? PrimaryStore.dateSerial(now) : SerialNumber(1)
        let soa = SOA(
            mname: servers[0], rname: rname, serial: serial, refresh: 3600, retry: 600, expire: 1_209_600,
            minimum: 300)
        var zone = Zone(origin: origin)
        zone.insert(RRset(name: origin, type: .SOA, ttl: ttl, rdatas: [.soa(soa)]))
        zone.insert(RRset(name: origin, type: .NS, ttl: ttl, rdatas: servers.map { .ns(NS(target: $0)) }))
        try PrimaryStore.validate(zone, record: nil)
        return try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM zones WHERE name = ?", arguments: [zoneText]) != nil {
                throw StoreError(.zoneExists, zone: zoneText, reason: "the zone already exists")
            }
            let id = try PrimaryStore.insertZoneRow(
                db, name: zoneText, serial: serial, serialPolicy: serialPolicy, aliasFailurePolicy: aliasFailurePolicy,
                keepLastMaxAge: keepLastMaxAge, now: now)
            for rrset in zone.rrsets { try PrimaryStore.insert(rrset, zoneID: id, db) }
            return try PrimaryStore.summary(db, PrimaryStore.zoneRow(db, origin))
        }
    }

    /// Replaces the whole content of a zone with a master file, atomically; creates the zone when absent.
    /// The serial still rises past the stored one (the file's own serial wins when it is greater).
    @discardableResult
    func importZone(
        _ name: String, zoneText: String, serialPolicy: SerialPolicy = .increment, now: Date
    ) throws -> ZoneSummary {
        let origin = try PrimaryStore.zoneName(name)
        let parsed: Zone
        do {
            parsed = try Zone(parsing: zoneText, origin: origin, file: origin.text)
        } catch {
            throw StoreError(.invalidZoneFile, zone: origin.text, reason: error.description)
        }
        return try writeImmediate { db in
            let existing = try Row.fetchOne(
                db, sql: "SELECT \(PrimaryStore.zoneColumns) FROM zones WHERE name = ?", arguments: [origin.text])
            if let existing {
                let row = try PrimaryStore.zoneRow(existing)
                let old = try PrimaryStore.loadZone(db, row)
                var new = parsed
                try PrimaryStore.validate(new, record: nil)
                guard let serial = PrimaryStore.bumpSerial(
                    &new, old: SerialNumber(row.serial), policy: row.serialPolicy, now: now)
                else { throw StoreError(.zoneCheckFailed, zone: row.name, reason: "no SOA record at the apex") }
                try PrimaryStore.commit(from: old, to: new, serial: serial, row: row, now: now, db)
            } else {
                try PrimaryStore.validate(parsed, record: nil)
                let serial = parsed.serial!
                let id = try PrimaryStore.insertZoneRow(
                    db, name: origin.text, serial: serial, serialPolicy: serialPolicy, aliasFailurePolicy: .fail,
                    keepLastMaxAge: 86400, now: now)
                for rrset in parsed.rrsets { try PrimaryStore.insert(rrset, zoneID: id, db) }
            }
            return try PrimaryStore.summary(db, PrimaryStore.zoneRow(db, origin))
        }
    }

    /// The zone as stored (unexpanded: ALIAS records stay ALIAS).
    func exportZone(_ name: String) throws -> Zone {
        let origin = try PrimaryStore.zoneName(name)
        return try pool.read { db in try PrimaryStore.loadZone(db, PrimaryStore.zoneRow(db, origin)) }
    }

    /// Every problem DNSCore's checks find in the stored zone, warnings included (`zone check`).
    func checkZone(_ name: String) throws -> [ZoneProblem] {
        try exportZone(name).check()
    }

    func listZones() throws -> [ZoneSummary] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(PrimaryStore.zoneColumns) FROM zones ORDER BY name").map {
                try PrimaryStore.summary(db, PrimaryStore.zoneRow($0))
            }
        }
    }

    func zone(_ name: String) throws -> ZoneSummary {
        let origin = try PrimaryStore.zoneName(name)
        return try pool.read { db in try PrimaryStore.summary(db, PrimaryStore.zoneRow(db, origin)) }
    }

    func deleteZone(_ name: String) throws {
        let origin = try PrimaryStore.zoneName(name)
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            try db.execute(sql: "DELETE FROM zones WHERE id = ?", arguments: [row.id])
        }
    }

    /// Changes a zone's policies; nil leaves a setting as it is.
    @discardableResult
    func setPolicies(
        _ name: String, serialPolicy: SerialPolicy? = nil, aliasFailurePolicy: AliasFailureSetting? = nil,
        keepLastMaxAge: Int? = nil, now: Date
    ) throws -> ZoneSummary {
        let origin = try PrimaryStore.zoneName(name)
        if let keepLastMaxAge, keepLastMaxAge < 0 {
            throw StoreError(.invalidArgument, zone: origin.text, reason: "keep-last max age must not be negative")
        }
        return try writeImmediate { db in
            var row = try PrimaryStore.zoneRow(db, origin)
            row.serialPolicy = serialPolicy ?? row.serialPolicy
            row.aliasFailurePolicy = aliasFailurePolicy ?? row.aliasFailurePolicy
            row.keepLastMaxAge = keepLastMaxAge ?? row.keepLastMaxAge
            try db.execute(
                sql: "UPDATE zones SET serial_policy = ?, alias_failure_policy = ?, keep_last_max_age = ? WHERE id = ?",
                arguments: [row.serialPolicy.rawValue, row.aliasFailurePolicy.rawValue, row.keepLastMaxAge, row.id])
            try PrimaryStore.touch(zoneID: row.id, now: now, db)
            return try PrimaryStore.summary(db, PrimaryStore.zoneRow(db, origin))
        }
    }

    /// The change counter of every zone, for a daemon polling for edits (one cheap query).
    func versions() throws -> [String: Int64] {
        try pool.read { db in
            var result: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, version FROM zones") {
                result[row["name"]] = row["version"]
            }
            return result
        }
    }

    // MARK: Helpers

    static func insertZoneRow(
        _ db: Database, name: String, serial: SerialNumber, serialPolicy: SerialPolicy,
        aliasFailurePolicy: AliasFailureSetting, keepLastMaxAge: Int, now: Date
    ) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO zones (name, serial, serial_policy, alias_failure_policy, keep_last_max_age,
                                   created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                name, Int64(serial.rawValue), serialPolicy.rawValue, aliasFailurePolicy.rawValue, keepLastMaxAge,
                timestamp(now), timestamp(now),
            ])
        return db.lastInsertedRowID
    }

    static func summary(_ db: Database, _ row: ZoneRow) throws -> ZoneSummary {
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE zone_id = ?", arguments: [row.id]) ?? 0
        return ZoneSummary(
            name: row.name, serial: row.serial, serialPolicy: row.serialPolicy,
            aliasFailurePolicy: row.aliasFailurePolicy, keepLastMaxAge: row.keepLastMaxAge, recordCount: count,
            createdAt: Date(timeIntervalSince1970: TimeInterval(row.createdAt)),
            updatedAt: Date(timeIntervalSince1970: TimeInterval(row.updatedAt)), version: row.version)
    }

    /// `hostmaster@example.com` or `hostmaster.example.com.` as an SOA RNAME (dots before the @ escaped).
    static func mailbox(_ email: String, zone: String) throws -> DomainName {
        var text = email
        if let at = email.firstIndex(of: "@") {
            let local = email[..<at].replacingOccurrences(of: ".", with: "\\.")
            let domain = email[email.index(after: at)...]
            text = local + "." + domain
        }
        if !text.hasSuffix(".") { text += "." }
        do {
            return try DomainName(text)
        } catch {
            throw StoreError(.invalidName, zone: zone, reason: "bad email address '\(email)': \(error)")
        }
    }
}
