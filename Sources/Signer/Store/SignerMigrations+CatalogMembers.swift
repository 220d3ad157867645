import GRDB

extension SignerMigrations {
    /// Catalog members, both ways (issue 15, item 5 leftovers):
    /// - `catalog_member_id`, `catalog_coo`: the unique id and `coo` property a followed catalog last
    ///   listed the zone with, so a changed id is seen as a member reset (RFC 9432 §5.4) and a `coo`
    ///   lets the named catalog take the zone over (§5.5). NULL for zones added by hand.
    /// - `generation`: raised by a reset; the daemon runs a zone whose generation moved as a new zone
    ///   (a fresh worker over the emptied state), as it does for a zone removed and added again.
    /// - `catalog_group`: the group property (RFC 9432 §4.4.2) this zone carries in the catalog the
    ///   signer produces, instead of the catalog-wide one; NULL: the catalog's.
    static func registerCatalogMembersMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("signer-v8-catalog-members") { db in
            try db.execute(sql: """
                ALTER TABLE zones ADD COLUMN catalog_member_id TEXT;
                ALTER TABLE zones ADD COLUMN catalog_coo TEXT;
                ALTER TABLE zones ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE zones ADD COLUMN catalog_group TEXT
                    CHECK (catalog_group IS NULL OR (length(CAST(catalog_group AS BLOB)) BETWEEN 1 AND 255));
                """)
        }
    }
}
