import ArgumentParser
import DaemonKit
import Foundation

/// `--db PATH`, `--config FILE` and `--json`, taken by every subcommand that reads or edits the store.
///
/// The database is, in order: `--db`, `$DNS_PRIMARY_DB`, the config file's `database`, the default. The
/// config file is `--config`, else `$DNS_PRIMARY_CONFIG`, else /etc/countersign/primary.conf when it
/// exists — so on a deployed host `dns-primary zone list` finds the daemon's database by itself.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The primary's SQLite database (default: $DNS_PRIMARY_DB, else the config file's 'database', else \(StoreOptions.defaultDatabase)).")
    var db: String?

    @Option(name: .long, help: "Config file (default: $DNS_PRIMARY_CONFIG, else \(StoreOptions.defaultConfig) when it exists). See deploy/primary.conf.example.")
    var config: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    static let defaultDatabase = "/var/lib/countersign/primary.db"
    static let defaultConfig = "/etc/countersign/primary.conf"

    /// The config file in force, validated against the primary's keys and channel sections (every
    /// command checks the whole file, so one with `[webhook NAME]` sections serves them all); `.empty`
    /// when there is none.
    func loadConfig(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> ConfigFile {
        let path: String
        if let config {
            path = config
        } else if let fromEnvironment = environment["DNS_PRIMARY_CONFIG"], !fromEnvironment.isEmpty {
            path = fromEnvironment
        } else if FileManager.default.fileExists(atPath: StoreOptions.defaultConfig) {
            path = StoreOptions.defaultConfig
        } else {
            return .empty
        }
        let file = try ConfigFile.load(path: path)
        try file.validate(allowedKeys: ConfigFile.primaryKeys, sections: ConfigFile.primarySections)
        return file
    }

    /// The database path given the loaded config.
    func path(config: ConfigFile, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> String {
        let fromEnvironment = environment["DNS_PRIMARY_DB"].flatMap { $0.isEmpty ? nil : $0 }
        return try config.setting("database", flag: db ?? fromEnvironment, default: StoreOptions.defaultDatabase) {
            value throws(ConfigError) in try value.word()
        }
    }

    var path: String {
        get throws { try path(config: loadConfig()) }
    }

    func open() throws -> PrimaryStore {
        let config = try loadConfig()
        return try Self.openStore(path: try path(config: config), defaulted: databaseDefaulted(config: config))
    }

    /// No flag, variable or config file named the database: the path is the built-in default.
    func databaseDefaulted(config: ConfigFile, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        db == nil && (environment["DNS_PRIMARY_DB"] ?? "").isEmpty && ((try? config.single("database")) ?? nil) == nil
    }

    /// Opens the store at `path`; when it cannot be opened or created there, says why and what to do
    /// (create the state directory, or choose another database), naming the default when nothing chose it.
    static func openStore(path: String, defaulted: Bool) throws -> PrimaryStore {
        if let problem = SQLiteDatabase.locationProblem(path: path) {
            throw problem.advising(SQLiteDatabase.DatabaseChoice(
                command: "dns-primary", variable: "DNS_PRIMARY_DB", configFile: defaultConfig, defaulted: defaulted))
        }
        return try PrimaryStore(path: path)
    }

    /// Prints `value` as JSON when asked, else the text form.
    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        if json {
            print(try StoreOptions.jsonText(value))
        } else {
            print(text())
        }
    }

    static func jsonText<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
