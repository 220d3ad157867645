import DNSCore
import Foundation
import NIOCore
import Testing
@testable import DNSEdge

/// `UpstreamResolver` against a real NSD on loopback, authoritative for the load balancer's zone and
/// reached as the "resolver".
@Suite(.serialized) struct UpstreamResolverTests {
    static let zoneOrigin = try! DomainName("ec2.aws.com.")
    static func name(_ label: String) -> DomainName { try! DomainName(label, origin: zoneOrigin) }

    static func zoneText(serial: UInt32, v4: [String], v6: [String]) -> String {
        var text = """
            $ORIGIN ec2.aws.com.
            $TTL 300
            @ IN SOA ns1 hostmaster \(serial) 3600 900 604800 120
            @ IN NS ns1
            ns1 IN A 127.0.0.1
            chain1 300 IN CNAME chain2
            chain2 30 IN CNAME usasearch-elb
            loop1 IN CNAME loop2
            loop2 IN CNAME loop1
            v4only 200 IN A 192.0.2.4

            """
        for address in v4 { text += "usasearch-elb 60 IN A \(address)\n" }
        for address in v6 { text += "usasearch-elb 90 IN AAAA \(address)\n" }
        // More A records than a 512-byte UDP answer holds.
        for i in 1...40 { text += "big 300 IN A 198.51.100.\(i)\n" }
        return text
    }

    /// NSD serving ec2.aws.com. from `directory` on `port`.
    struct Upstream {
        let directory: URL
        let port: Int
        var daemon: BackgroundProcess

        static func start(v4: [String], v6: [String]) throws -> Upstream {
            let directory = try EdgeFixtures.temporaryDirectory("upstream")
            let port = try EdgePorts.pick()
            try zoneText(serial: 1, v4: v4, v6: v6).write(to: directory.appendingPathComponent("ec2.zone"),
                                                           atomically: true, encoding: .utf8)
            let dir = directory.path
            try """
                \(NSDConfig.server(directory: dir, port: port, verbosity: 1))
                zone:
                    name: "ec2.aws.com"
                    zonefile: "ec2.zone"

                """.write(to: directory.appendingPathComponent("nsd.conf"), atomically: true, encoding: .utf8)
            return Upstream(directory: directory, port: port, daemon: try launch(directory))
        }

        static func launch(_ directory: URL) throws -> BackgroundProcess {
            try BackgroundProcess("nsd", ["-d", "-c", directory.appendingPathComponent("nsd.conf").path],
                           log: directory.appendingPathComponent("nsd.log"))
        }

        /// Rewrites the zone file and restarts NSD on the same port.
        mutating func change(serial: UInt32, v4: [String], v6: [String]) throws {
            daemon.stop()
            try zoneText(serial: serial, v4: v4, v6: v6).write(to: directory.appendingPathComponent("ec2.zone"),
                                                                atomically: true, encoding: .utf8)
            daemon = try Self.launch(directory)
        }

        var address: ListenAddress { ListenAddress(host: "127.0.0.1", port: port) }

        func stop() {
            daemon.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func a(_ text: String) -> RData { .a(A(IPv4Address(text)!)) }
    static func aaaa(_ text: String) -> RData { .aaaa(AAAA(IPv6Address(text)!)) }

    /// Waits (bounded) until NSD answers for the load balancer with `v4`.
    static func waitUntilServing(_ resolver: UpstreamResolver, v4: [String]) async -> Bool {
        await edgeWait(seconds: 15) {
            await resolver.resolve(name("usasearch-elb"), family: .v4)
                == .resolved(AliasAddresses(rdatas: v4.map(a), ttl: 60))
        }
    }

    @Test func resolvesAddressesChainsAndFailuresFromARealServerAndSeesChanges() async throws {
        guard ExternalTool.require("nsd") else { return }
        var upstream = try Upstream.start(v4: ["203.0.113.10", "203.0.113.11"], v6: ["2001:db8::10"])
        defer { upstream.stop() }
        let resolver = UpstreamResolver(resolvers: [upstream.address], timeout: .milliseconds(500), rounds: 2)
        #expect(await Self.waitUntilServing(resolver, v4: ["203.0.113.10", "203.0.113.11"]),
                "NSD did not serve the zone: \(upstream.daemon.log)")

        let both = await resolver.resolve(Self.name("usasearch-elb"))
        #expect(both[.v4] == .resolved(AliasAddresses(rdatas: [Self.a("203.0.113.10"), Self.a("203.0.113.11")], ttl: 60)))
        #expect(both[.v6] == .resolved(AliasAddresses(rdatas: [Self.aaaa("2001:db8::10")], ttl: 90)))

        // A CNAME chain inside the answer: the addresses at its end, the smallest TTL on the way.
        #expect(await resolver.resolve(Self.name("chain1"), family: .v6)
            == .resolved(AliasAddresses(rdatas: [Self.aaaa("2001:db8::10")], ttl: 30)))
        // NODATA for one family (negative TTL from the SOA: min(300, 120)).
        #expect(await resolver.resolve(Self.name("v4only"), family: .v6) == .resolved(.nodata(ttl: 120)))
        #expect(await resolver.resolve(Self.name("nosuch"), family: .v4) == .failed(.nxdomain))
        // NSD is not authoritative for other zones and refuses: a server failure, after every attempt.
        #expect(await resolver.resolve(try DomainName("www.example.org."), family: .v4) == .failed(.serverFailure(.REFUSED)))
        let loop = await resolver.resolve(Self.name("loop1"), family: .v4)
        guard case .failed(.cnameLoop) = loop else {
            Issue.record("a CNAME loop gave \(loop)")
            return
        }

