import ArgumentParser
import DNSCore
import DNSEdge
import Foundation
import Logging
import NIOCore

/// `dns-signer serve`: answers queries (UDP and TCP, both cores) and zone transfers for the zones given.
/// Today the zones come from files (`--zone-file ORIGIN=FILE`, signed or not, loaded once at start); the
/// polling, signing daemon builds on this listener.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve zones over UDP and TCP, with AXFR to allowed secondaries.")

    @Option(name: .long, help: "Address and port to listen on, e.g. 127.0.0.1:5300 or [::1]:5300. Repeatable.")
    var listen: [String] = ["127.0.0.1:5300"]

    @Option(name: .customLong("zone-file"), help: "A zone to serve, as ORIGIN=FILE. Repeatable.")
    var zoneFiles: [String] = []

    @Option(help: "Event-loop threads answering queries (default: one per core).")
    var threads: Int = System.coreCount

    @Option(name: .customLong("allow-transfer"), help: "Who may transfer zones: PREFIX or 'PREFIX key NAME'. Repeatable. Default: loopback only.")
    var allowTransfer: [String] = []

    func run() async throws {
        guard !zoneFiles.isEmpty else { throw ValidationError("give at least one --zone-file ORIGIN=FILE") }
        let addresses = try listen.map { text in
            do { return try ListenAddress(parsing: text) } catch { throw ValidationError("--listen \(text): \(error)") }
        }
        var zones: [Zone] = []
        for entry in zoneFiles {
            guard let equals = entry.firstIndex(of: "=") else { throw ValidationError("--zone-file \(entry): expected ORIGIN=FILE") }
            let origin = try SignerOptions.origin(String(entry[..<equals]))
            let zone = try ZoneFiles.load(String(entry[entry.index(after: equals)...]), origin: origin)
            try SignerOptions.refuseErrors(in: zone, file: String(entry[entry.index(after: equals)...]))
            zones.append(zone)
        }
        let acl = try allowTransfer.isEmpty ? TransferACL.loopbackOnly : TransferACL(rules: allowTransfer.map { text in
            do { return try TransferACL.Rule(parsing: text) } catch { throw ValidationError("--allow-transfer \(text): \(error)") }
        })
        let served = try ServedZones(zones)
        zones.removeAll()
        // The parsed zones were several times the size of their snapshots; hand that memory back to the
        // system instead of keeping it in malloc's free lists for the life of the server.
        #if os(Linux)
        _ = glibcMallocTrim(0)
        #endif
        let logger = Logger(label: "countersign.signer")
        let router = DNSRequestRouter(served: served, transfers: ZoneTransferResponder(zones: served, acl: acl), logger: logger)
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        let server = DNSServer(configuration: DNSServerConfiguration(listen: addresses), handler: router, threads: threads)
        try await server.start()
        for origin in served.origins {
            logger.info("serving", metadata: ["zone": "\(origin)", "serial": "\(served.serial(of: origin).map { "\($0)" } ?? "-")"])
        }
        logger.info("listening", metadata: ["listeners": "\(server.listeners.map(\.description).joined(separator: ", "))"])
        await SignalWait.untilTerminated()
        logger.info("stopping")
        await server.stop()
    }
}

#if os(Linux)
/// glibc's `malloc_trim`, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
#endif
