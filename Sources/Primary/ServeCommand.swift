import ArgumentParser
import DNSCore
import DNSEdge
import Foundation
import Logging

/// `dns-primary serve`: serves the stored zones with every ALIAS expanded into A/AAAA — in query answers
/// and in outgoing AXFR alike, with the same TTLs — and keeps that expansion current.
///
/// Every second it looks at the store's per-zone versions and republishes an edited zone; every
/// `--refresh` it resolves the ALIAS targets again. When the expanded content changes without an edit
/// (a load balancer moved), the zone's serial is raised in the store, so any standard secondary sees the
/// change by serial. Under the `fail` policy an expansion that fails keeps the last good version served
/// (and a zone never expanded is not served), so a signer transferring from us keeps what it has.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the stored zones with ALIAS records expanded, and AXFR to allowed secondaries.")

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Address and port to listen on. Repeatable.")
    var listen: [String] = ["127.0.0.1:53"]

    @Option(name: .long, help: "Resolver for ALIAS targets, ADDR[:PORT]. Repeatable. Default: the nameservers in /etc/resolv.conf.")
    var resolver: [String] = []

    @Option(name: .customLong("allow-transfer"), help: "Who may transfer zones: PREFIX or 'PREFIX key NAME'. Repeatable. Default: loopback only.")
    var allowTransfer: [String] = []

    @Option(name: .long, help: "Seconds between re-resolutions of the ALIAS targets.")
    var refresh: Int = 30

    @Option(help: "Event-loop threads answering queries.")
    var threads: Int = 2

    func run() async throws {
        let addresses = try listen.map { text in
            do { return try ListenAddress(parsing: text) } catch { throw ValidationError("--listen \(text): \(error)") }
        }
        let resolvers = try (resolver.isEmpty ? Self.systemResolvers() : resolver).map { text in
            do { return try ListenAddress(parsing: text) } catch { throw ValidationError("--resolver \(text): \(error)") }
        }
        guard !resolvers.isEmpty else { throw ValidationError("no --resolver given and none in /etc/resolv.conf") }
        let acl = try allowTransfer.isEmpty ? TransferACL.loopbackOnly : TransferACL(rules: allowTransfer.map { text in
            do { return try TransferACL.Rule(parsing: text) } catch { throw ValidationError("--allow-transfer \(text): \(error)") }
        })
        let logger = Logger(label: "countersign.primary")
        let served = try ServedZones([])
        let publisher = ExpandingPublisher(
            store: try store.open(), served: served, resolver: UpstreamResolver(resolvers: resolvers), logger: logger)
        let router = DNSRequestRouter(served: served, transfers: ZoneTransferResponder(zones: served, acl: acl), logger: logger)
        let server = DNSServer(configuration: DNSServerConfiguration(listen: addresses), handler: router, threads: max(1, threads))
        // Listen first: until a zone's first expansion is published, its queries are refused rather than
        // the whole server being unreachable while targets resolve.
        try await server.start()
        logger.info("listening", metadata: ["listeners": "\(server.listeners.map(\.description).joined(separator: ", "))"])
        await publisher.cycle(resolveAll: true)
        let loop = Task {
            var seconds = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                seconds += 1
                await publisher.cycle(resolveAll: seconds % max(1, refresh) == 0)
            }
        }
        await SignalWait.untilTerminated()
        loop.cancel()
        logger.info("stopping")
        await server.stop()
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

/// Keeps the served zones equal to the store's zones with their ALIAS records expanded.
actor ExpandingPublisher {
    let store: PrimaryStore
    let served: ServedZones
    let resolver: UpstreamResolver
    let logger: Logger
    /// Store version and expanded content last published, per zone.
    private var published: [String: (version: Int64, zone: Zone)] = [:]

    init(store: PrimaryStore, served: ServedZones, resolver: UpstreamResolver, logger: Logger) {
        self.store = store
        self.served = served
        self.resolver = resolver
        self.logger = logger
    }

    /// Republishes edited zones; with `resolveAll`, re-resolves every target and republishes what moved.
    func cycle(resolveAll: Bool) async {
        let versions: [String: Int64]
        do { versions = try store.versions() } catch {
            logger.error("cannot read the store", metadata: ["reason": "\(error)"])
            return
        }
        for name in published.keys where versions[name] == nil {
            if let origin = try? DomainName(name, origin: .root) { served.remove(origin) }
            published[name] = nil
            logger.info("zone removed", metadata: ["zone": "\(name)"])
        }
        for (name, version) in versions.sorted(by: { $0.key < $1.key }) {
            guard resolveAll || published[name]?.version != version else { continue }
            await publish(name, version: version)
        }
    }

    private func publish(_ name: String, version: Int64) async {
        do {
            let stored = try store.exportZone(name)
            let summary = try store.zone(name)
            let now = UInt64(Date().timeIntervalSince1970)
            var table = AliasResolutionTable()
            for target in AliasExpander.targets(in: stored) {
                for (family, lookup) in await resolver.resolve(target) {
                    table.results[AliasKey(target: target, family: family)] = lookup
                }
            }
            let policy = summary.aliasFailurePolicy.policy(keepLastMaxAge: summary.keepLastMaxAge)
            let expansion = try AliasExpander(policy: policy, now: now).expand(stored, with: table)
            for problem in expansion.problems {
                logger.warning("alias", metadata: ["zone": "\(name)", "problem": "\(problem)"])
            }
            if let previous = published[name], previous.version == version,
               !ZoneDiff(from: previous.zone, to: expansion.zone).isEmpty {
                // Same edit, new addresses: raise the serial in the store so secondaries see the change;
                // the next cycle publishes the zone with that serial.
                try store.edit(zone: name, record: nil, now: Date()) { _ in }
                logger.info("alias targets moved; serial raised", metadata: ["zone": "\(name)"])
                return
            }
            try served.publish(expansion.zone)
            published[name] = (version, expansion.zone)
            logger.info("published", metadata: ["zone": "\(name)", "serial": "\(summary.serial)", "version": "\(version)"])
        } catch {
            logger.error("not published; serving the last good version", metadata: ["zone": "\(name)", "reason": "\(error)"])
        }
    }
}
