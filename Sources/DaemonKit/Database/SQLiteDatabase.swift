import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Opens the SQLite file a daemon and its CLI share, the same way for both tiers.
///
/// WAL so readers (a daemon serving, a CLI showing status) never block the writer; `synchronous=FULL` so
/// a committed change survives power loss; a busy timeout so two writers queue instead of failing; a new
/// file readable by its owner only, because it holds TSIG secrets and private keys (SQLite gives the -wal
/// and -shm files the same mode).
package enum SQLiteDatabase {
    /// How long a writer waits for another writer's lock before giving up.
    package static let busyTimeout: TimeInterval = 10

    /// Why the database could not be opened, named so that the operator knows what to fix: SQLite's own
    /// "unable to open database file" says neither that a directory is missing nor whose permission is
    /// lacking. `advice` is the daemon's own way out (its flag, variable and config file), added by the
    /// command that chose the path (`advising`).
    package struct OpenError: Error, CustomStringConvertible, Sendable, Equatable {
        package enum Kind: Sendable, Equatable {
            /// The directory the file would be created in does not exist (a fresh machine).
            case missingDirectory(String)
            /// The file, or the directory it is created in, is not writable by this user.
            case permissionDenied
            case other
        }

        package var path: String
        package var kind: Kind
        package var reason: String
        package var advice: String?

        package init(path: String, kind: Kind = .other, reason: String, advice: String? = nil) {
            self.path = path
            self.kind = kind
            self.reason = reason
            self.advice = advice
        }

        package var description: String { "\(path): \(reason)" + (advice.map { "\n\($0)" } ?? "") }
    }

    /// How a daemon's commands choose their database, for the advice in an `OpenError`.
    package struct DatabaseChoice: Sendable {
        /// `dns-signer`
        package var command: String
        /// `DNS_SIGNER_DB`
        package var variable: String
        /// `/etc/countersign/signer.conf`
        package var configFile: String
        /// The path is the built-in default: no flag, variable or config file named one.
        package var defaulted: Bool

        package init(command: String, variable: String, configFile: String, defaulted: Bool) {
            self.command = command
            self.variable = variable
            self.configFile = configFile
            self.defaulted = defaulted
        }
    }

    /// Opens (creating when missing, mode 0600) and migrates the database at `path`.
    package static func open(path: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        if let problem = locationProblem(path: path) { throw problem }
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        if !FileManager.default.fileExists(atPath: path) {
            // The C call (not FileManager.createFile) so that a failure comes with its errno.
            #if canImport(Glibc)
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            #else
            let fd = Darwin.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            #endif
            if fd < 0 && errno != EEXIST {
                throw OpenError(path: path, kind: errno == EACCES || errno == EPERM ? .permissionDenied : .other,
                                reason: "cannot create the database file: \(String(cString: strerror(errno)))")
            }
            if fd >= 0 { close(fd) }
        }
        let pool = try DatabasePool(path: path, configuration: config)
        // GRDB sets NORMAL on the writer when it turns WAL on, after `prepareDatabase`: override it there.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try migrator.migrate(pool)
        return pool
    }

    /// Why a database cannot be opened or created at `path`, judged before SQLite is asked; nil when
    /// nothing stands in the way that can be seen from here.
    package static func locationProblem(path: String) -> OpenError? {
        let manager = FileManager.default
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let user = userName(getuid())
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return OpenError(path: path, reason: "is a directory, not a database file") }
            if access(path, R_OK | W_OK) != 0 {
                return OpenError(path: path, kind: .permissionDenied,
                                 reason: "the database exists but \(user) cannot read and write it (\(ownerAndMode(path)))")
            }
            // WAL mode needs the -wal and -shm files beside the database.
            if access(directory, W_OK | X_OK) != 0 && !manager.fileExists(atPath: path + "-wal") {
                return OpenError(path: path, kind: .permissionDenied,
                                 reason: "\(user) cannot create the database's -wal and -shm files in \(directory) (\(ownerAndMode(directory)))")
            }
            return nil
        }
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            return OpenError(path: path, kind: .missingDirectory(directory),
                             reason: "no database there, and it cannot be created: the directory \(directory) does not exist")
        }
        guard isDirectory.boolValue else {
            return OpenError(path: path, reason: "cannot create the database: \(directory) is not a directory")
        }
        if access(directory, W_OK | X_OK) != 0 {
            let why = errno == EROFS ? "it is on a read-only file system" : "\(user) may not create files there (\(ownerAndMode(directory)))"
            return OpenError(path: path, kind: .permissionDenied, reason: "no database there, and it cannot be created in \(directory): \(why)")
        }
        return nil
    }

    /// The name of a user id, or `uid N`.
    static func userName(_ uid: uid_t) -> String {
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(uid)"
    }

    /// `owner countersign, mode 0750`.
    static func ownerAndMode(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "cannot stat it: \(String(cString: strerror(errno)))" }
        return "owner \(userName(info.st_uid)), mode 0\(String(info.st_mode & 0o777, radix: 8))"
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

extension SQLiteDatabase.OpenError {
    /// This error with what the operator of `choice`'s daemon can do about it: create the state directory
    /// or point at another database (flag, environment variable, config file); run as the owner.
    package func advising(_ choice: SQLiteDatabase.DatabaseChoice) -> Self {
        var advised = self
        let elsewhere = "use a database elsewhere: --db PATH, \(choice.variable)=PATH, or `database PATH` in \(choice.configFile)"
        let why = choice.defaulted
            ? "This is the default path: none of --db, \(choice.variable) or `database` in \(choice.configFile) names another. " : ""
        switch kind {
        case .missingDirectory(let directory):
            let user = SQLiteDatabase.userName(getuid())
            advised.advice = "\(why)Either create the state directory for the user that runs \(choice.command) "
                + "(sudo install -d -m 0750 -o \(user) \(directory); under systemd the unit's StateDirectory= creates it), "
                + "or \(elsewhere)."
        case .permissionDenied:
            advised.advice = "\(why)Run \(choice.command) as the user that owns it (the daemon's user, e.g. sudo -u countersign), "
                + "or \(elsewhere)."
        case .other:
            break
        }
        return advised
    }
}
