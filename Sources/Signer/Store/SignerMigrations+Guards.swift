import GRDB

extension SignerMigrations {
    /// The growth guard's settings, and who asked for a pending `accept-next` and when (so `zone status`
    /// and the log can say it). The defaults are `TransferGuard`'s: an existing zone gets the growth guard
    /// with the same limits as a new one. `accept_next_by` and `accept_next_at` are kept after the override
    /// is used (the columns are read only while `accept_next` is 1).
    static func registerGuardsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v3-guards") { db in
            try db.execute(sql: """
                ALTER TABLE zones ADD COLUMN growth_limit REAL NOT NULL DEFAULT 10
                    CHECK (growth_limit = 0 OR growth_limit > 1);
                ALTER TABLE zones ADD COLUMN growth_min_rrsets INTEGER NOT NULL DEFAULT 1000
                    CHECK (growth_min_rrsets >= 0);
                ALTER TABLE zones ADD COLUMN accept_next_by TEXT;
                ALTER TABLE zones ADD COLUMN accept_next_at INTEGER;
                """)
        }
    }
}
