import DaemonKit
import GRDB

extension SignerMigrations {
    /// IXFR out (issue 14): the signed zone's history, one row per published version (the step from the
    /// version before, `JournalDeltaCodec`), written in the transaction that publishes the version and
    /// trimmed in it to the daemon's limits. `seq` orders the steps; `from_serial` finds where a
    /// client's IXFR starts; `bytes` is the blob's length, summed for the byte limit without reading it.
    static func registerJournalMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v5-journal") { db in
            try db.execute(sql: ZoneJournalTable.schemaV1)
        }
    }
}
