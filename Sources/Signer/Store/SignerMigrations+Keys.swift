import GRDB

extension SignerMigrations {
    /// Key lifecycles (issue 13) and poll modes (issue 15): each zone's key policy and poll mode as columns of `zones`, the lifecycle machine of
    /// each zone as one JSON document written in the same transaction as the signed version it produced,
    /// and the operator's key requests (`keys roll`, `ds-seen`, `ds-gone`) waiting for the daemon.
    static func registerKeysMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v2-keys") { db in
            try db.execute(sql: """
                ALTER TABLE zones ADD COLUMN zsk_lifetime INTEGER DEFAULT 7776000 CHECK (zsk_lifetime IS NULL OR zsk_lifetime > 0);
                ALTER TABLE zones ADD COLUMN ksk_lifetime INTEGER CHECK (ksk_lifetime IS NULL OR ksk_lifetime > 0);
                ALTER TABLE zones ADD COLUMN propagation_delay INTEGER NOT NULL DEFAULT 3600 CHECK (propagation_delay >= 0);
                ALTER TABLE zones ADD COLUMN parent_ds_ttl INTEGER CHECK (parent_ds_ttl IS NULL OR parent_ds_ttl >= 0);
                ALTER TABLE zones ADD COLUMN parent_servers TEXT NOT NULL DEFAULT '';
                ALTER TABLE zones ADD COLUMN ds_check_interval INTEGER NOT NULL DEFAULT 600 CHECK (ds_check_interval > 0);
                ALTER TABLE zones ADD COLUMN unsigned INTEGER NOT NULL DEFAULT 0 CHECK (unsigned IN (0, 1));
                -- How polls find out about changes (issue 15): an SOA query, or a full transfer compared by content.
                ALTER TABLE zones ADD COLUMN poll_mode TEXT NOT NULL DEFAULT 'auto' CHECK (poll_mode IN ('auto', 'serial', 'content'));
                ALTER TABLE zones ADD COLUMN content_check INTEGER NOT NULL DEFAULT 3600 CHECK (content_check > 0);
                CREATE TABLE key_lifecycle (
                    zone_id INTEGER PRIMARY KEY REFERENCES zones(id) ON DELETE CASCADE,
                    document TEXT NOT NULL
                );
                CREATE TABLE key_requests (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    request TEXT NOT NULL,
                    requested_by TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                """)
        }
    }
}
