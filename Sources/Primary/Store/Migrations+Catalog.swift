import DaemonKit
import GRDB

extension Migrations {
    /// The catalog zone (RFC 9432) the primary produces of its zones (issue 15): its name, the group
    /// every member carries, and the serial and membership digest last published, so a restart keeps the
    /// serial rising and an unchanged membership keeps it.
    static func registerCatalogMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-catalog") { db in
            try db.execute(sql: ProducedCatalogTable.createSQL)
        }
    }
}
