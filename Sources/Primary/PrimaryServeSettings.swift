import ArgumentParser
import DaemonKit
import DNSCore
import DNSEdge
import Foundation

/// What `dns-primary serve` runs with: its flags merged over the config file, then the defaults.
///
/// A flag given on the command line wins; for a repeatable setting (`listen`, `resolver`,
/// `allow-transfer`) any flag replaces the file's whole list. Everything is parsed here, so a bad
/// address is reported before a socket is opened — as `--listen X: reason` for a flag and as
/// `file:line: listen: reason` for the file (the file is checked even where a flag overrides it).
///
/// The notification channels (`[webhook NAME]`, `[smtp NAME]`, `[sendmail NAME]` sections and the
/// `--webhook`/`--smtp`/`--sendmail` flags) are read by `serve` alone, from `config`: they may name
/// secret files that the admin commands, which also build these settings, need not be able to read.
struct PrimaryServeSettings: Sendable {
    enum LogFormat: String, Sendable, CaseIterable, ExpressibleByArgument { case text, json }

    var database: String
    var listen: [ListenAddress]
    var resolvers: [ListenAddress]
    /// Upper bound, in seconds, on the age of an ALIAS answer (targets are also looked up before their TTL ends).
    var refresh: Int
    /// Seconds between lookups of an ALIAS target that failed.
    var retry: Int
    /// Take ALIAS addresses only from answers the resolver authenticated (issue 16 item 4).
    var aliasRequireAuthentic = false
    /// ALIAS lookups (one target, one family) in flight at once, at most (issue 15 item 6).
    var aliasConcurrency: Int
    var threads: Int
    var transferACL: TransferACL
    var logFormat: LogFormat
    /// Where Prometheus metrics and /healthz are served; nil: not at all.
    var metricsListen: ListenAddress?
    /// Where the PowerDNS-compatible HTTP API listens; nil: off.
    var apiListen: ListenAddress?
    /// PEM certificate chain and key for the API's HTTPS; nil: plain HTTP.
    var apiTLS: APIServer.TLSFiles?
    /// The notification worker's options (`notification-history-days`).
    var notificationWorker: NotificationWorker.Options
    /// How much history of each expanded zone is kept for IXFR out.
    var journalLimits: JournalLimits
    /// The file as loaded (`.empty` without one), for the channel sections.
    var config: ConfigFile

    static let defaultListen = "127.0.0.1:53"
    static let defaultRefresh = 30
    static let defaultRetry = 5
    static let defaultThreads = 2
    /// 64 lookups at once resolve 1,000 ALIAS records (2,000 lookups) in 32 round trips: about 1.6 s
    /// through a resolver 50 ms away, a few milliseconds through one on the host, without a burst big
    /// enough to trip a recursive resolver's per-client limits.
    static let defaultAliasConcurrency = 64
    /// Each lookup in flight holds a socket; more than this is a burst no resolver should be sent.
    static let aliasConcurrencyRange = 1...1024
    static let defaultMetricsPort = 9153
    /// PowerDNS's webserver port, where API clients look first.
    static let defaultAPIPort = 8081

    /// The command line as given: nil or empty means "not given", so the file can fill it in. (The
    /// command's options must therefore have no defaults of their own.)
    struct Flags: Sendable {
        var database: String?
        var listen: [String] = []
        var resolver: [String] = []
        var refresh: Int?
        var retry: Int?
        var threads: Int?
        var allowTransfer: [String] = []
        var logFormat: LogFormat?
        var metricsListen: String?
        var apiListen: String?
        var apiTLSCertificate: String?
        var apiTLSKey: String?
        var aliasRequireAuthentic: Bool?
        var aliasConcurrency: Int?
        var journalMaxVersions: Int?
        var journalMaxBytes: Int?
    }

