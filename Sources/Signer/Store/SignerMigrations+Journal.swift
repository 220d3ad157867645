import GRDB

extension SignerMigrations {
    /// IXFR out (issue 14): the signed zone's history, one row per published version (the step from the
    /// version before, `JournalDeltaCodec`), written in the transaction that publishes the version and
    /// trimmed in it to the daemon's limits. `seq` orders the steps; `from_serial` finds where a
    /// client's IXFR starts; `bytes` is the blob's length, summed for the byte limit without reading it.
    static func registerJournalMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v5-journal") { db in
            try db.execute(sql: """
                CREATE TABLE journal (
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    from_serial INTEGER NOT NULL CHECK (from_serial BETWEEN 0 AND 4294967295),
                    to_serial INTEGER NOT NULL CHECK (to_serial BETWEEN 0 AND 4294967295),
                    bytes INTEGER NOT NULL CHECK (bytes >= 0),
                    data BLOB NOT NULL,
                    PRIMARY KEY (zone_id, seq)
                ) WITHOUT ROWID;
                CREATE INDEX journal_from_serial ON journal(zone_id, from_serial);
                """)
        }
    }
}
