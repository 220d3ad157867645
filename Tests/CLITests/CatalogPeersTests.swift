import Foundation
import Testing

/// Issue 15, item 5: `dns-signer catalog follow` reads catalogs that real peers generate — Knot 3.2
/// (`catalog-role: generate`) and PowerDNS 4.7 (a `producer` zone in its gsqlite3 backend) — adds their
/// members (served signed), parks a member the peer drops, and treats a member whose unique id the peer
/// changed as a reset (RFC 9432 §5.4): transferred afresh, keys kept. BIND 9.18 only consumes catalogs
/// (its `catalog-zones` option), so the catalog it would read is a zone file an operator keeps; NSD
/// serving such a file stands for it (CatalogFollowTests).
@Suite(.serialized)
struct CatalogPeersTests {
    static let catalog = "catalog.invalid."

    /// The member zone `zone` as a zone file, `www` at `address`.
    static func zoneFile(_ zone: String, serial: Int, address: String) -> String {
        "$ORIGIN \(zone)\n$TTL 300\n@ SOA ns1 hostmaster \(serial) 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.53\nwww A \(address)\n"
    }

    /// The member zones a catalog's `dig AXFR` lists (the PTR targets under `zones`).
    static func members(inAXFR text: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 5, fields[3] == "PTR", fields[0].lowercased().hasSuffix(".zones.\(catalog)") else { return nil }
            return fields[4].lowercased()
        })
    }

    static func servedSigned(_ harness: TwoTierHarness, _ zones: [String], seconds: Double = 30) throws {
        for zone in zones {
            let served = TwoTierHarness.poll(seconds, { harness.askSigner(zone, "SOA") }, until: SignerDaemonTests.signedAnswer)
            try #require(served.ok, "\(zone) from the peer's catalog is not served signed:\n\(served.output)\n\(harness.logs)")
        }
    }

    /// The signer stops serving `zone` (parked: REFUSED) and `catalog show` says so.
    static func expectParked(_ harness: TwoTierHarness, _ zone: String, peerLog: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let gone = TwoTierHarness.poll(20, { harness.askSigner(zone, "SOA") }, until: { $0.contains("status: REFUSED") })
        #expect(gone.ok, "\(zone), dropped from the peer's catalog, is still served:\n\(gone.output)\n\(harness.logs)\n\(peerLog)",
                sourceLocation: sourceLocation)
        let shown = try harness.signerCLI(["catalog", "show"])
        #expect(shown.contains("parked \(zone)"), "catalog show:\n\(shown)", sourceLocation: sourceLocation)
    }

    // MARK: Knot

    /// Knot as a hidden primary holding `members` from zone files and generating their catalog.
    static func knotPrimaryConfig(dir: String, port: Int, members: [String]) -> String {
        SecondaryConfig.knotServer(directory: dir, address: "127.0.0.1", port: port) + """
            acl:
              - id: transfer_to_signer
                address: 127.0.0.0/8
                action: transfer
            template:
              - id: default
                storage: "\(dir)"
                zonefile-sync: -1
                acl: transfer_to_signer
            zone:
              - domain: \(catalog)
                catalog-role: generate

            """ + members.map { zone in
                "  - domain: \(zone)\n    file: \"\(dir)/\(zone)zone\"\n    catalog-role: member\n    catalog-zone: \(catalog)\n"
            }.joined()
    }

    @Test func signerFollowsTheCatalogKnotGenerates() throws {
        guard ExternalTool.require("knotd"), ExternalTool.require("knotc"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "catalog-knot-generated")
        var knot: BackgroundProcess?
        defer {
            knot?.stop()
            harness.cleanUp()
        }
        let dir = harness.dir + "/knot-primary"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let zones = ["k1.knot.test.", "k2.knot.test."]
        for (index, zone) in zones.enumerated() {
            try Self.zoneFile(zone, serial: 1, address: "192.0.2.\(index + 1)").write(toFile: dir + "/\(zone)zone", atomically: true, encoding: .utf8)
        }
        let config = dir + "/knot.conf"
        try Self.knotPrimaryConfig(dir: dir, port: harness.upstreamPort, members: zones).write(toFile: config, atomically: true, encoding: .utf8)
        knot = try BackgroundProcess("knotd", ["-c", config], log: harness.directory.appendingPathComponent("knot-primary.log"))
        // The catalog as Knot generated it: its own ids (a hash of the name), one PTR per member.
        let generated = TwoTierHarness.poll(20, { harness.dig(harness.upstreamPort, ["+tcp", "+noall", "+answer", Self.catalog, "AXFR"]) }, until: { Self.members(inAXFR: $0) == Set(zones) })
        try #require(generated.ok, "Knot did not generate the catalog:\n\(generated.output)\n\(knot?.log ?? "")")

        try harness.signerCLI(["catalog", "follow", Self.catalog, "--primary", "127.0.0.1:\(harness.upstreamPort)", "--poll", "1s"])
        try harness.startSigner()
        try Self.servedSigned(harness, zones)
        let www = harness.askSigner("www.k2.knot.test.", "A")
        #expect(SignerDaemonTests.signedAnswer(www) && www.contains("192.0.2.2"), "k2's content, signed:\n\(www)")

        // k2 leaves Knot's configuration: Knot drops it from the catalog it generates, the signer parks it.
        try Self.knotPrimaryConfig(dir: dir, port: harness.upstreamPort, members: [zones[0]]).write(toFile: config, atomically: true, encoding: .utf8)
        let reloaded = try ExternalTool.run("knotc", ["-c", config, "reload"], timeout: 30)
        #expect(reloaded.contains("Reloaded"), "knotc reload: \(reloaded)")
        try Self.expectParked(harness, zones[1], peerLog: knot?.log ?? "")
        #expect(CatalogFollowTests.signed(harness, zones[0]), "the member Knot kept stopped being served")
    }

    // MARK: PowerDNS

    /// `pdnsutil` on the test's PowerDNS (gsqlite3 backend: the bind backend has no catalogs).
    static func pdnsutil(_ dir: String, _ arguments: [String]) throws -> String {
        try ExternalTool.run("pdnsutil", ["--config-dir=\(dir)"] + arguments, timeout: 30)
    }

    static func startPowerDNS(dir: String, port: Int, log: URL) throws -> BackgroundProcess {
        // Zones created with pdnsutil while it runs are seen at once (no zone cache); no security polling.
        try """
            launch=gsqlite3
            gsqlite3-database=\(dir)/pdns.sqlite3
            allow-axfr-ips=127.0.0.1
            disable-axfr=no
            zone-cache-refresh-interval=0
            security-poll-suffix=
            loglevel=5

            """.write(toFile: dir + "/pdns.conf", atomically: true, encoding: .utf8)
        return try BackgroundProcess("pdns_server", [
            "--config-dir=\(dir)", "--socket-dir=\(dir)", "--local-address=127.0.0.1:\(port)",
            "--guardian=no", "--daemon=no", "--disable-syslog", "--write-pid=no",
        ], log: log)
    }

    @Test func signerFollowsTheCatalogPowerDNSProducesAndResetsAMemberWhoseIDChanged() throws {
        guard ExternalTool.require("pdns_server"), ExternalTool.require("pdnsutil"), ExternalTool.require("sqlite3"),
              ExternalTool.require("dig") else { return }
        let schema = ["/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql", "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"]
            .first { FileManager.default.fileExists(atPath: $0) }
        let schemaPath = try #require(schema, "the gsqlite3 schema of pdns-backend-sqlite3 is not installed")
        let harness = try TwoTierHarness(name: "catalog-pdns-producer")
        let dir = harness.dir + "/pdns"
        var pdns: BackgroundProcess?
        defer {
            pdns?.stop()
            harness.cleanUp()
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try ExternalTool.run("sqlite3", [dir + "/pdns.sqlite3", ".read \(schemaPath)"], timeout: 30)
        pdns = try Self.startPowerDNS(dir: dir, port: harness.upstreamPort, log: harness.directory.appendingPathComponent("pdns.log"))
        try Self.pdnsutil(dir, ["create-zone", "catalog.invalid"])
        try Self.pdnsutil(dir, ["set-kind", "catalog.invalid", "producer"])
        let zones = ["p1.pdns.test.", "p2.pdns.test."]
        for (index, zone) in zones.enumerated() {
            try Self.pdnsutil(dir, ["create-zone", zone, "ns1.example.net."])
            try Self.pdnsutil(dir, ["replace-rrset", zone, "@", "SOA", "300", "ns1.example.net. hostmaster.example.net. 2024010101 3600 600 86400 300"])
            try Self.pdnsutil(dir, ["add-record", zone, "www", "A", "300", "192.0.2.\(index + 1)"])
            // PowerDNS lists only primary zones in a producer catalog.
            try Self.pdnsutil(dir, ["set-kind", zone, "primary"])
            try Self.pdnsutil(dir, ["set-catalog", zone, "catalog.invalid"])
        }
        func catalogText() -> String { harness.dig(harness.upstreamPort, ["+tcp", "+noall", "+answer", Self.catalog, "AXFR"]) }
        let produced = TwoTierHarness.poll(20, catalogText, until: { Self.members(inAXFR: $0) == Set(zones) })
        try #require(produced.ok, "PowerDNS does not serve its producer catalog:\n\(produced.output)\n\(pdns?.log.suffix(3000) ?? "")")

        try harness.signerCLI(["catalog", "follow", Self.catalog, "--primary", "127.0.0.1:\(harness.upstreamPort)", "--poll", "1s"])
        try harness.startSigner()
        try Self.servedSigned(harness, zones)
        let ksk = CatalogFollowTests.ksk(harness, zones[0])
        #expect(!ksk.isEmpty)

        // p1 is replaced at PowerDNS under its old name: new content, a serial far below the old one,
        // and a new unique id in the catalog. Without the reset the signer would refuse the lower serial
        // (serial-decrease guard) and keep serving the old content.
        try Self.pdnsutil(dir, ["replace-rrset", zones[0], "@", "SOA", "300", "ns1.example.net. hostmaster.example.net. 5 3600 600 86400 300"])
        try Self.pdnsutil(dir, ["replace-rrset", zones[0], "www", "A", "300", "192.0.2.99"])
        try Self.pdnsutil(dir, ["set-option", zones[0], "producer", "unique", "replaced1"])
        let fresh = TwoTierHarness.poll(30, { harness.askSigner("www.\(zones[0])", "A") }, until: {
            SignerDaemonTests.signedAnswer($0) && $0.contains("192.0.2.99")
        })
        #expect(fresh.ok, "the reset member's new content is not served signed:\n\(fresh.output)\n\(harness.logs)")
        #expect(harness.signerLog.contains("catalog member reset"), "no reset logged:\n\(harness.logs)")
        #expect(CatalogFollowTests.ksk(harness, zones[0]) == ksk, "a reset must keep the keys: the parent's DS names the KSK")
        let status = try harness.signerCLI(["zone", "status", zones[0], "--json"])
        let state = ((try? JSONSerialization.jsonObject(with: Data(status.utf8))) as? [String: Any])?["state"] as? [String: Any]
        #expect(state?["unsignedSerial"] as? Int == 5, "the reset zone holds PowerDNS's new serial:\n\(status)")
        #expect(CatalogFollowTests.signed(harness, zones[1]), "the other member was disturbed by p1's reset")

        // p2 is deleted at PowerDNS: it leaves the producer catalog and the signer parks it.
        try Self.pdnsutil(dir, ["delete-zone", zones[1]])
        try Self.expectParked(harness, zones[1], peerLog: String(pdns?.log.suffix(3000) ?? ""))
    }
}
