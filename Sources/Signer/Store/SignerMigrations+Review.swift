import GRDB

extension SignerMigrations {
    /// Review before publishing (issue 16): each zone's review settings, and the one version per zone that
    /// is under review or was refused by it. The row is what survives a restart: the candidate's serials
    /// and the content hash of the transfer it came from; the candidate itself is derived again from the
    /// primary's zone by the next poll (its signed serial pinned to the stored one). `status` is `pending`
    /// (the operator's turn), `approved` (taken on at the next poll) or `rejected` (kept until the primary
    /// sends other content, so the same version is not reviewed and evented again).
    static func registerReviewMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v4-review") { db in
            try db.execute(sql: """
                ALTER TABLE zones ADD COLUMN review_unsigned TEXT NOT NULL DEFAULT 'off'
                    CHECK (review_unsigned IN ('off', 'command', 'manual'));
                ALTER TABLE zones ADD COLUMN review_signed TEXT NOT NULL DEFAULT 'off'
                    CHECK (review_signed IN ('off', 'command', 'manual'));
                ALTER TABLE zones ADD COLUMN review_command TEXT;
                ALTER TABLE zones ADD COLUMN review_timeout INTEGER NOT NULL DEFAULT 300 CHECK (review_timeout > 0);
                CREATE TABLE pending_review (
                    zone_id INTEGER PRIMARY KEY REFERENCES zones(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL CHECK (stage IN ('unsigned', 'signed')),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
                    unsigned_serial INTEGER NOT NULL CHECK (unsigned_serial BETWEEN 0 AND 4294967295),
                    signed_serial INTEGER NOT NULL CHECK (signed_serial BETWEEN 0 AND 4294967295),
                    previous_signed_serial INTEGER,
                    content_hash BLOB NOT NULL,
                    zone_file TEXT,
                    reason TEXT,
                    created_at INTEGER NOT NULL,
                    decided_by TEXT,
                    decided_at INTEGER
                );
                """)
        }
    }
}
