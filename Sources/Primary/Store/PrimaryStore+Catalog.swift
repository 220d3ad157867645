import DNSCore
import Foundation
import GRDB

/// The catalog zone the primary produces (`dns-primary catalog set`): its name, the group every
/// member carries, and the serial and membership digest last published.
struct PrimaryCatalogSetting: Sendable, Equatable, Codable {
    var name: String
    var group: String?
    var serial: UInt32
    var membersDigest: Data?
}

extension PrimaryStore {
    /// Names the catalog zone to produce (replacing an earlier one). Refused when a zone of that name is
    /// held here: the catalog would shadow it.
    func setCatalog(name text: String, group: String?, now: Date) throws {
        let origin = try PrimaryStore.zoneName(text)
        if let group, group.isEmpty || group.utf8.count > 255 || group.contains(where: \.isNewline) {
            throw StoreError(.invalidArgument, zone: origin.text, reason: "--group: a group is 1 to 255 bytes on one line")
        }
        try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM zones WHERE name = ?", arguments: [origin.text]) != nil {
                throw StoreError(.invalidArgument, zone: origin.text,
                                 reason: "a zone has this name; the catalog needs a name of its own (e.g. catalog.invalid.)")
            }
            try db.execute(sql: """
                INSERT INTO catalog_produced (id, name, member_group, serial, members_digest) VALUES (1, ?, ?, 0, NULL)
                ON CONFLICT(id) DO UPDATE SET
                    serial = CASE WHEN name = excluded.name THEN serial ELSE 0 END,
                    name = excluded.name, member_group = excluded.member_group, members_digest = NULL
                """, arguments: [origin.text, group])
        }
    }

    func unsetCatalog() throws {
        try writeImmediate { db in
            try db.execute(sql: "DELETE FROM catalog_produced")
            guard db.changesCount > 0 else { throw StoreError(.notFound, reason: "no catalog is produced") }
        }
    }

    func catalogSetting() throws -> PrimaryCatalogSetting? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT name, member_group, serial, members_digest FROM catalog_produced WHERE id = 1").map {
                PrimaryCatalogSetting(name: $0["name"], group: $0["member_group"], serial: UInt32(truncatingIfNeeded: $0["serial"] as Int64),
                                      membersDigest: $0["members_digest"])
            }
        }
    }

    /// Records that the catalog with `digest` is published; returns the serial to serve (raised only
    /// when the membership changed).
    func publishCatalog(name: String, digest: Data, now: Date) throws -> UInt32 {
        try writeImmediate { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT serial, members_digest FROM catalog_produced WHERE id = 1 AND name = ?",
                                             arguments: [name]) else {
                throw StoreError(.notFound, zone: name, reason: "no longer the catalog produced")
            }
            let stored = UInt32(truncatingIfNeeded: row["serial"] as Int64)
            let serial = CatalogZone.serial(stored: stored, changed: (row["members_digest"] as Data?) != digest,
                                            now: Int64(now.timeIntervalSince1970))
            if serial != stored {
                try db.execute(sql: "UPDATE catalog_produced SET serial = ?, members_digest = ? WHERE id = 1",
                               arguments: [Int64(serial), digest])
            }
            return serial
        }
    }
}
