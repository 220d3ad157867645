import Foundation
import Testing

/// `dns-primary serve` end to end: a real NSD plays the upstream that knows the load balancer; the
/// primary's AXFR and answers carry the expansion, and moving the load balancer raises the serial.
@Suite(.serialized)
struct PrimaryServeTests {
    static func freePort() throws -> Int { Int(try LoopbackUDPSocket().port) }

    static func upstreamZone(serial: Int, address: String) -> String {
        """
        $ORIGIN ec2.aws.com.
        $TTL 30
        @ SOA ns hostmaster \(serial) 3600 600 86400 30
        @ NS ns
        ns A 127.0.0.1
        usasearch-elb 45 A \(address)
        usasearch-elb 45 AAAA 2001:db8::10

        """
    }

    /// Polls `dig` until `body` accepts its output or `seconds` pass.
    static func waitFor(_ seconds: Double, _ arguments: [String], _ body: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let output = try? ExternalTool.run("dig", arguments, timeout: 5), body(output) { return output }
            Thread.sleep(forTimeInterval: 0.3)
        }
        return nil
    }

    @Test func axfrAndAnswersCarryTheExpansionAndFollowTheLoadBalancer() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("primary-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let dir = directory.path

        // The upstream resolver: NSD authoritative for the load balancer's zone.
        let upstreamPort = try Self.freePort()
        try Self.upstreamZone(serial: 1, address: "192.0.2.10").write(toFile: dir + "/ec2.zone", atomically: true, encoding: .utf8)
        try (NSDConfig.server(directory: dir, port: upstreamPort, verbosity: 1)
            + "\nzone:\n    name: \"ec2.aws.com\"\n    zonefile: \"ec2.zone\"\n")
            .write(toFile: dir + "/nsd.conf", atomically: true, encoding: .utf8)
        var nsd: BackgroundProcess? = try BackgroundProcess("nsd", ["-d", "-c", dir + "/nsd.conf"], log: directory.appendingPathComponent("nsd.log"))

        // The seed's zone in the primary's store.
        let binaries = CLITests.binDirectory.path
        let db = dir + "/primary.db"
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/search.usa.gov.zone").path
        let imported = try ExternalTool.execute(binaries + "/dns-primary", ["zone", "import", "search.usa.gov.", seed, "--db", db])
        #expect(imported.status == 0, "\(imported.output)")

        let port = try Self.freePort()
        let primary = try BackgroundProcess(binaries + "/dns-primary", [
            "serve", "--db", db, "--listen", "127.0.0.1:\(port)", "--resolver", "127.0.0.1:\(upstreamPort)", "--refresh", "1",
        ], log: directory.appendingPathComponent("primary.log"))
        defer {
            primary.stop()
            nsd?.stop()
        }

        let at = ["@127.0.0.1", "-p", "\(port)", "+norec", "+short"]
        let apex = Self.waitFor(20, at + ["search.usa.gov.", "A"]) { $0.contains("192.0.2.10") }
        #expect(apex != nil, "the apex ALIAS answers with the load balancer's address")
        #expect(Self.waitFor(5, at + ["customer.sites.infr.search.usa.gov.", "AAAA"]) { $0.contains("2001:db8::10") } != nil,
                "the wildcard ALIAS answers too")

        let transfer = try ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "search.usa.gov.", "AXFR"], timeout: 10)
        #expect(transfer.contains("search.usa.gov.\t\t45\tIN\tA\t192.0.2.10") || transfer.contains("search.usa.gov.\t45\tIN\tA\t192.0.2.10"),
                "the TTL is min(ALIAS 60, target 45):\n\(transfer)")
        #expect(transfer.contains("*.sites.infr.search.usa.gov."))
        #expect(!transfer.contains("TYPE65401") && !transfer.contains("ALIAS"), "no ALIAS leaves the primary")
        let firstSerial = try #require(Self.waitFor(5, at + ["search.usa.gov.", "SOA"]) { !$0.isEmpty }?
            .split(separator: " ").dropFirst(2).first.flatMap { UInt32($0) })

        // The load balancer moves: the primary follows, with a higher serial.
        nsd?.stop()
        try Self.upstreamZone(serial: 2, address: "192.0.2.20").write(toFile: dir + "/ec2.zone", atomically: true, encoding: .utf8)
        nsd = try BackgroundProcess("nsd", ["-d", "-c", dir + "/nsd.conf"], log: directory.appendingPathComponent("nsd2.log"))
        #expect(Self.waitFor(20, at + ["search.usa.gov.", "A"]) { $0.contains("192.0.2.20") } != nil)
        let secondSerial = Self.waitFor(5, at + ["search.usa.gov.", "SOA"]) { !$0.isEmpty }?
            .split(separator: " ").dropFirst(2).first.flatMap { UInt32($0) }
        #expect((secondSerial ?? 0) > firstSerial, "the serial follows the expansion")
    }
}
