import DaemonKit
import GRDB

extension SignerMigrations {
    /// Catalog zones (RFC 9432, issue 15): the one catalog this signer produces of the zones it serves,
    /// and the fleet of secondaries that consume it. `serial` and `members_digest` are what was last
    /// published, so a restart keeps the serial rising and an unchanged membership keeps the serial.
    /// A fleet secondary may transfer the catalog and every zone in it, and gets NOTIFY for each.
    static func registerCatalogMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v6-catalog") { db in
            try db.execute(sql: ProducedCatalogTable.createSQL)
            try db.execute(sql: """
                CREATE TABLE catalog_downstream (
                    id INTEGER PRIMARY KEY,
                    address TEXT NOT NULL,
                    port INTEGER NOT NULL CHECK (port > 0 AND port <= 65535),
                    key_name TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT,
                    UNIQUE (address, port)
                );
                -- Catalogs followed (`catalog follow`): polled from their primaries like a zone; each
                -- member becomes a zone with the default settings, `catalog_id` naming its catalog (NULL:
                -- added by hand, never touched by a catalog). A member that leaves is `parked`: kept with
                -- its keys, neither polled nor served, resumed with the same keys if it comes back.
                -- `last_error` is the refusal of the last catalog received, so it is reported once.
                CREATE TABLE catalog_followed (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    primaries TEXT NOT NULL CHECK (primaries <> ''),
                    tsig_key TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT,
                    poll_seconds INTEGER NOT NULL DEFAULT 60 CHECK (poll_seconds > 0),
                    serial INTEGER CHECK (serial BETWEEN 0 AND 4294967295),
                    members INTEGER NOT NULL DEFAULT 0,
                    last_poll_at INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL
                );
                ALTER TABLE zones ADD COLUMN catalog_id INTEGER REFERENCES catalog_followed(id) ON DELETE SET NULL;
                ALTER TABLE zones ADD COLUMN parked INTEGER NOT NULL DEFAULT 0 CHECK (parked IN (0, 1));
                """)
        }
    }
}
