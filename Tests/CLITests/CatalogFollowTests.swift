import Foundation
import Testing

/// Issue 15, item 5, the other way: `dns-signer catalog follow` reads a primary's catalog (RFC 9432) and
/// adds, parks and resumes zones by itself — one place to add a zone for the whole pipeline. The
/// catalogs come from `dns-primary` and from a plain zone file served by NSD (as Knot or BIND would
/// produce it), nothing mocked.
@Suite(.serialized)
struct CatalogFollowTests {
    static let catalog = "catalog.invalid."

    /// The signer's answer for `zone` SOA: signed, or nothing (REFUSED once it no longer serves it).
    static func signed(_ harness: TwoTierHarness, _ zone: String) -> Bool {
        SignerDaemonTests.signedAnswer(harness.askSigner(zone, "SOA"))
    }

    static func ksk(_ harness: TwoTierHarness, _ zone: String) -> String {
        harness.dig(harness.signerPort, ["+short", zone, "DNSKEY"]).split(separator: "\n").filter { $0.hasPrefix("257 ") }
            .map { $0.replacingOccurrences(of: " ", with: "") }.sorted().joined(separator: "|")
    }

    @Test func signerFollowsTheZoneListOfDNSPrimary() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "catalog-follow")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        // search.usa.gov NOTIFYs the signer; every NOTIFY target of any zone also hears of the catalog.
        try harness.setUpPrimary(notify: true)
        for zone in ["one.follow.test.", "hand.follow.test."] {
            try harness.primaryCLI(["zone", "create", zone, "--ns", "ns1.example.net."])
            try harness.primaryCLI(["record", "add", zone, "www", "300", "A", "192.0.2.1"])
        }
        try harness.primaryCLI(["catalog", "set", Self.catalog])
        try harness.startPrimary()
        // One zone the operator added to the signer by hand: the catalog never removes it.
        try harness.signerCLI(["zone", "add", "hand.follow.test.", "--primary", "127.0.0.1:\(harness.primaryPort)"])
        try harness.signerCLI(["catalog", "follow", Self.catalog, "--primary", "127.0.0.1:\(harness.primaryPort)", "--poll", "60s"])
        try harness.startSigner()

        for zone in [TwoTierHarness.zone, "one.follow.test.", "hand.follow.test."] {
            let served = TwoTierHarness.poll(30, { harness.askSigner(zone, "SOA") }, until: SignerDaemonTests.signedAnswer)
            try #require(served.ok, "\(zone) not served signed from the primary's catalog:\n\(served.output)\n\(harness.logs)")
        }
        let oneKSK = Self.ksk(harness, "one.follow.test.")
        #expect(!oneKSK.isEmpty)

        // A zone created at the primary reaches the signer through the catalog's NOTIFY, long before the
        // 60 s poll.
        try harness.primaryCLI(["zone", "create", "two.follow.test.", "--ns", "ns1.example.net."])
        try harness.primaryCLI(["record", "add", "two.follow.test.", "www", "300", "A", "192.0.2.2"])
        let two = TwoTierHarness.poll(20, { harness.askSigner("www.two.follow.test.", "A") }, until: {
            SignerDaemonTests.signedAnswer($0) && $0.contains("192.0.2.2")
        })
        #expect(two.ok, "a zone created at the primary was not served signed within 20 s:\n\(two.output)\n\(harness.logs)")
        if two.ok { print("catalog follow: new primary zone served signed after \(String(format: "%.1f", two.seconds)) s") }

        // Deleted at the primary: the signer stops serving it (parked, keys kept); the hand-added zone stays.
        try harness.primaryCLI(["zone", "delete", "one.follow.test."])
        try harness.primaryCLI(["zone", "delete", "hand.follow.test."])
        let gone = TwoTierHarness.poll(20, { harness.askSigner("one.follow.test.", "SOA") }, until: { $0.contains("status: REFUSED") })
        #expect(gone.ok, "a zone deleted at the primary is still served:\n\(gone.output)\n\(harness.logs)")
        let shown = try harness.signerCLI(["catalog", "show"])
        #expect(shown.contains("parked one.follow.test.") && shown.contains("following \(Self.catalog)"), "catalog show:\n\(shown)")
        #expect(!shown.contains("parked hand.follow.test."), "the hand-added zone was parked:\n\(shown)")
        let listed = try harness.signerCLI(["zone", "list"])
        #expect(listed.contains("hand.follow.test."), "the hand-added zone was removed by the catalog:\n\(listed)")

        // Re-created at the primary: served again under the same KSK, so the DS at the parent still matches.
        try harness.primaryCLI(["zone", "create", "one.follow.test.", "--ns", "ns1.example.net."])
        try harness.primaryCLI(["record", "add", "one.follow.test.", "www", "300", "A", "192.0.2.3"])
        let back = TwoTierHarness.poll(20, { harness.askSigner("www.one.follow.test.", "A") }, until: {
            SignerDaemonTests.signedAnswer($0) && $0.contains("192.0.2.3")
        })
        #expect(back.ok, "a re-created zone was not served again:\n\(back.output)\n\(harness.logs)")
        #expect(Self.ksk(harness, "one.follow.test.") == oneKSK, "the re-added zone got a new KSK; its DS would no longer match")
    }

    /// A catalog written as another producer writes it (Knot-style ids, a group, a `coo`), served by NSD;
    /// then replaced by a broken one (a member node with two PTRs): refused whole, once, nothing changed.
    @Test func foreignCatalogIsFollowedAndABrokenOneChangesNothing() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "catalog-foreign")
        var nsd: BackgroundProcess?
        defer {
            nsd?.stop()
            harness.cleanUp()
        }
        let zones = ["a.foreign.test.", "b.foreign.test."]
        func writeCatalog(serial: Int, members: String) throws {
            try """
                $ORIGIN \(Self.catalog)
                $TTL 0
                @ SOA invalid. invalid. \(serial) 3600 600 2147483646 0
                @ NS invalid.
                version TXT "2"
                \(members)

                """.write(toFile: harness.dir + "/catalog.zone", atomically: true, encoding: .utf8)
        }
        func startNSD() throws {
            nsd?.stop()
            var config = NSDConfig.server(directory: harness.dir, port: harness.upstreamPort, verbosity: 1) + "\n"
            config += "zone:\n    name: \"\(Self.catalog)\"\n    zonefile: \"catalog.zone\"\n    provide-xfr: 127.0.0.1 NOKEY\n"
            for zone in zones {
                try "$ORIGIN \(zone)\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.53\n"
                    .write(toFile: harness.dir + "/\(zone)zone", atomically: true, encoding: .utf8)
                config += "zone:\n    name: \"\(zone)\"\n    zonefile: \"\(zone)zone\"\n    provide-xfr: 127.0.0.1 NOKEY\n"
            }
            try config.write(toFile: harness.dir + "/nsd-catalog.conf", atomically: true, encoding: .utf8)
            nsd = try BackgroundProcess("nsd", ["-d", "-c", harness.dir + "/nsd-catalog.conf"], log: harness.directory.appendingPathComponent("nsd-catalog.log"))
        }
        try writeCatalog(serial: 1, members: """
            5a3b1a6c0e1f2d3c.zones PTR a.foreign.test.
            group.5a3b1a6c0e1f2d3c.zones TXT "signed-fleet"
            uniqueid2.zones PTR b.foreign.test.
            coo.uniqueid2.zones PTR other-catalog.invalid.
            """)
        try startNSD()
        try harness.signerCLI(["catalog", "follow", Self.catalog, "--primary", "127.0.0.1:\(harness.upstreamPort)", "--poll", "1s"])
        try harness.startSigner()
        for zone in zones {
            let served = TwoTierHarness.poll(30, { harness.askSigner(zone, "SOA") }, until: SignerDaemonTests.signedAnswer)
            try #require(served.ok, "\(zone) from the foreign catalog not served signed:\n\(served.output)\n\(harness.logs)")
        }

        // The broken catalog drops b and lists a twice: taken, it would remove b from the pipeline.
        try writeCatalog(serial: 2, members: """
            id1.zones PTR a.foreign.test.
            id1.zones PTR c.foreign.test.
            """)
        try startNSD()
        let refused = TwoTierHarness.poll(20, { (try? harness.signerCLI(["catalog", "show"])) ?? "" }, until: { $0.contains("REFUSED") })
        #expect(refused.ok && refused.output.contains("2 PTR records"), "catalog show after a broken catalog:\n\(refused.output)\n\(harness.logs)")
        Thread.sleep(forTimeInterval: 3)  // several more polls of the same broken catalog
        for zone in zones { #expect(Self.signed(harness, zone), "\(zone) stopped being served after a refused catalog") }
        let status = try harness.signerCLI(["zone", "list"])
        #expect(!status.contains("c.foreign.test."), "a zone from the refused catalog was added:\n\(status)")
        // One operator event for the broken catalog, however many polls saw it.
        if ExternalTool.require("sqlite3") {
            let events = try ExternalTool.run("sqlite3", [harness.signerDB, "SELECT count(*) FROM outbox_events WHERE kind = 'transfer.refused' AND zone = '\(Self.catalog)'"], timeout: 30)
            #expect(events.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "transfer.refused events for the catalog: \(events)")
        }
    }
}
