import DNSCore
import DNSEdge
import Foundation
import GRDB


/// Who may transfer a zone: an address prefix, and a TSIG key the request must be signed with when set.
struct TransferACLEntry: Sendable, Equatable, Codable {
    var prefix: String
    var key: String?
}

/// Where a zone's NOTIFY goes, signed with `key` when set.
struct NotifyTarget: Sendable, Equatable, Codable {
    var address: String
    var port: Int
    var key: String?
}

extension PrimaryStore {
    // MARK: Transfer ACL

    /// Allows `prefix` (`192.0.2.0/24`, `2001:db8::1`; a bare address is a host) to transfer the zone.
    @discardableResult
    func addTransferACL(zone: String, prefix: String, key: String? = nil, now: Date) throws -> TransferACLEntry {
        let origin = try PrimaryStore.zoneName(zone)
        let normalised = try PrimaryStore.prefix(prefix, zone: origin.text)
        let keyName = try key.map(PrimaryStore.keyName)
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            if let keyName { try PrimaryStore.requireKey(db, keyName, zone: row.name) }
            if try Row.fetchOne(db, sql: """
                SELECT 1 FROM transfer_acl WHERE zone_id = ? AND prefix = ? AND ifnull(key_name, '') = ?
                """, arguments: [row.id, normalised, keyName ?? ""]) != nil {
                throw StoreError(.duplicate, zone: row.name, record: normalised, reason: "the ACL entry exists")
            }
            try db.execute(
                sql: "INSERT INTO transfer_acl (zone_id, prefix, key_name) VALUES (?, ?, ?)",
                arguments: [row.id, normalised, keyName])
            try PrimaryStore.touch(zoneID: row.id, now: now, db)
        }
        return TransferACLEntry(prefix: normalised, key: keyName)
    }

    func transferACL(zone: String) throws -> [TransferACLEntry] {
        let origin = try PrimaryStore.zoneName(zone)
        return try pool.read { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            return try Row.fetchAll(db, sql: """
                SELECT prefix, key_name FROM transfer_acl WHERE zone_id = ? ORDER BY prefix, key_name
                """, arguments: [row.id]).map { TransferACLEntry(prefix: $0["prefix"], key: $0["key_name"]) }
        }
    }

    /// Removes the entry for `prefix` (with `key`, or the unsigned one when nil).
    func deleteTransferACL(zone: String, prefix: String, key: String? = nil, now: Date) throws {
        let origin = try PrimaryStore.zoneName(zone)
        let normalised = try PrimaryStore.prefix(prefix, zone: origin.text)
        let keyName = try key.map(PrimaryStore.keyName)
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            try db.execute(
                sql: "DELETE FROM transfer_acl WHERE zone_id = ? AND prefix = ? AND ifnull(key_name, '') = ?",
                arguments: [row.id, normalised, keyName ?? ""])
            if db.changesCount == 0 {
                throw StoreError(.notFound, zone: row.name, record: normalised, reason: "no such ACL entry")
            }
            try PrimaryStore.touch(zoneID: row.id, now: now, db)
        }
    }

    // MARK: NOTIFY targets

    /// Adds a NOTIFY target: `192.0.2.1`, `192.0.2.1:5353`, `2001:db8::1` or `[2001:db8::1]:5353`.
    @discardableResult
    func addNotifyTarget(zone: String, target: String, key: String? = nil, now: Date) throws -> NotifyTarget {
        let origin = try PrimaryStore.zoneName(zone)
        let (address, port) = try PrimaryStore.endpoint(target, zone: origin.text)
        let keyName = try key.map(PrimaryStore.keyName)
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            if let keyName { try PrimaryStore.requireKey(db, keyName, zone: row.name) }
            if try Row.fetchOne(db, sql: "SELECT 1 FROM notify_targets WHERE zone_id = ? AND address = ? AND port = ?",
                                arguments: [row.id, address, port]) != nil {
                throw StoreError(.duplicate, zone: row.name, record: target, reason: "the NOTIFY target exists")
            }
            try db.execute(
                sql: "INSERT INTO notify_targets (zone_id, address, port, key_name) VALUES (?, ?, ?, ?)",
                arguments: [row.id, address, port, keyName])
            try PrimaryStore.touch(zoneID: row.id, now: now, db)
        }
        return NotifyTarget(address: address, port: port, key: keyName)
    }

    func notifyTargets(zone: String) throws -> [NotifyTarget] {
        let origin = try PrimaryStore.zoneName(zone)
        return try pool.read { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            return try Row.fetchAll(db, sql: """
                SELECT address, port, key_name FROM notify_targets WHERE zone_id = ? ORDER BY address, port
                """, arguments: [row.id]).map {
                NotifyTarget(address: $0["address"], port: $0["port"], key: $0["key_name"])
            }
        }
    }

    func deleteNotifyTarget(zone: String, target: String, now: Date) throws {
        let origin = try PrimaryStore.zoneName(zone)
        let (address, port) = try PrimaryStore.endpoint(target, zone: origin.text)
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            try db.execute(
                sql: "DELETE FROM notify_targets WHERE zone_id = ? AND address = ? AND port = ?",
                arguments: [row.id, address, port])
            if db.changesCount == 0 {
                throw StoreError(.notFound, zone: row.name, record: target, reason: "no such NOTIFY target")
            }
            try PrimaryStore.touch(zoneID: row.id, now: now, db)
        }
    }

    // MARK: Addresses (parsed by DNSEdge, which matches them when serving)

    /// `address[/length]` in canonical form (host bits cleared), always with the length.
    static func prefix(_ text: String, zone: String) throws -> String {
        do {
            return try IPAddressPrefix(parsing: text).description
        } catch {
            throw StoreError(.invalidArgument, zone: zone, record: text, reason: error.description)
        }
    }

    /// `address`, `v4:port` or `[v6]:port`; the port defaults to 53. Canonical address text.
    static func endpoint(_ text: String, zone: String) throws -> (String, Int) {
        let parsed: ListenAddress
        do {
            parsed = try ListenAddress(parsing: text)
        } catch {
            throw StoreError(.invalidArgument, zone: zone, record: text, reason: error.description)
        }
        guard let address = IPAddress(parsed.host) else {
            throw StoreError(.invalidArgument, zone: zone, record: text, reason: "not an IP address (with an optional port)")
        }
        guard parsed.port > 0 else {
            throw StoreError(.invalidArgument, zone: zone, record: text, reason: "port must be 1...65535")
        }
        return (address.description, parsed.port)
    }
}
