import Foundation
import Testing

@testable import Primary

/// Standard secondaries of `dns-primary serve`: BIND with the zone's TSIG key gets the expanded zone and
/// follows edits and load balancer moves by NOTIFY and serial; NSD without the key is refused.
@Suite(.serialized)
struct PrimarySecondaryTests {
    static let zone = "search.usa.gov."

    /// BIND as a secondary of the primary for the seed's zone, transfers and NOTIFY signed with `key`.
    static func bindConfig(dir: String, port: Int, primaryPort: Int, keyName: String, secret: String) -> String {
        """
        \(SecondaryConfig.bindOptions(directory: dir, port: port))
        key "\(keyName)" {
            algorithm hmac-sha256;
            secret "\(secret)";
        };
        zone "search.usa.gov" {
            type secondary;
            primaries { 127.0.0.1 port \(primaryPort) key "\(keyName)"; };
            file "search.usa.gov.db";
            masterfile-format text;
            allow-notify { 127.0.0.1; };
        };

        """
    }

    /// NSD as a secondary that asks without a key.
    static func nsdConfig(dir: String, port: Int, primaryPort: Int) -> String {
        NSDConfig.server(directory: dir, port: port, verbosity: 2) + """

            zone:
                name: "search.usa.gov"
                request-xfr: 127.0.0.1@\(primaryPort) NOKEY
                allow-notify: 127.0.0.1 NOKEY

            """
    }

