import Foundation
import GRDB

/// Opens the SQLite file a daemon and its CLI share, the same way for both tiers.
///
/// WAL so readers (a daemon serving, a CLI showing status) never block the writer; `synchronous=FULL` so
/// a committed change survives power loss; a busy timeout so two writers queue instead of failing; a new
/// file readable by its owner only, because it holds TSIG secrets and private keys (SQLite gives the -wal
/// and -shm files the same mode).
package enum SQLiteDatabase {
    /// How long a writer waits for another writer's lock before giving up.
    package static let busyTimeout: TimeInterval = 10

    package struct OpenError: Error, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var description: String { "\(path): \(reason)" }
    }

    /// Opens (creating when missing, mode 0600) and migrates the database at `path`.
    package static func open(path: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            else { throw OpenError(path: path, reason: "cannot create the database file") }
        }
        let pool = try DatabasePool(path: path, configuration: config)
        // GRDB sets NORMAL on the writer when it turns WAL on, after `prepareDatabase`: override it there.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try migrator.migrate(pool)
        return pool
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (the write lock taken before the first read, so
    /// nothing is computed from a stale read); a throw rolls everything back.
    package static func writeImmediate<T>(_ pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            return result!
        }
    }
}
