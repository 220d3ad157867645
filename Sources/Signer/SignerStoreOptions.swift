import ArgumentParser
import DNSCore
import DaemonKit
import Foundation

/// `--db PATH` and `--json`, taken by every subcommand that reads or edits the signer's store.
struct SignerStoreOptions: ParsableArguments {
    @Option(name: .long, help: "The signer's SQLite database (default: $DNS_SIGNER_DB, else the config file's 'database', else /var/lib/countersign/signer.db).")
    var db: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    var path: String { (try? choice().path) ?? SignerStore.defaultPath }

    /// The database, in order: `--db`, `$DNS_SIGNER_DB`, the `database` of the config file the daemon
    /// reads ($DNS_SIGNER_CONFIG, else /etc/countersign/signer.conf when it exists), the default — so on a
    /// deployed host the CLI finds the daemon's database by itself.
    func choice(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (path: String, defaulted: Bool) {
        if let db { return (db, false) }
        if let variable = environment["DNS_SIGNER_DB"], !variable.isEmpty { return (variable, false) }
        let config = try SignerServeSettings.loadConfig(nil, environment: environment)
        if let fromFile = try config.single("database").map({ value throws(ConfigError) in try value.word() }) { return (fromFile, false) }
        return (SignerStore.defaultPath, true)
    }

    func open() throws -> SignerStore {
        let (path, defaulted) = try choice()
        return try Self.openStore(path: path, defaulted: defaulted)
    }

    /// Opens the store at `path`; when it cannot be opened, says why and what to do (create the state
    /// directory, or choose another database), naming the default when no setting chose the path.
    static func openStore(path: String, defaulted: Bool, journalLimits: JournalLimits = .default) throws -> SignerStore {
        do {
            return try SignerStore(path: path, journalLimits: journalLimits)
        } catch let error as SQLiteDatabase.OpenError {
            throw error.advising(SQLiteDatabase.DatabaseChoice(
                command: "dns-signer", variable: "DNS_SIGNER_DB", configFile: SignerServeSettings.defaultConfig, defaulted: defaulted))
        }
    }

    /// Prints `value` as JSON when asked, else the text form.
    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            print(text())
        }
    }

    /// Seconds since 1970 as `2025-01-31 12:00:00Z`, with how long ago or ahead of `now` it is.
    static func time(_ seconds: Int64?, now: Date = Date()) -> String {
        guard let seconds else { return "never" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let delta = seconds - Int64(now.timeIntervalSince1970.rounded(.down))
        let relative = delta == 0 ? "now" : delta > 0 ? "in \(duration(delta))" : "\(duration(-delta)) ago"
        return "\(formatter.string(from: date))Z (\(relative))"
    }

    /// `45s`, `12m`, `3h20m`, `6d23h`: the largest unit and the next, for reading at a glance.
    static func duration(_ seconds: Int64) -> String {
        let units: [(size: Int64, name: String)] = [(86400, "d"), (3600, "h"), (60, "m"), (1, "s")]
        guard let first = units.firstIndex(where: { seconds >= $0.size }) else { return "0s" }
        var text = "\(seconds / units[first].size)\(units[first].name)"
        if first + 1 < units.count {
            let next = seconds % units[first].size / units[first + 1].size
            if next > 0 { text += "\(next)\(units[first + 1].name)" }
        }
        return text
    }
}