    static func ask(_ port: Int, _ arguments: [String]) -> String {
        (try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "+norec", "+time=1", "+tries=1", "+short"] + arguments,
                               timeout: 10, allowFailure: true)) ?? ""
    }

    @Test func bindWithTheKeyGetsTheExpandedZoneAndNSDWithoutItIsRefused() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("named"), ExternalTool.require("named-checkzone"),
              ExternalTool.require("dig") else { return }
        let bed = try PrimaryTestBed("primary-secondary")
        try bed.startUpstream(zones: ["ec2.aws.com": PrimaryServeTests.upstreamZone(serial: 1, address: "192.0.2.10")])
        try bed.must(["zone", "import", Self.zone, PrimaryServeTests.seed])
        let added = try bed.must(["tsig", "add", "transfer-key"])
        let secret = try #require(added.range(of: #"secret "[^"]+""#, options: .regularExpression).map {
            String(added[$0].dropFirst("secret \"".count).dropLast())
        }, "tsig add prints the key: \(added)")
        let bindPort = try PrimaryTestBed.freePort()
        let nsdPort = try PrimaryTestBed.freePort()
        // The zone's own ACL: loopback with the key only (the default would let any loopback client in).
        try bed.must(["zone", "acl", "add", Self.zone, "127.0.0.1", "--key", "transfer-key"])
        try bed.must(["zone", "notify", "add", Self.zone, "127.0.0.1:\(bindPort)", "--key", "transfer-key"])
        try bed.must(["zone", "notify", "add", Self.zone, "127.0.0.1:\(nsdPort)"])
        try bed.startPrimary()
        #expect(PrimaryTestBed.poll(20, { Self.ask(bed.port, [Self.zone, "A"]) }, until: { $0.contains("192.0.2.10") }).ok)
        let serial = try #require(bed.serial(Self.zone))

        // dig plays both secondaries first.
        let unsigned = AXFRResult(bed.axfr(Self.zone))
        #expect(unsigned == .failed("REFUSED"), "without the key: \(unsigned)")
        let signed = AXFRResult(bed.axfr(Self.zone, key: "hmac-sha256:transfer-key:\(secret)"))
        #expect(signed.rrset(Self.zone, "A") == ["\(Self.zone) 45 IN A 192.0.2.10"], "with the key: \(signed)")

        let bindDir = bed.directory.appendingPathComponent("bind")
        let nsdDir = bed.directory.appendingPathComponent("nsd-secondary")
        for url in [bindDir, nsdDir] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        try Self.bindConfig(dir: bindDir.path, port: bindPort, primaryPort: bed.port, keyName: "transfer-key", secret: secret)
            .write(toFile: bindDir.path + "/named.conf", atomically: true, encoding: .utf8)
        try Self.nsdConfig(dir: nsdDir.path, port: nsdPort, primaryPort: bed.port)
            .write(toFile: nsdDir.path + "/nsd.conf", atomically: true, encoding: .utf8)
        let bind = try BackgroundProcess("named", ["-g", "-n", "1", "-c", bindDir.path + "/named.conf"],
                                         log: bindDir.appendingPathComponent("named.log"))
        let nsd = try BackgroundProcess("nsd", ["-d", "-c", nsdDir.path + "/nsd.conf"], log: nsdDir.appendingPathComponent("nsd.log"))
        defer {
            bind.stop()
            nsd.stop()
        }

        // BIND: the expanded zone, in its answers and in the zone file it wrote.
        let bindSOA = PrimaryTestBed.poll(30, { Self.ask(bindPort, [Self.zone, "SOA"]) }) { $0.contains(" \(serial) ") }
        #expect(bindSOA.ok, "BIND has the zone: \(bindSOA.output)\n\(bind.log.suffix(3000))")
        #expect(Self.ask(bindPort, [Self.zone, "A"]).contains("192.0.2.10"))
        #expect(Self.ask(bindPort, ["anyone.sites.infr.search.usa.gov.", "AAAA"]).contains("2001:db8::10"))
        let file = PrimaryTestBed.poll(30, { (try? String(contentsOfFile: bindDir.path + "/search.usa.gov.db", encoding: .utf8)) ?? "" }) {
            $0.contains("192.0.2.10")
        }
        #expect(file.ok, "BIND's zone file holds the expansion:\n\(file.output)")
        // named-checkzone prints the file with absolute names, one record a line.
        let dumped = try ExternalTool.run("named-checkzone", ["-D", "-o", "-", "search.usa.gov", bindDir.path + "/search.usa.gov.db"])
            .split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
        #expect(dumped.contains("search.usa.gov. 45 IN A 192.0.2.10"), "\(dumped)")
        #expect(dumped.contains("search.usa.gov. 45 IN AAAA 2001:db8::10"))
        #expect(dumped.contains("*.sites.infr.search.usa.gov. 45 IN A 192.0.2.10"))
        #expect(dumped.contains("*.sites.infr.search.usa.gov. 45 IN AAAA 2001:db8::10"))
        #expect(!dumped.contains { $0.contains("ALIAS") || $0.contains("TYPE65401") }, "no ALIAS reaches a secondary")

        // NSD without the key: refused, so it has no zone (it answers SERVFAIL for it).
        Thread.sleep(forTimeInterval: 2)
        #expect(!Self.ask(nsdPort, [Self.zone, "SOA"]).contains("hostmaster"), "NSD without the key got the zone")
        let refusals = PrimaryTestBed.poll(10, { nsd.log }) { $0.contains("REFUSED") }
        #expect(refusals.ok, "NSD was refused:\n\(refusals.output.suffix(2000))")
        #expect(bed.primaryLog.contains("without TSIG is not allowed by the transfer ACL (127.0.0.1/32 key transfer-key.)"))

        // An edit reaches BIND by NOTIFY (its SOA refresh is an hour), signed with the key.
        try bed.must(["record", "add", Self.zone, "www", "300", "A", "192.0.2.80"])
        let edited = PrimaryTestBed.poll(15, { Self.ask(bindPort, ["www.search.usa.gov.", "A"]) }) { $0.contains("192.0.2.80") }
        #expect(edited.ok, "BIND follows the edit\n\(bind.log.suffix(3000))")

        // The load balancer moves: the serial rises, BIND is told and transfers the new addresses.
        let before = try #require(bed.serial(Self.zone))
        try bed.startUpstream(zones: ["ec2.aws.com": PrimaryServeTests.upstreamZone(serial: 2, address: "192.0.2.20")])
        let moved = PrimaryTestBed.poll(30, { Self.ask(bindPort, [Self.zone, "A"]) }) { $0.contains("192.0.2.20") }
        #expect(moved.ok, "BIND follows the load balancer\n\(bind.log.suffix(3000))")
        #expect((bed.serial(Self.zone) ?? 0) > before)
        #expect(Self.ask(bindPort, ["x.sites.infr.search.usa.gov.", "A"]).contains("192.0.2.20"))
    }
}
