import DNSCore
import DNSEdge
import Foundation
import GRDB

/// Who may send a zone RFC 2136 updates: a TSIG key and/or an address block, and what they may change
/// (owner-name patterns and types; empty lists: anything). Stored normalised: key names lowercased and
/// absolute, prefixes canonical, name patterns absolute, types as mnemonics.
struct UpdateACLEntry: Sendable, Equatable, Codable {
    var key: String?
    /// Nil: from any address (a key is then required).
    var prefix: String?
    var names: [String]
    var types: [String]

    /// The rule the DNS edge enforces.
    func rule(origin: DomainName) throws -> UpdateACL.Rule {
        let scope = UpdateScope(
            names: try names.map { try UpdateScope.NamePattern(parsing: $0, origin: origin) },
            types: Set(try types.map { text in
                guard let type = RecordType(mnemonic: text) else {
                    throw StoreError(.corrupt, zone: origin.text, record: text, reason: "unknown type in the update ACL")
                }
                return type
            }))
        return UpdateACL.Rule(prefix: try prefix.map { try IPAddressPrefix(parsing: $0) },
                              key: try key.map { try DomainName($0) }, scope: scope)
    }
}

extension PrimaryStore {
    /// Allows updates of `zone` signed with `key` and/or from `prefix`, limited to `names` (`www`,
    /// `_acme-challenge`, `*.dyn`, `@`, or absolute) and `types` when given. Without a key a prefix is
    /// required (`unsigned` must be said, so no one opens a zone to unsigned updates by leaving out --key).
    @discardableResult
    func addUpdateACL(zone: String, key: String?, prefix: String?, unsigned: Bool = false, names: [String] = [],
                      types: [String] = [], now: Date) throws -> UpdateACLEntry {
        let origin = try PrimaryStore.zoneName(zone)
        let entry = try PrimaryStore.updateACLEntry(
            origin: origin, key: key, prefix: prefix, unsigned: unsigned, names: names, types: types)
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            if let key = entry.key { try PrimaryStore.requireKey(db, key, zone: row.name) }
            if try Row.fetchOne(db, sql: """
                SELECT 1 FROM update_acl WHERE zone_id = ? AND ifnull(key_name, '') = ? AND ifnull(prefix, '') = ?
                """, arguments: [row.id, entry.key ?? "", entry.prefix ?? ""]) != nil {
                throw StoreError(.duplicate, zone: row.name, record: Self.describe(entry),
                                 reason: "an update ACL entry for this key and address exists; remove it first")
            }
            try db.execute(
                sql: "INSERT INTO update_acl (zone_id, key_name, prefix, names, types) VALUES (?, ?, ?, ?, ?)",
                arguments: [row.id, entry.key, entry.prefix, entry.names.joined(separator: " "),
                            entry.types.joined(separator: " ")])
            try PrimaryStore.touch(zoneID: row.id, now: now, db)
        }
        return entry
    }

    func updateACL(zone: String) throws -> [UpdateACLEntry] {
        let origin = try PrimaryStore.zoneName(zone)
        return try pool.read { db in try PrimaryStore.updateACL(db, zoneID: PrimaryStore.zoneRow(db, origin).id) }
    }

    /// Removes the entry for `key` and/or `prefix` (exactly as added).
    func deleteUpdateACL(zone: String, key: String?, prefix: String?, now: Date) throws {
        let origin = try PrimaryStore.zoneName(zone)
        guard key != nil || prefix != nil else {
            throw StoreError(.invalidArgument, zone: origin.text, reason: "name the entry with --key and/or --from, as added")
        }
        let keyName = try key.map(PrimaryStore.keyName)
        let normalised = try prefix.map { try PrimaryStore.prefix($0, zone: origin.text) }
        try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            try db.execute(
                sql: "DELETE FROM update_acl WHERE zone_id = ? AND ifnull(key_name, '') = ? AND ifnull(prefix, '') = ?",
                arguments: [row.id, keyName ?? "", normalised ?? ""])
            if db.changesCount == 0 {
                throw StoreError(.notFound, zone: row.name,
                                 record: Self.describe(UpdateACLEntry(key: keyName, prefix: normalised, names: [], types: [])),
                                 reason: "no such update ACL entry")
            }
            try PrimaryStore.touch(zoneID: row.id, now: now, db)
        }
    }

    static func updateACL(_ db: Database, zoneID: Int64) throws -> [UpdateACLEntry] {
        try Row.fetchAll(db, sql: """
            SELECT key_name, prefix, names, types FROM update_acl WHERE zone_id = ? ORDER BY ifnull(key_name, ''), ifnull(prefix, '')
            """, arguments: [zoneID]).map { row in
            let names: String = row["names"]
            let types: String = row["types"]
            return UpdateACLEntry(key: row["key_name"], prefix: row["prefix"],
                                  names: names.split(separator: " ").map(String.init),
                                  types: types.split(separator: " ").map(String.init))
        }
    }

    /// Checks and normalises an entry as given on the command line.
    static func updateACLEntry(origin: DomainName, key: String?, prefix: String?, unsigned: Bool, names: [String],
                               types: [String]) throws -> UpdateACLEntry {
        let zone = origin.text
        if key != nil && unsigned {
            throw StoreError(.invalidArgument, zone: zone, reason: "--unsigned and --key exclude each other")
        }
        if key == nil {
            guard unsigned else {
                throw StoreError(.invalidArgument, zone: zone,
                                 reason: "updates need TSIG: give --key NAME, or --unsigned --from PREFIX to accept unsigned updates from an address block")
            }
            guard prefix != nil else {
                throw StoreError(.invalidArgument, zone: zone, reason: "--unsigned needs --from PREFIX: unsigned updates from anywhere are never accepted")
            }
        }
        let keyName = try key.map(PrimaryStore.keyName)
        let normalised = try prefix.map { try PrimaryStore.prefix($0, zone: zone) }
        var patterns: [String] = []
        for text in names {
            guard !text.isEmpty, !text.contains(where: { $0 == " " || $0.isNewline }) else {
                throw StoreError(.invalidName, zone: zone, record: text, reason: "a name pattern is one word")
            }
            let pattern: UpdateScope.NamePattern
            do { pattern = try UpdateScope.NamePattern(parsing: text, origin: origin) } catch {
                throw StoreError(.invalidName, zone: zone, record: text, reason: "bad name pattern: \(error)")
            }
            let base: DomainName = switch pattern { case let .exact(name): name; case let .below(name): name }
            guard base.isSubdomain(of: origin) else {
                throw StoreError(.invalidName, zone: zone, record: text, reason: "the name is outside the zone")
            }
            if !patterns.contains(pattern.description) { patterns.append(pattern.description) }
        }
        var typeNames: [String] = []
        for text in types {
            guard let type = RecordType(mnemonic: text), !type.isMeta else {
                throw StoreError(.invalidRecord, zone: zone, record: text, reason: "unknown or meta record type '\(text)'")
            }
            if !typeNames.contains(type.description) { typeNames.append(type.description) }
        }
        return UpdateACLEntry(key: keyName, prefix: normalised, names: patterns, types: typeNames)
    }

    /// `key acme. from any address: names _acme-challenge.example.com.; types TXT`.
    static func describe(_ entry: UpdateACLEntry) -> String {
        (entry.key.map { "key \($0)" } ?? "unsigned") + " from " + (entry.prefix ?? "any address") + ": "
            + (entry.names.isEmpty ? "any name" : "names " + entry.names.joined(separator: " ")) + "; "
            + (entry.types.isEmpty ? "any type" : "types " + entry.types.joined(separator: " "))
    }
}
