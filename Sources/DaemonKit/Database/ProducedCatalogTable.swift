import DNSCore
import Foundation
import GRDB

/// The catalog zone (RFC 9432) a daemon produces of its zones: its name, the group every member carries,
/// and the serial and membership digest last published.
package struct ProducedCatalog: Sendable, Equatable, Codable {
    package var name: String
    package var group: String?
    package var serial: UInt32
    package var membersDigest: Data?
}

/// Both daemons keep their produced catalog in a `catalog_produced` table of this one shape (each in a
/// migration of its own), read and written here: the serial survives a restart and rises only when the
/// membership does.
package enum ProducedCatalogTable {
    /// Run by the migrations `signer-v6-catalog` and `v5-catalog`: never edit it, add a migration.
    package static let createSQL = """
        CREATE TABLE catalog_produced (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            member_group TEXT,
            serial INTEGER NOT NULL DEFAULT 0 CHECK (serial BETWEEN 0 AND 4294967295),
            members_digest BLOB
        );
        """

    /// Why `group` cannot be a group property (one TXT string), or nil when it can.
    package static func groupProblem(_ group: String?) -> String? {
        guard let group else { return nil }
        return group.isEmpty || group.utf8.count > 255 || group.contains(where: \.isNewline)
            ? "a group is 1 to 255 bytes on one line" : nil
    }

    /// Sets the catalog (replacing an earlier one; a new name starts its serial afresh). The digest is
    /// cleared so the daemon publishes it at once.
    package static func set(_ db: Database, name: String, group: String?) throws {
        try db.execute(sql: """
            INSERT INTO catalog_produced (id, name, member_group, serial, members_digest) VALUES (1, ?, ?, 0, NULL)
            ON CONFLICT(id) DO UPDATE SET
                serial = CASE WHEN name = excluded.name THEN serial ELSE 0 END,
                name = excluded.name, member_group = excluded.member_group, members_digest = NULL
            """, arguments: [name, group])
    }

    /// Removes the setting; false when there was none.
    package static func delete(_ db: Database) throws -> Bool {
        try db.execute(sql: "DELETE FROM catalog_produced")
        return db.changesCount > 0
    }

    package static func read(_ db: Database) throws -> ProducedCatalog? {
        try Row.fetchOne(db, sql: "SELECT name, member_group, serial, members_digest FROM catalog_produced WHERE id = 1").map {
            ProducedCatalog(name: $0["name"], group: $0["member_group"], serial: UInt32(truncatingIfNeeded: $0["serial"] as Int64),
                            membersDigest: $0["members_digest"])
        }
    }

    /// Records that the catalog `name` with `digest` is published; the serial to serve (raised only when
    /// the digest changed), or nil when `name` is no longer the catalog set.
    package static func publish(_ db: Database, name: String, digest: Data, now: Int64) throws -> UInt32? {
        guard let current = try read(db), current.name == name else { return nil }
        let serial = CatalogZone.serial(stored: current.serial, changed: current.membersDigest != digest, now: now)
        if serial != current.serial || current.membersDigest != digest {
            try db.execute(sql: "UPDATE catalog_produced SET serial = ?, members_digest = ? WHERE id = 1",
                           arguments: [Int64(serial), digest])
        }
        return serial
    }
}
