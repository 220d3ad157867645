import ArgumentParser
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
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the stored zones with ALIAS records expanded, and AXFR to allowed secondaries.")

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: "Address and port to listen on. Repeatable.")
    var listen: [String] = ["127.0.0.1:53"]

    @Option(name: .long, help: "Resolver for ALIAS targets, ADDR[:PORT]. Repeatable. Default: the nameservers in /etc/resolv.conf.")
    var resolver: [String] = []

    @Option(name: .customLong("allow-transfer"), help: ArgumentHelp(
        "Who may transfer zones that have no transfer ACL of their own in the store: PREFIX or 'PREFIX key NAME'. Repeatable.",
        discussion: "Default: loopback only."))
    var allowTransfer: [String] = []

    @Option(name: .long, help: "Upper bound, in seconds, on the age of an ALIAS answer: targets are looked up again before their TTL runs out, and at least this often.")
    var refresh: Int = 30

    @Option(name: .customLong("retry"), help: "Seconds between lookups of an ALIAS target that failed.")
    var retry: Int = 5

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
        guard refresh >= 1 else { throw ValidationError("--refresh must be at least 1 second") }
        guard retry >= 1 else { throw ValidationError("--retry must be at least 1 second") }
        let logger = Logger(label: "countersign.primary")
        let served = try ServedZones([])
        let handler = PrimaryRequestHandler(
            router: DNSRequestRouter(served: served, transfers: ZoneTransferResponder(zones: served, acl: acl), logger: logger),
            logger: logger)
        let notifier = NotifySender(logger: logger)
        var settings = ExpandingPublisher.Settings()
        settings.refresh = UInt64(refresh)
        settings.retryAfter = UInt64(retry)
        settings.defaultACL = acl
        let publisher = ExpandingPublisher(
            store: try store.open(), served: served, resolver: UpstreamResolver(resolvers: resolvers), handler: handler,
            notifier: notifier, settings: settings, logger: logger)
        let server = DNSServer(configuration: DNSServerConfiguration(listen: addresses), handler: handler, threads: max(1, threads))
        // Listen first: until a zone's first expansion is published, its queries are refused rather than
        // the whole server being unreachable while targets resolve.
        try await server.start()
        logger.info("listening", metadata: ["listeners": "\(server.listeners.map(\.description).joined(separator: ", "))"])
        await publisher.start()
        let loop = Task {
            while !Task.isCancelled {
                await publisher.cycle()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        await SignalWait.untilTerminated()
        loop.cancel()
        logger.info("stopping")
        notifier.cancelAll()
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