    /// Loads the config file named by `store` (`--config`, `$DNS_PRIMARY_CONFIG`, or the default path when
    /// it exists) and merges `flags` over it. `flags.database` is ignored: `store.db` is the flag.
    static func resolve(store: StoreOptions, flags: Flags,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PrimaryServeSettings {
        let config = try store.loadConfig(environment: environment)
        var flags = flags
        flags.database = store.db
        return try PrimaryServeSettings(flags: flags, config: config, environment: environment)
    }

    /// Merges `flags` over `config` (already validated against `ConfigFile.primaryKeys`).
    /// `systemResolvers` supplies the default resolvers (`/etc/resolv.conf`) when neither names one.
    init(flags: Flags, config: ConfigFile, environment: [String: String] = [:],
         systemResolvers: () -> [String] = ServeCommand.systemResolvers) throws {
        func parsed<T>(_ flag: String, _ texts: [String], _ parse: (String) throws -> T) throws -> [T] {
            try texts.map { text in
                do { return try parse(text) } catch { throw ValidationError("--\(flag) \(text): \(error)") }
            }
        }
        let address = { (text: String) throws -> ListenAddress in try ListenAddress(parsing: text) }
        let fileAddress: (ConfigFile.Value) throws(ConfigError) -> ListenAddress = { value throws(ConfigError) in
            try value.address()
        }

        let fromEnvironment = environment["DNS_PRIMARY_DB"].flatMap { $0.isEmpty ? nil : $0 }
        database = try config.setting("database", flag: flags.database ?? fromEnvironment, default: StoreOptions.defaultDatabase) {
            value throws(ConfigError) in try value.word()
        }
        listen = try config.list("listen", flags: parsed("listen", flags.listen, address),
                                 default: [try ListenAddress(parsing: Self.defaultListen)], fileAddress)
        // Resolvers are asked by address: a host name would need a resolver of its own.
        let resolverAddress = { (text: String) throws -> ListenAddress in
            let parsed = try ListenAddress(parsing: text)
            guard IPAddress(parsed.host) != nil else { throw ValidationError("not an IP address (with an optional port)") }
            return parsed
        }
        resolvers = try config.list("resolver", flags: parsed("resolver", flags.resolver, resolverAddress), default: []) {
            value throws(ConfigError) in
            let parsed = try value.address()
            guard IPAddress(parsed.host) != nil else { throw value.error("\(value.text): not an IP address (with an optional port)") }
            return parsed
        }
        if resolvers.isEmpty {
            // An entry of resolv.conf we cannot use (a link-local address with a zone) is skipped.
            resolvers = systemResolvers().compactMap { try? resolverAddress($0) }
        }
        guard !resolvers.isEmpty else {
            throw ValidationError("no resolver for ALIAS targets: give --resolver, 'resolver' in the config file, or a nameserver in /etc/resolv.conf")
        }

        if let refresh = flags.refresh, refresh < 1 { throw ValidationError("--refresh \(refresh): must be at least 1 second") }
        refresh = try config.setting("refresh", flag: flags.refresh, default: Self.defaultRefresh) {
            value throws(ConfigError) in try value.seconds(in: 1...86400)
        }
        if let retry = flags.retry, retry < 1 { throw ValidationError("--retry \(retry): must be at least 1 second") }
        retry = try config.setting("retry", flag: flags.retry, default: Self.defaultRetry) {
            value throws(ConfigError) in try value.seconds(in: 1...86400)
        }
        aliasRequireAuthentic = try config.setting("alias-require-authentic", flag: flags.aliasRequireAuthentic, default: false) {
            value throws(ConfigError) in try value.boolean()
        }
        let range = Self.aliasConcurrencyRange
        if let limit = flags.aliasConcurrency, !range.contains(limit) {
            throw ValidationError("--alias-concurrency \(limit): must be \(range.lowerBound)...\(range.upperBound) (ALIAS lookups in flight at once)")
        }
        aliasConcurrency = try config.setting("alias-concurrency", flag: flags.aliasConcurrency, default: Self.defaultAliasConcurrency) {
            value throws(ConfigError) in try value.integer(in: range)
        }
        if let threads = flags.threads, !(1...64).contains(threads) { throw ValidationError("--threads \(threads): must be 1...64") }
        threads = try config.setting("threads", flag: flags.threads, default: Self.defaultThreads) {
            value throws(ConfigError) in try value.integer(in: 1...64)
        }

        let rules = try config.list(
            "allow-transfer", flags: parsed("allow-transfer", flags.allowTransfer) { try TransferACL.Rule(parsing: $0) },
            default: []
        ) { value throws(ConfigError) in
            do { return try TransferACL.Rule(parsing: value.text) } catch { throw value.error("\(error)") }
        }
        transferACL = rules.isEmpty ? .loopbackOnly : TransferACL(rules: rules)

        logFormat = try config.setting("log-format", flag: flags.logFormat, default: .text) { value throws(ConfigError) in
            LogFormat(rawValue: try value.choice(ConfigFile.logFormats)) ?? .text
        }
        let metrics = try flags.metricsListen.map { text in
            do { return try ListenAddress(parsing: text, defaultPort: Self.defaultMetricsPort) } catch {
                throw ValidationError("--metrics-listen \(text): \(error)")
            }
        }
        let metricsFromFile = try config.single("metrics-listen").map { value throws(ConfigError) in
            try value.address(defaultPort: Self.defaultMetricsPort)
        }
        metricsListen = metrics ?? metricsFromFile
        let api = try flags.apiListen.map { text in
            do { return try ListenAddress(parsing: text, defaultPort: Self.defaultAPIPort) } catch {
                throw ValidationError("--api-listen \(text): \(error)")
            }
        }
        let apiFromFile = try config.single("api-listen").map { value throws(ConfigError) in
            try value.address(defaultPort: Self.defaultAPIPort)
        }
        apiListen = api ?? apiFromFile
        let certificate = try config.setting("api-tls-certificate", flag: flags.apiTLSCertificate, default: "") {
            value throws(ConfigError) in try value.word()
        }
        let key = try config.setting("api-tls-key", flag: flags.apiTLSKey, default: "") { value throws(ConfigError) in try value.word() }
        guard certificate.isEmpty == key.isEmpty else {
            throw ValidationError("api-tls-certificate and api-tls-key go together: give both or neither")
        }
        apiTLS = certificate.isEmpty ? nil : APIServer.TLSFiles(certificateChain: certificate, privateKey: key)
        notificationWorker = try NotificationWorker.Options(config: config)
        journalLimits = try JournalLimits(config: config, versions: flags.journalMaxVersions, bytes: flags.journalMaxBytes)
        self.config = config
    }

    /// 127.0.0.0/8 and ::1: where plain HTTP keeps API keys on the host.
    static func isLoopback(_ address: IPAddress) -> Bool {
        IPAddressPrefix.loopbackV4.contains(address) || IPAddressPrefix.loopbackV6.contains(address)
    }
}
