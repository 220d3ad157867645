import DaemonKit
import GRDB

/// The signer's schema, as numbered migrations: a migration once shipped is never edited, only followed
/// by another. The notification outbox's tables come from DaemonKit, after ours.
enum SignerMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("signer-v1") { db in
            try db.execute(sql: """
                CREATE TABLE tsig_keys (
                    name TEXT PRIMARY KEY,
                    algorithm TEXT NOT NULL,
                    secret TEXT NOT NULL
                );
                -- `name` is the lowercased absolute zone name; `primaries` the transfer sources as
                -- space-separated ADDR:PORT ([v6]:PORT); `version` counts every change to the zone's
                -- settings or downstream entries.
                CREATE TABLE zones (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    primaries TEXT NOT NULL CHECK (primaries <> ''),
                    tsig_key TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT,
                    poll_seconds INTEGER NOT NULL DEFAULT 60 CHECK (poll_seconds > 0),
                    denial TEXT NOT NULL DEFAULT 'nsec' CHECK (denial IN ('nsec', 'nsec3')),
                    opt_out INTEGER NOT NULL DEFAULT 0 CHECK (opt_out IN (0, 1)),
                    algorithm INTEGER NOT NULL DEFAULT 13 CHECK (algorithm >= 0 AND algorithm <= 255),
                    csk INTEGER NOT NULL DEFAULT 0 CHECK (csk IN (0, 1)),
                    shrink_limit REAL NOT NULL DEFAULT 0.5 CHECK (shrink_limit > 0 AND shrink_limit <= 1),
                    allow_serial_decrease INTEGER NOT NULL DEFAULT 0 CHECK (allow_serial_decrease IN (0, 1)),
                    accept_next INTEGER NOT NULL DEFAULT 0 CHECK (accept_next IN (0, 1)),
                    signed_serial_policy TEXT NOT NULL DEFAULT 'unixtime'
                        CHECK (signed_serial_policy IN ('unixtime', 'increment')),
                    expire_action TEXT NOT NULL DEFAULT 'servfail'
                        CHECK (expire_action IN ('servfail', 'keep-serving')),
                    refresh_requested INTEGER NOT NULL DEFAULT 0 CHECK (refresh_requested IN (0, 1)),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    version INTEGER NOT NULL DEFAULT 1
                );
                -- What the daemon knows about each zone; times are seconds since 1970.
                CREATE TABLE zone_state (
                    zone_id INTEGER PRIMARY KEY REFERENCES zones(id) ON DELETE CASCADE,
                    unsigned_serial INTEGER CHECK (unsigned_serial BETWEEN 0 AND 4294967295),
                    unsigned_hash BLOB,
                    signed_serial INTEGER CHECK (signed_serial BETWEEN 0 AND 4294967295),
                    next_resign INTEGER,
                    earliest_expiry INTEGER,
                    last_poll_at INTEGER,
                    last_poll_result TEXT,
                    last_success_at INTEGER,
                    last_change_at INTEGER,
                    last_change_summary TEXT,
                    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
                    refusals INTEGER NOT NULL DEFAULT 0 CHECK (refusals >= 0),
                    last_refusal TEXT,
                    expired INTEGER NOT NULL DEFAULT 0 CHECK (expired IN (0, 1))
                );
                -- Private keys as PKCS#8 PEM; the file is mode 0600 (SQLiteDatabase.open).
                CREATE TABLE keys (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    key_tag INTEGER NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
                    flags INTEGER NOT NULL CHECK (flags BETWEEN 0 AND 65535),
                    algorithm INTEGER NOT NULL CHECK (algorithm BETWEEN 0 AND 255),
                    private_pem TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE (zone_id, key_tag, algorithm)
                );
                -- Downstream secondaries: who may AXFR the signed zone, and where NOTIFY goes.
                CREATE TABLE downstream_acl (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    prefix TEXT NOT NULL,
                    key_name TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT
                );
                CREATE UNIQUE INDEX downstream_acl_unique ON downstream_acl(zone_id, prefix, ifnull(key_name, ''));
                CREATE TABLE notify_targets (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    address TEXT NOT NULL,
                    port INTEGER NOT NULL CHECK (port > 0 AND port <= 65535),
                    key_name TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT
                );
                CREATE UNIQUE INDEX notify_targets_unique ON notify_targets(zone_id, address, port);
                -- The last published unsigned and signed zones, one row per owner name (ZoneNodeCodec):
                -- a change rewrites only the names it touches.
                CREATE TABLE unsigned_nodes (
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    owner BLOB NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (zone_id, owner)
                ) WITHOUT ROWID;
                CREATE TABLE signed_nodes (
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    owner BLOB NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (zone_id, owner)
                ) WITHOUT ROWID;
                -- One counter for every configuration change (zones, downstream, TSIG keys), so a
                -- running daemon notices CLI edits with one cheap query a second.
                CREATE TABLE config_version (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL
                );
                INSERT INTO config_version (id, version) VALUES (1, 1);
                """)
        }
        Outbox.registerMigrations(&migrator)
        registerKeysMigration(&migrator)
        registerGuardsMigration(&migrator)
        registerReviewMigration(&migrator)
        registerJournalMigration(&migrator)
        registerIXFRMigration(&migrator)
        registerCatalogMigration(&migrator)
        registerCatalogMembersMigration(&migrator)
        return migrator
    }
}
