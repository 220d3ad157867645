import ArgumentParser
import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging
import NIOCore
import NIOPosix

/// `dns-signer serve`: the signing secondary. Every zone in the store (`dns-signer zone add`) is served
/// at once from its last published version, then polled from its primaries, guarded, re-signed and
/// served; zones added, changed or removed with the CLI are picked up within a second. Operators hear
/// about it through the notification channels (config file sections or the flags below); Prometheus
/// metrics and `/healthz` are served on `--metrics-listen`.
///
/// `--zone-file ORIGIN=FILE` serves a zone file as is beside them (signed or not, never polled): the
/// benchmark and the offline tools use it. With `--zone-file` and no database named (flag, variable or
/// config file) and none at the default path, it serves those files alone and needs no database at all.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the signing secondary: poll, guard, re-sign and serve the zones in the store.")

    @Option(name: .long, help: "Config file (default: $DNS_SIGNER_CONFIG, else /etc/countersign/signer.conf when it exists). Flags override it.")
    var config: String?

    @Option(name: .long, help: "The signer's database (default: $DNS_SIGNER_DB, the config file's 'database', else /var/lib/countersign/signer.db).")
    var db: String?

    @Option(name: .long, help: "Address and port to listen on, e.g. 127.0.0.1:5300 or [::1]:5300. Repeatable. Default 127.0.0.1:5300.")
    var listen: [String] = []

    @Option(name: .customLong("zone-file"), help: "Also serve a zone file as is, as ORIGIN=FILE. Repeatable.")
    var zoneFiles: [String] = []

    @Option(help: "Event-loop threads answering queries (default: one per core).")
    var threads: Int?

    @Option(name: .customLong("allow-transfer"), help: "Who may transfer the --zone-file zones: PREFIX or 'PREFIX key NAME'. Repeatable. Default: loopback only.")
    var allowTransfer: [String] = []

    @Option(name: .customLong("metrics-listen"), help: "Serve Prometheus /metrics and /healthz over HTTP here, ADDR:PORT.")
    var metricsListen: String?

    @Option(name: .customLong("log-format"), help: "text (one line per event) or json (JSON lines).")
    var logFormat: String?

    @Option(name: .customLong("parent-resolver"), help: "A validating resolver, ADDR[:PORT], through which KSK rollovers find the parent's servers and authenticate its DS answers. Repeatable.")
    var parentResolvers: [String] = []

    @Option(name: .customLong("journal-max-versions"), help: "Versions of each signed zone kept for IXFR out (0: none, every IXFR gets the whole zone). Default 100.")
    var journalMaxVersions: Int?

    @Option(name: .customLong("journal-max-bytes"), help: "Bytes of stored changes kept per zone for IXFR out. Default 67108864 (64 MiB).")
    var journalMaxBytes: Int?

    @OptionGroup(title: "Notification channels (simple cases; the config file holds the rest)")
    var notifications: NotificationChannelsOptions

    func run() async throws {
        let settings = try SignerServeSettings(
            flags: .init(config: config, database: db, listen: listen, threads: threads, logFormat: logFormat,
                         metricsListen: metricsListen, parentResolvers: parentResolvers,
                         journalMaxVersions: journalMaxVersions, journalMaxBytes: journalMaxBytes),
            coreCount: System.coreCount)
        _ = LogSetup.bootstrap(format: settings.logFormat)
        let registry = Telemetry.bootstrap()
        let logger = Logger(label: "countersign.signer")
        let channels = try notifications.settings(config: settings.config).channels

        var zones: [Zone] = []
        for entry in zoneFiles {
            guard let equals = entry.firstIndex(of: "=") else { throw ValidationError("--zone-file \(entry): expected ORIGIN=FILE") }
            let origin = try SignerOptions.origin(String(entry[..<equals]))
            let file = String(entry[entry.index(after: equals)...])
            let zone = try ZoneFiles.load(file, origin: origin)
            try SignerOptions.refuseErrors(in: zone, file: file)
            zones.append(zone)
        }
        let served = try ServedZones(zones)
        let staticOrigins = Set(zones.map(\.origin))
        zones.removeAll()
        // The parsed zones were several times the size of their snapshots; hand that memory back.
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif

        let group = MultiThreadedEventLoopGroup(numberOfThreads: settings.threads)
        if !zoneFiles.isEmpty && settings.databaseDefaulted && !FileManager.default.fileExists(atPath: settings.database) {
            try await serveFilesOnly(served, origins: staticOrigins, settings: settings, channels: channels.map(\.name),
                                     logger: logger, group: group)
            return
        }
        let store = try SignerStoreOptions.openStore(path: settings.database, defaulted: settings.databaseDefaulted,
                                                    journalLimits: settings.journalLimits)
        let daemon = SignerDaemon(store: store, served: served, logger: logger, group: group, staticZones: staticOrigins,
                                  parentResolvers: settings.parentResolvers)
        try await daemon.start()
        if !staticOrigins.isEmpty {
            let acl = try allowTransfer.isEmpty ? TransferACL.loopbackOnly : TransferACL(rules: allowTransfer.map { text in
                do { return try TransferACL.Rule(parsing: text) } catch { throw ValidationError("--allow-transfer \(text): \(error)") }
            })
            try await daemon.setStaticACL(acl)
        }
        let server = DNSServer(
            configuration: DNSServerConfiguration(listen: settings.listen), handler: CountingRequestHandler(daemon.handler),
            group: group, threads: settings.threads)
        try await server.start()
        logger.info("listening", metadata: [
            "listeners": "\(server.listeners.map(\.description).joined(separator: ", "))", "database": "\(settings.database)",
            "channels": "\(channels.map(\.name).joined(separator: ","))",
        ])

        let startedAt = Int64(Date().timeIntervalSince1970)
        var operations: OperationsServer?
        if let address = settings.metricsListen {
            let http = OperationsServer(listen: address, registry: registry, health: { await daemon.health(since: startedAt) }, logger: logger)
            try await http.start()
            logger.info("metrics and health", metadata: ["listen": "\(address)"])
            operations = http
        }
        // Runs with no channels too: it keeps the outbox pruned.
        let worker = NotificationWorker(pool: store.pool, channels: channels, logger: logger,
                                        options: settings.notificationWorker)
        let delivery = Task { await worker.run() }
        // A re-sign, refusal or failure is told at once, not at the worker's next idle pass.
        store.outboxSignal.onEventsCommitted { Task { await worker.wake() } }
        let reload = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                do { try await daemon.reload() } catch {
                    logger.error("cannot read the store", metadata: ["reason": "\(error)"])
                }
            }
        }
        let pollTimes = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: PollTimes.flushInterval)
                daemon.flushPollTimes()
                FreedMemory.release()
            }
        }
        await SignalWait.untilTerminated()
        pollTimes.cancel()
        reload.cancel()
        delivery.cancel()
        logger.info("stopping")
        await daemon.stop()
        await server.stop()
        await operations?.stop()
        try? await group.shutdownGracefully()
    }
}