        // The load balancer moves: after the change the new addresses come back.
        try upstream.change(serial: 2, v4: ["198.51.100.20"], v6: ["2001:db8::20", "2001:db8::21"])
        #expect(await Self.waitUntilServing(resolver, v4: ["198.51.100.20"]), "NSD did not restart: \(upstream.daemon.log)")
        #expect(await resolver.resolve(Self.name("usasearch-elb"), family: .v6)
            == .resolved(AliasAddresses(rdatas: [Self.aaaa("2001:db8::20"), Self.aaaa("2001:db8::21")], ttl: 90)))

        // Expanded through the pure expander, fed by this resolver.
        var parser = ZoneFileParser(origin: try DomainName("example.test."))
        let zone = Zone(records: try parser.parse("""
            @ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300
            @ 3600 IN NS ns1
            @ 300 IN ALIAS usasearch-elb.ec2.aws.com.
            *.sites.infr 30 IN ALIAS chain1.ec2.aws.com.
            """), origin: try DomainName("example.test."))
        var table = AliasResolutionTable()
        for target in AliasExpander.targets(in: zone) {
            for (family, lookup) in await resolver.resolve(target) { table[target, family] = lookup }
        }
        let expanded = try AliasExpander(now: 0).expand(zone, with: table).zone
        let wildcard = try DomainName("*.sites.infr.example.test.")
        #expect(expanded.rrset(at: wildcard, type: .A) == RRset(name: wildcard, type: .A, ttl: 30, rdatas: [Self.a("198.51.100.20")]))
        #expect(expanded.rrset(at: try DomainName("example.test."), type: .AAAA)?.ttl == 90)
    }

    @Test func retriesTheNextResolverAndTimesOutWithinTheBoundWhenAllAreDown() async throws {
        guard ExternalTool.require("nsd") else { return }
        let upstream = try Upstream.start(v4: ["203.0.113.10"], v6: [])
        defer { upstream.stop() }
        let deadPort = try EdgePorts.pick()
        let dead = ListenAddress(host: "127.0.0.1", port: deadPort)
        let direct = UpstreamResolver(resolvers: [upstream.address], timeout: .milliseconds(500), rounds: 1)
        #expect(await Self.waitUntilServing(direct, v4: ["203.0.113.10"]), "NSD did not serve the zone: \(upstream.daemon.log)")

        // The first resolver is silent: the second one answers.
        let both = UpstreamResolver(resolvers: [dead, upstream.address], timeout: .milliseconds(300), rounds: 1)
        #expect(await both.resolve(Self.name("usasearch-elb"), family: .v4)
            == .resolved(AliasAddresses(rdatas: [Self.a("203.0.113.10")], ttl: 60)))

        // Server stopped: a timeout, within rounds × resolvers × timeout (plus slack).
        upstream.daemon.stop()
        let bounded = UpstreamResolver(resolvers: [upstream.address, dead], timeout: .milliseconds(300), rounds: 2)
        let start = ContinuousClock.now
        let result = await bounded.resolve(Self.name("usasearch-elb"), family: .v4)
        let elapsed = ContinuousClock.now - start
        #expect(result == .failed(.timeout))
        #expect(elapsed >= .milliseconds(1100) && elapsed < .seconds(3), "took \(elapsed)")
    }

    @Test func truncatedUDPAnswerIsRetriedOverTCP() async throws {
        guard ExternalTool.require("nsd") else { return }
        let upstream = try Upstream.start(v4: ["203.0.113.10"], v6: [])
        defer { upstream.stop() }
        // No EDNS: UDP answers are limited to 512 bytes, which 40 A records exceed.
        let resolver = UpstreamResolver(resolvers: [upstream.address], timeout: .seconds(1), rounds: 1, udpPayloadSize: nil)
        #expect(await Self.waitUntilServing(resolver, v4: ["203.0.113.10"]), "NSD did not serve the zone: \(upstream.daemon.log)")

        let big = Self.name("big")
        let udp = await resolver.exchangeUDP(Message.query(name: big, type: .A, id: 99, recursionDesired: true, udpPayloadSize: nil),
                                             to: try SocketAddress(ipAddress: "127.0.0.1", port: upstream.port))
        guard case .answer(let truncated) = udp else {
            Issue.record("no UDP answer: \(udp)")
            return
        }
        #expect(truncated.flags.tc, "NSD did not truncate; the fallback would not be exercised")
        #expect(truncated.answers.count < 40)

        let lookup = await resolver.resolve(big, family: .v4)
        #expect(lookup == .resolved(AliasAddresses(rdatas: (1...40).map { Self.a("198.51.100.\($0)") }, ttl: 300)))
    }
}
