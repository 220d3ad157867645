import ArgumentParser
import DNSCore
import DaemonKit
import DNSEdge
import Foundation

/// What `dns-signer serve` runs with: flags over the config file (`--config`, `$DNS_SIGNER_CONFIG`, or
/// /etc/countersign/signer.conf when it exists), then the defaults. A flag wins; a repeatable flag
/// (`--listen`) replaces the file's whole list. The file is checked in full even where a flag
/// overrides it, and unknown keys are refused with `file:line`.
struct SignerServeSettings: Sendable {
    var database: String
    /// No flag, variable or config file named the database: `database` is the built-in default (with
    /// `--zone-file` only, serve then runs without a database unless that file exists).
    var databaseDefaulted: Bool
    var listen: [ListenAddress]
    var threads: Int
    var logFormat: LogFormat
    var metricsListen: ListenAddress?
    /// The notification worker's options (`notification-history-days`).
    var notificationWorker: NotificationWorker.Options
    var config: ConfigFile
    /// Validating resolvers the key lifecycle asks for the parents' keys (and finds their servers with).
    var parentResolvers: [ListenAddress]
    /// How much signed history each zone's journal keeps for IXFR out.
    var journalLimits: JournalLimits

    static let defaultConfig = "/etc/countersign/signer.conf"
    static let defaultListen = "127.0.0.1:5300"

    struct Flags: Sendable {
        var config: String?
        var database: String?
        var listen: [String] = []
        var threads: Int?
        var logFormat: String?
        var metricsListen: String?
        var parentResolvers: [String] = []
        var journalMaxVersions: Int?
        var journalMaxBytes: Int?
    }

    static func loadConfig(_ path: String?, environment: [String: String]) throws -> ConfigFile {
        let chosen = path ?? environment["DNS_SIGNER_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (FileManager.default.fileExists(atPath: defaultConfig) ? defaultConfig : nil)
        guard let chosen else { return .empty }
        let file = try ConfigFile.load(path: chosen)
        try file.validate(allowedKeys: ConfigFile.signerKeys, sections: ConfigFile.signerSections)
        return file
    }

    init(flags: Flags, environment: [String: String] = ProcessInfo.processInfo.environment, coreCount: Int) throws {
        config = try Self.loadConfig(flags.config, environment: environment)
        func address(_ flag: String, _ text: String) throws -> ListenAddress {
            do { return try ListenAddress(parsing: text) } catch { throw ValidationError("--\(flag) \(text): \(error)") }
        }
        let fromEnvironment = environment["DNS_SIGNER_DB"].flatMap { $0.isEmpty ? nil : $0 }
        database = try config.setting("database", flag: flags.database ?? fromEnvironment, default: SignerStore.defaultPath) {
            value throws(ConfigError) in try value.word()
        }
        let databaseInConfig = try config.single("database")
        databaseDefaulted = flags.database == nil && fromEnvironment == nil && databaseInConfig == nil
        listen = try config.list("listen", flags: flags.listen.map { try address("listen", $0) },
                                 default: [try ListenAddress(parsing: Self.defaultListen)]) { value throws(ConfigError) in try value.address() }
        threads = try config.setting("threads", flag: flags.threads, default: coreCount) { value throws(ConfigError) in
            try value.integer(in: 1...256)
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        let format = try config.setting("log-format", flag: flags.logFormat, default: "text") { value throws(ConfigError) in
            try value.choice(ConfigFile.logFormats)
        }
        guard let parsedFormat = LogFormat(rawValue: format) else {
            throw ValidationError("--log-format \(format): use \(ConfigFile.logFormats.joined(separator: " or "))")
        }
        logFormat = parsedFormat
        parentResolvers = try config.list("parent-resolver", flags: flags.parentResolvers.map { try address("parent-resolver", $0) },
                                          default: []) { value throws(ConfigError) in try value.address(defaultPort: 53) }
        let metricsFile = try config.single("metrics-listen").map { value throws(ConfigError) in try value.address(defaultPort: 9154) }
        metricsListen = try flags.metricsListen.map { try address("metrics-listen", $0) } ?? metricsFile
        notificationWorker = try NotificationWorker.Options(config: config)
        journalLimits = try JournalLimits(config: config, versions: flags.journalMaxVersions, bytes: flags.journalMaxBytes)
    }
}
