import ArgumentParser
import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging

/// `dns-primary serve`: serves the stored zones with every ALIAS expanded into A/AAAA — in query answers
/// and in outgoing AXFR alike, with the same TTLs — keeps that expansion current, and sends NOTIFY to each
/// zone's targets whenever the zone's serial changes.
///
/// Every second it looks at the store's per-zone versions and republishes an edited zone (an edit made
/// with the CLI is served, and announced, within about a second). ALIAS targets are cached for their TTL
/// and looked up again shortly before it runs out, and at least every `--refresh` seconds. When the
/// expanded content changes without an edit (a load balancer moved), the zone's serial is raised in the
/// store, so any standard secondary sees the change by serial. What a failing target does depends on the
/// zone's policy: see `ExpandingPublisher`.
///
/// Transfers: a zone's own ACL entries (`transfer_acl`, with TSIG keys from the store) decide who may
/// transfer it; a zone without entries uses `--allow-transfer`, loopback only by default.
///
/// Operators hear, once, when a zone's ALIAS targets stop resolving (`alias.failing`) and once when they
/// resolve again (`alias.recovered`): the events are recorded in the store's outbox with the change of
/// state, and a `NotificationWorker` delivers them to the channels of the config file and the flags below.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the stored zones with ALIAS records expanded, and AXFR to allowed secondaries.")

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Address and port to listen on. Repeatable. Default 127.0.0.1:53.")
    var listen: [String] = []

    @Option(name: .long, help: "Resolver for ALIAS targets, ADDR[:PORT]. Repeatable. Default: the nameservers in /etc/resolv.conf.")
    var resolver: [String] = []

    @Option(name: .customLong("allow-transfer"), help: ArgumentHelp(
        "Who may transfer zones that have no transfer ACL of their own in the store: PREFIX or 'PREFIX key NAME'. Repeatable.",
        discussion: "Default: loopback only."))
    var allowTransfer: [String] = []

    @Option(name: .long, help: "Upper bound, in seconds, on the age of an ALIAS answer: targets are looked up again before their TTL runs out, and at least this often. Default 30.")
    var refresh: Int?

    @Option(name: .customLong("retry"), help: "Seconds between lookups of an ALIAS target that failed. Default 5.")
    var retry: Int?

    @Flag(name: .customLong("alias-require-authentic"), inversion: .prefixedNo, help: ArgumentHelp(
        "Accept ALIAS target addresses only from answers the resolver authenticated with DNSSEC (AD bit).",
        discussion: "Any other answer fails like an unreachable target, under the zone's --alias-failure policy. Needs a validating resolver on a trusted path. Default: no."))
    var aliasRequireAuthentic: Bool?

    @Option(name: .customLong("alias-concurrency"), help: ArgumentHelp(
        "ALIAS lookups (one target, one address family) sent to the resolvers at once, at most: 1...1024. Default 64.",
        discussion: "A finished lookup is replaced by the next at once, so a zone's targets take about lookups / N round trips."))
    var aliasConcurrency: Int?

    @Option(help: "Event-loop threads answering queries. Default 2.")
    var threads: Int?

    @Option(name: .customLong("metrics-listen"), help: "Serve Prometheus /metrics and /healthz over HTTP here, ADDR[:PORT].")
    var metricsListen: String?

    @Option(name: .customLong("api-listen"), help: "Serve the PowerDNS-compatible HTTP API here, ADDR[:PORT] (port 8081 when omitted). Default: off. See docs/API.md.")
    var apiListen: String?

    @Option(name: .customLong("api-tls-certificate"), help: "PEM certificate chain for the API's HTTPS (with --api-tls-key).")
    var apiTLSCertificate: String?

    @Option(name: .customLong("api-tls-key"), help: "PEM private key for the API's HTTPS.")
    var apiTLSKey: String?

    @Option(name: .customLong("log-format"), help: "text (one line per event) or json (JSON lines).")
    var logFormat: PrimaryServeSettings.LogFormat?

    @Option(name: .customLong("journal-max-versions"), help: "Versions of each expanded zone kept for IXFR out (0: none, every IXFR gets the whole zone). Default 100.")
    var journalMaxVersions: Int?

    @Option(name: .customLong("journal-max-bytes"), help: "Bytes of stored changes kept per zone for IXFR out. Default 67108864 (64 MiB).")
    var journalMaxBytes: Int?

    @OptionGroup(title: "Notification channels (simple cases; the config file holds the rest)")
    var notifications: NotificationChannelsOptions

    func run() async throws {
        let settings = try PrimaryServeSettings.resolve(store: store, flags: .init(
            listen: listen, resolver: resolver, refresh: refresh, retry: retry, threads: threads,
            allowTransfer: allowTransfer, logFormat: logFormat, metricsListen: metricsListen, apiListen: apiListen,
            apiTLSCertificate: apiTLSCertificate, apiTLSKey: apiTLSKey, aliasRequireAuthentic: aliasRequireAuthentic,
            aliasConcurrency: aliasConcurrency, journalMaxVersions: journalMaxVersions, journalMaxBytes: journalMaxBytes))
        _ = LogSetup.bootstrap(format: settings.logFormat == .json ? .json : .text)
        let registry = Telemetry.bootstrap()
        let logger = Logger(label: "countersign.primary")
        let channels = try notifications.settings(config: settings.config).channels
        let served = try ServedZones([])
        let handler = PrimaryRequestHandler(
            router: DNSRequestRouter(served: served, transfers: ZoneTransferResponder(zones: served, acl: settings.transferACL), logger: logger),
            logger: logger)
        let notifier = NotifySender(logger: logger)
        var publisherSettings = ExpandingPublisher.Settings()
        publisherSettings.refresh = UInt64(settings.refresh)
        publisherSettings.retryAfter = UInt64(settings.retry)
        publisherSettings.concurrency = settings.aliasConcurrency
        publisherSettings.defaultACL = settings.transferACL
        publisherSettings.journalLimits = settings.journalLimits
        let zoneStore = try StoreOptions.openStore(path: settings.database, defaulted: store.databaseDefaulted(config: settings.config))
        let publisher = ExpandingPublisher(
            store: zoneStore, served: served, resolver: UpstreamResolver(resolvers: settings.resolvers, requireAuthenticated: settings.aliasRequireAuthentic),
            handler: handler,
            notifier: notifier, settings: publisherSettings, logger: logger)
        let server = DNSServer(
            configuration: DNSServerConfiguration(listen: settings.listen), handler: CountingRequestHandler(handler),
            threads: settings.threads)
        // Listen first: until a zone's first expansion is published, its queries are refused rather than
        // the whole server being unreachable while targets resolve.
        try await server.start()
        logger.info("listening", metadata: [
            "listeners": "\(server.listeners.map(\.description).joined(separator: ", "))", "database": "\(settings.database)",
            "channels": "\(channels.map(\.name).joined(separator: ","))",
            "alias-require-authentic": "\(settings.aliasRequireAuthentic)", "alias-concurrency": "\(settings.aliasConcurrency)",
        ])
        var operations: OperationsServer?
        if let address = settings.metricsListen {
            let http = OperationsServer(listen: address, registry: registry, health: { Self.health(zoneStore) }, logger: logger)
            try await http.start()
            logger.info("metrics and health", metadata: ["listen": "\(address)"])
            operations = http
        }
        CountersignMetrics.declareAPIRequests()
        var api: APIServer?
        if let address = settings.apiListen {
            let powerDNS = PowerDNSAPI(store: zoneStore, logger: logger)
            let server = APIServer(listen: address, tls: settings.apiTLS, logger: logger) { request in powerDNS.handle(request) }
            try await server.start()
            let loopback = IPAddress(address.host).map { PrimaryServeSettings.isLoopback($0) } ?? (address.host == "localhost")
            logger.info("http api listening", metadata: [
                "listen": "\(ListenAddress(host: address.host, port: server.boundPort ?? address.port))",
                "tls": "\(settings.apiTLS != nil)",
                "reason": "\(settings.apiTLS == nil && !loopback ? "plain HTTP off loopback: API keys cross the network in clear" : "api-listen")",
            ])
            api = server
        }
        // Runs with no channels too: it keeps the outbox pruned.
        let worker = NotificationWorker(pool: zoneStore.pool, channels: channels, logger: logger,
                                        options: settings.notificationWorker)
        let delivery = Task { await worker.run() }
        // An ALIAS zone failing or recovering goes out at once, not at the worker's next idle pass.
        zoneStore.outboxSignal.onEventsCommitted { Task { await worker.wake() } }
        await publisher.start()
        // A quarter of a second between looks at the store: an edit made with the CLI is served and
        // announced (NOTIFY) well within a second.
        let loop = Task {
            while !Task.isCancelled {
                await publisher.cycle()
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        await SignalWait.untilTerminated()
        loop.cancel()
        delivery.cancel()
        logger.info("stopping")
        notifier.cancelAll()
        await server.stop()
        await operations?.stop()
        await api?.stop()
    }

    /// The primary is unhealthy when it cannot read its store, or when a zone's transfers are blocked
    /// because an ALIAS target fails under the `fail` policy (its secondaries get SERVFAIL).
    static func health(_ store: PrimaryStore) -> HealthReport {
        do {
            let zones = try store.versions().keys.sorted()
            let blocked = try store.aliasHealth().filter { $0.value == .blocked }.keys.sorted()
            return HealthReport(problems: blocked.map { .daemon("zone \($0): ALIAS targets fail; transfers answered SERVFAIL") },
                                zonesChecked: zones.count)
        } catch {
            return HealthReport(problems: [.daemon("cannot read the store: \(error)")])
        }
    }

    /// `nameserver` lines of /etc/resolv.conf.
    static func systemResolvers() -> [String] {
        let text = (try? ZoneFiles.readText("/etc/resolv.conf")) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.count >= 2 && fields[0] == "nameserver" ? String(fields[1]) : nil
        }
    }
}
