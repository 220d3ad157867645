import GRDB

extension SignerMigrations {
    /// IXFR in (issue 14): each zone's transfer mode, IXFR with AXFR fallback (the default) or AXFR only.
    static func registerIXFRMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v7-ixfr-in") { db in
            try db.execute(sql: """
                ALTER TABLE zones ADD COLUMN transfer_mode TEXT NOT NULL DEFAULT 'ixfr' CHECK (transfer_mode IN ('ixfr', 'axfr'));
                """)
        }
    }
}