extension ServeCommand {
    /// `--zone-file` zones only, without a database: nothing is polled, signed or stored, so there are no
    /// events to deliver and no keys to keep. The zones are answered and transferred (`--allow-transfer`)
    /// as with a database, with metrics and `/healthz` when asked.
    func serveFilesOnly(_ served: ServedZones, origins: Set<DomainName>, settings: SignerServeSettings, channels: [String],
                        logger: Logger, group: MultiThreadedEventLoopGroup) async throws {
        let acl = try allowTransfer.isEmpty ? TransferACL.loopbackOnly : TransferACL(rules: allowTransfer.map { text in
            do { return try TransferACL.Rule(parsing: text) } catch { throw ValidationError("--allow-transfer \(text): \(error)") }
        })
        let router = DNSRequestRouter(served: served, transfers: ZoneTransferResponder(zones: served, acl: acl, logger: logger), logger: logger)
        let server = DNSServer(
            configuration: DNSServerConfiguration(listen: settings.listen), handler: CountingRequestHandler(router),
            group: group, threads: settings.threads)
        try await server.start()
        logger.info("listening", metadata: [
            "listeners": "\(server.listeners.map(\.description).joined(separator: ", "))",
            "database": "none: serving the --zone-file zones only (no database named and none at \(settings.database))",
        ])
        if !channels.isEmpty {
            logger.warning("notification channels unused: without a database there are no events", metadata: [
                "channels": "\(channels.joined(separator: ","))"])
        }
        var operations: OperationsServer?
        if let address = settings.metricsListen {
            let count = origins.count
            let http = OperationsServer(listen: address, registry: Telemetry.bootstrap(), health: { HealthReport(zonesChecked: count) },
                                        logger: logger)
            try await http.start()
            logger.info("metrics and health", metadata: ["listen": "\(address)"])
            operations = http
        }
        await SignalWait.untilTerminated()
        logger.info("stopping")
        await server.stop()
        await operations?.stop()
        try? await group.shutdownGracefully()
    }
}

#if os(Linux)
/// glibc's `malloc_trim`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
