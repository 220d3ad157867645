import DaemonKit
import GRDB

/// The schema, as numbered migrations: a migration once shipped is never edited, only followed by another.
/// DaemonKit's outbox tables come last (its own migration names, so both sets can grow independently).
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // `name` is the lowercased absolute zone name (its key); `version` counts every change to the
            // zone or its transfer settings so a running daemon can notice edits made by the CLI.
            try db.execute(sql: """
                CREATE TABLE zones (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    serial INTEGER NOT NULL,
                    serial_policy TEXT NOT NULL DEFAULT 'increment'
                        CHECK (serial_policy IN ('increment', 'date')),
                    alias_failure_policy TEXT NOT NULL DEFAULT 'fail'
                        CHECK (alias_failure_policy IN ('fail', 'keep-last', 'ignore')),
                    keep_last_max_age INTEGER NOT NULL DEFAULT 86400 CHECK (keep_last_max_age >= 0),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    version INTEGER NOT NULL DEFAULT 1
                );
                CREATE TABLE records (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    owner TEXT NOT NULL,
                    owner_key TEXT NOT NULL,
                    ttl INTEGER NOT NULL CHECK (ttl >= 0 AND ttl <= 4294967295),
                    type INTEGER NOT NULL CHECK (type >= 0 AND type <= 65535),
                    rdata TEXT NOT NULL
                );
                CREATE INDEX records_by_rrset ON records(zone_id, owner_key, type);
                CREATE TABLE tsig_keys (
                    name TEXT PRIMARY KEY,
                    algorithm TEXT NOT NULL,
                    secret TEXT NOT NULL
                );
                CREATE TABLE transfer_acl (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    prefix TEXT NOT NULL,
                    key_name TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT
                );
                CREATE UNIQUE INDEX transfer_acl_unique ON transfer_acl(zone_id, prefix, ifnull(key_name, ''));
                CREATE TABLE notify_targets (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    address TEXT NOT NULL,
                    port INTEGER NOT NULL CHECK (port > 0 AND port <= 65535),
                    key_name TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT
                );
                CREATE UNIQUE INDEX notify_targets_unique ON notify_targets(zone_id, address, port);
                """)
        }
        migrator.registerMigration("v2") { db in
            // What `dns-primary serve` keeps across restarts. `alias_answers`: the last answer that resolved
            // for each ALIAS target and family a zone uses (`addresses` is the RDATA in presentation form,
            // one per line, empty for NODATA), for the `keep-last` policy. `alias_status`: whether the
            // zone's ALIAS targets resolve, so an operator event is recorded once per change of state,
            // not on every refresh or restart.
            try db.execute(sql: """
                CREATE TABLE alias_answers (
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    target TEXT NOT NULL,
                    family TEXT NOT NULL CHECK (family IN ('A', 'AAAA')),
                    addresses TEXT NOT NULL,
                    ttl INTEGER NOT NULL CHECK (ttl >= 0 AND ttl <= 4294967295),
                    resolved_at INTEGER NOT NULL,
                    PRIMARY KEY (zone_id, target, family)
                );
                CREATE TABLE alias_status (
                    zone_id INTEGER PRIMARY KEY REFERENCES zones(id) ON DELETE CASCADE,
                    state TEXT NOT NULL CHECK (state IN ('ok', 'degraded', 'blocked')),
                    since INTEGER NOT NULL,
                    reason TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3") { db in
            // Who may change a zone from outside the host. `update_acl`: RFC 2136 updates, per zone, by TSIG
            // key and/or address block (one entry per pair), limited to the owner-name patterns in `names`
            // and the type mnemonics in `types` (space-separated; empty: any). `api_keys`: the HTTP API's
            // keys, stored as the SHA-256 of the secret (hex) only, limited to the zones in `zones`
            // (space-separated; empty: every zone).
            try db.execute(sql: """
                CREATE TABLE update_acl (
                    id INTEGER PRIMARY KEY,
                    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
                    key_name TEXT REFERENCES tsig_keys(name) ON DELETE RESTRICT,
                    prefix TEXT,
                    names TEXT NOT NULL DEFAULT '',
                    types TEXT NOT NULL DEFAULT '',
                    CHECK (key_name IS NOT NULL OR prefix IS NOT NULL)
                );
                CREATE UNIQUE INDEX update_acl_unique ON update_acl(zone_id, ifnull(key_name, ''), ifnull(prefix, ''));
                CREATE TABLE api_keys (
                    name TEXT PRIMARY KEY,
                    digest TEXT NOT NULL UNIQUE,
                    zones TEXT NOT NULL DEFAULT '',
                    created_at INTEGER NOT NULL
                );
                """)
        }
        Outbox.registerMigrations(&migrator)
        migrator.registerMigration("v4-journal") { db in
            // IXFR out (issue 14): the expanded zone's history as served, one row per published version
            // (the step from the version before, `JournalDeltaCodec`); see `ZoneJournalTable`.
            try db.execute(sql: ZoneJournalTable.schemaV1)
        }
        return migrator
    }
}
