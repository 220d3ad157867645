import GRDB

extension Migrations {
    /// The catalog zone (RFC 9432) the primary produces of its zones (issue 15): its name, the group
    /// every member carries, and the serial and membership digest last published, so a restart keeps the
    /// serial rising and an unchanged membership keeps it.
    static func registerCatalogMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-catalog") { db in
            try db.execute(sql: """
                CREATE TABLE catalog_produced (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    name TEXT NOT NULL,
                    member_group TEXT,
                    serial INTEGER NOT NULL DEFAULT 0 CHECK (serial BETWEEN 0 AND 4294967295),
                    members_digest BLOB
                );
                """)
        }
    }
}
