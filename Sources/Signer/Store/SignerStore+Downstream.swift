import DNSCore
import DNSEdge
import Foundation
import GRDB

/// A downstream secondary's permission to transfer the signed zone: an address block, and the TSIG key
/// its requests must be signed with when set.
struct DownstreamACLEntry: Sendable, Equatable, Codable {
    var prefix: String
    var key: String?
}

/// Where NOTIFY goes when a new signed version is published, signed with `key` when set.
struct NotifyTarget: Sendable, Equatable, Codable {
    var address: String
    var port: Int
    var key: String?
}

/// A zone's downstream secondaries, as `zone downstream list` shows them.
struct DownstreamList: Sendable, Equatable, Codable {
    var acl: [DownstreamACLEntry]
    var notify: [NotifyTarget]
}

extension SignerStore {
    /// Adds a downstream secondary: `address` (`192.0.2.1`, `192.0.2.1:5353`, `[2001:db8::1]:5353`, or
    /// an address block `192.0.2.0/24` when `notify` is false) may transfer the signed zone, signed with
    /// `key` when given, and, when `notify`, gets a NOTIFY at that address and port (default 53) on each
    /// new version.
    @discardableResult
    func addDownstream(zone: String, address text: String, key: String? = nil, notify: Bool = true, now: Date = Date()) throws -> DownstreamList {
        let origin = try SignerStore.zoneName(zone)
        let target = try SignerStore.downstreamAddress(text, zone: origin.text)
        if notify && target.port == nil && target.prefix.length != target.prefix.address.bytes.count * 8 {
            throw SignerStoreError(.invalidArgument, zone: origin.text, field: "downstream \(text)",
                                   reason: "NOTIFY needs one address, not a block; add the block with --no-notify")
        }
        let keyName = try key.map { try SignerStore.keyName($0, zone: origin.text) }
        let prefix = target.prefix.description
        let address = target.prefix.address.description
        let port = target.port ?? 53
        return try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            if let keyName { try SignerStore.requireKey(db, keyName, zone: origin.text) }
            // Two secondaries may share an address (different ports): the ACL entry is then already there,
            // and only the second NOTIFY target is new.
            let aclExists = try Row.fetchOne(db, sql: """
                SELECT 1 FROM downstream_acl WHERE zone_id = ? AND prefix = ? AND ifnull(key_name, '') = ?
                """, arguments: [id, prefix, keyName ?? ""]) != nil
            if aclExists && !notify {
                throw SignerStoreError(.duplicate, zone: origin.text, field: "downstream \(text)", reason: "the entry exists")
            }
            if !aclExists {
                try db.execute(sql: "INSERT INTO downstream_acl (zone_id, prefix, key_name) VALUES (?, ?, ?)",
                               arguments: [id, prefix, keyName])
            }
            if notify {
                if try Row.fetchOne(db, sql: "SELECT 1 FROM notify_targets WHERE zone_id = ? AND address = ? AND port = ?",
                                    arguments: [id, address, port]) != nil {
                    throw SignerStoreError(.duplicate, zone: origin.text, field: "downstream \(text)",
                                           reason: "a NOTIFY target at \(ListenAddress(host: address, port: port)) exists")
                }
                try db.execute(sql: "INSERT INTO notify_targets (zone_id, address, port, key_name) VALUES (?, ?, ?, ?)",
                               arguments: [id, address, port, keyName])
            }
            try SignerStore.touch(zoneID: id, now: now, db)
            return try SignerStore.downstream(db, zoneID: id)
        }
    }

    /// Removes every ACL entry for the address (or block) and its NOTIFY targets (only the one at the
    /// port, when a port is given).
    func removeDownstream(zone: String, address text: String, now: Date = Date()) throws {
        let origin = try SignerStore.zoneName(zone)
        let target = try SignerStore.downstreamAddress(text, zone: origin.text)
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            var removed = 0
            if let port = target.port {
                try db.execute(sql: "DELETE FROM notify_targets WHERE zone_id = ? AND address = ? AND port = ?",
                               arguments: [id, target.prefix.address.description, port])
                removed += db.changesCount
            } else {
                try db.execute(sql: "DELETE FROM notify_targets WHERE zone_id = ? AND address = ?",
                               arguments: [id, target.prefix.address.description])
                removed += db.changesCount
            }
            // The address keeps its transfer ACL entry while another secondary there still gets NOTIFY.
            let othersRemain = try Row.fetchOne(db, sql: "SELECT 1 FROM notify_targets WHERE zone_id = ? AND address = ?",
                                                arguments: [id, target.prefix.address.description]) != nil
            if !othersRemain {
                try db.execute(sql: "DELETE FROM downstream_acl WHERE zone_id = ? AND prefix = ?",
                               arguments: [id, target.prefix.description])
                removed += db.changesCount
            }
            guard removed > 0 else {
                throw SignerStoreError(.notFound, zone: origin.text, field: "downstream \(text)", reason: "no such downstream entry")
            }
            try SignerStore.touch(zoneID: id, now: now, db)
        }
    }

    /// The zone's downstream entries, for listing.
    func downstream(zone: String) throws -> DownstreamList {
        let origin = try SignerStore.zoneName(zone)
        return try pool.read { db in try SignerStore.downstream(db, zoneID: SignerStore.zoneID(db, origin)) }
    }

    /// Who may transfer the signed zone, for DNSEdge's transfer responder. No entries: nobody (the
    /// daemon may add loopback).
    func downstreamACL(zone: String) throws -> TransferACL {
        try SignerStore.transferACL(try downstream(zone: zone).acl, zone: zone)
    }

    /// The stored entries as DNSEdge's rules; an unreadable one is corruption, not a rule to skip.
    static func transferACL(_ entries: [DownstreamACLEntry], zone: String) throws -> TransferACL {
        var rules: [TransferACL.Rule] = []
        for entry in entries {
            guard let prefix = try? IPAddressPrefix(parsing: entry.prefix) else {
                throw SignerStoreError(.corrupt, zone: zone, field: "downstream \(entry.prefix)", reason: "unreadable in the store")
            }
            var key: DomainName?
            if let text = entry.key {
                guard let name = try? DomainName(text) else {
                    throw SignerStoreError(.corrupt, zone: zone, field: "key \(text)", reason: "unreadable in the store")
                }
                key = name
            }
            rules.append(TransferACL.Rule(prefix: prefix, key: key))
        }
        return TransferACL(rules: rules)
    }

    /// Where to send NOTIFY after publishing a new signed version.
    func notifyTargets(zone: String) throws -> [NotifyTarget] {
        try downstream(zone: zone).notify
    }

    // MARK: Helpers

    static func downstream(_ db: Database, zoneID: Int64) throws -> DownstreamList {
        let acl = try Row.fetchAll(db, sql: """
            SELECT prefix, key_name FROM downstream_acl WHERE zone_id = ? ORDER BY prefix, key_name
            """, arguments: [zoneID]).map { DownstreamACLEntry(prefix: $0["prefix"], key: $0["key_name"]) }
        let notify = try Row.fetchAll(db, sql: """
            SELECT address, port, key_name FROM notify_targets WHERE zone_id = ? ORDER BY address, port
            """, arguments: [zoneID]).map { NotifyTarget(address: $0["address"], port: $0["port"], key: $0["key_name"]) }
        return DownstreamList(acl: acl, notify: notify)
    }

    /// `ADDR`, `ADDR:PORT`, `[V6]:PORT` or `ADDR/LEN`: the block (a host's /32 or /128 for an address)
    /// and the port when one was written.
    static func downstreamAddress(_ text: String, zone: String) throws -> (prefix: IPAddressPrefix, port: Int?) {
        if text.contains("/") {
            do {
                return (try IPAddressPrefix(parsing: text), nil)
            } catch {
                throw SignerStoreError(.invalidArgument, zone: zone, field: "downstream \(text)", reason: error.description)
            }
        }
        let parsed: ListenAddress
        do {
            parsed = try ListenAddress(parsing: text, defaultPort: 0)
        } catch {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "downstream \(text)", reason: error.description)
        }
        guard let address = IPAddress(parsed.host) else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "downstream \(text)",
                                   reason: "not an IP address (with an optional :PORT) or address block")
        }
        // Port 0 is the parser's "none written"; `:0` written out is refused.
        let portWritten = text.hasPrefix("[") ? text.contains("]:") : text.filter({ $0 == ":" }).count == 1
        if parsed.port == 0 && portWritten {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "downstream \(text)", reason: "port must be 1...65535")
        }
        return (IPAddressPrefix(address: address, length: address.bytes.count * 8), parsed.port == 0 ? nil : parsed.port)
    }
}
