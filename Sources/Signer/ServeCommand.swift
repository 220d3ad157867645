import ArgumentParser
import DNSCore
import DNSEdge
import Foundation
import Logging
import NIOCore
import NIOPosix

/// `dns-signer serve`: the signing secondary. Every zone in the store (`dns-signer zone add`) is served
/// at once from its last published version, then polled from its primaries, guarded, re-signed and
/// served; zones added, changed or removed with the CLI are picked up within a second.
///
/// `--zone-file ORIGIN=FILE` serves a zone file as is beside them (signed or not, never polled): the
/// benchmark and the offline tools use it.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the signing secondary: poll, guard, re-sign and serve the zones in the store.")

    @Option(name: .long, help: "The signer's database (default: $DNS_SIGNER_DB or /var/lib/countersign/signer.db).")
    var db: String?

    @Option(name: .long, help: "Address and port to listen on, e.g. 127.0.0.1:5300 or [::1]:5300. Repeatable.")
    var listen: [String] = []

    @Option(name: .customLong("zone-file"), help: "Also serve a zone file as is, as ORIGIN=FILE. Repeatable.")
    var zoneFiles: [String] = []

    @Option(help: "Event-loop threads answering queries (default: one per core).")
    var threads: Int?

    @Option(name: .customLong("allow-transfer"), help: "Who may transfer the --zone-file zones: PREFIX or 'PREFIX key NAME'. Repeatable. Default: loopback only.")
    var allowTransfer: [String] = []

    func run() async throws {
        let addresses = try (listen.isEmpty ? ["127.0.0.1:5300"] : listen).map { text in
            do { return try ListenAddress(parsing: text) } catch { throw ValidationError("--listen \(text): \(error)") }
        }
        let threads = threads ?? System.coreCount
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        let logger = Logger(label: "countersign.signer")

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

        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let path = db ?? ProcessInfo.processInfo.environment["DNS_SIGNER_DB"] ?? "/var/lib/countersign/signer.db"
        let store = try SignerStore(path: path)
        let daemon = SignerDaemon(store: store, served: served, logger: logger, group: group, staticZones: staticOrigins)
        try await daemon.start()
        if !staticOrigins.isEmpty {
            let acl = try allowTransfer.isEmpty ? TransferACL.loopbackOnly : TransferACL(rules: allowTransfer.map { text in
                do { return try TransferACL.Rule(parsing: text) } catch { throw ValidationError("--allow-transfer \(text): \(error)") }
            })
            try await daemon.setStaticACL(acl)
        }
        let server = DNSServer(configuration: DNSServerConfiguration(listen: addresses), handler: daemon.handler, group: group, threads: threads)
        try await server.start()
        logger.info("listening", metadata: ["listeners": "\(server.listeners.map(\.description).joined(separator: ", "))", "database": "\(path)"])
        let reload = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                do { try await daemon.reload() } catch {
                    logger.error("cannot read the store", metadata: ["reason": "\(error)"])
                }
            }
        }
        await SignalWait.untilTerminated()
        reload.cancel()
        logger.info("stopping")
        await daemon.stop()
        await server.stop()
        try? await group.shutdownGracefully()
    }
}

#if os(Linux)
/// glibc's `malloc_trim`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
