import Foundation
import Testing

/// IXFR in (issue 14), end to end against a scripted primary (Tests/Fixtures/scripted_primary.py): a
/// good incremental answer is applied and served signed; every broken one is refused with the served
/// zone unchanged and exactly one `transfer.refused` alert (guard `ixfr`) however often the primary
/// repeats it; a primary without IXFR, or answering with the whole zone, is followed by AXFR; and the
/// AXFR content check replaces what IXFR built when the two differ, with a `transfer.ixfr-mismatch` event.
@Suite(.serialized)
struct SignerIXFRTests {
    typealias Record = SignerGuardTests.Record
    static let zone = TwoTierHarness.zone
    static func name(_ label: String) -> String { SignerGuardTests.name(label) }
    static func soa(_ serial: Int, refresh: Int = 3600) -> Record {
        (zone, 3600, "SOA", "ns1.\(zone) hostmaster.\(zone) \(serial) \(refresh) 900 1209600 300")
    }
    static func host(_ label: String, _ address: String) -> Record { (name(label), 300, "A", address) }
    static func zoneRecords(serial: Int, extra: [Record] = [], without: Set<String> = []) -> [Record] {
        [soa(serial)] + SignerGuardTests.goodZone(serial: serial).dropFirst().filter { !without.contains($0.owner) } + extra
    }
    static func stream(_ records: [Record]) -> [String: Any] {
        ["stream": records.map { [$0.owner, $0.ttl, $0.type, $0.rdata] as [Any] }]
    }

    /// The running daemon takes up `zone set` within a second (it checks the store's version each second):
    /// the next step must not start before.
    static func settle() { Thread.sleep(forTimeInterval: 2) }

    @Test func brokenIXFRsAreRefusedOnceEachGoodOnesAppliedAndTheContentCheckHasTheLastWord() throws {
        guard ExternalTool.require("dig"), ExternalTool.require("sqlite3"), ScriptedPrimary.requireDnspython() else { return }
        let check = try GuardCheck.start(name: "signer-ixfr", records: Self.zoneRecords(serial: 100), zoneArguments: ["--nsec3"])
        let (harness, primary) = (check.harness, check.primary)
        defer { check.stop() }
        let started = Date()

        // 1. A good IXFR 100 → 101: host3 moves, host7 goes, fresh is new. The AXFR content is the same zone.
        let v101 = Self.zoneRecords(serial: 101, extra: [Self.host("fresh", "203.0.113.1")], without: [Self.name("host7")])
            .map { $0.owner == Self.name("host3") ? Self.host("host3", "203.0.113.3") : $0 }
        try primary.serve("good-ixfr", v101, ixfr: Self.stream([
            Self.soa(101), Self.soa(100), Self.host("host3", "198.51.100.3"), Self.host("host7", "198.51.100.7"),
            Self.soa(101), Self.host("host3", "203.0.113.3"), Self.host("fresh", "203.0.113.1"), Self.soa(101),
        ]))
        let fresh = TwoTierHarness.poll(20, { harness.askSigner(Self.name("fresh"), "A") }, until: check.signedAnswer("203.0.113.1"))
        #expect(fresh.ok, "the IXFR's new name is not served signed:\n\(fresh.output)\n\(check.logs)")
        #expect(check.signedAnswer("203.0.113.3")(harness.askSigner(Self.name("host3"), "A")), "host3 moved")
        #expect(harness.askSigner(Self.name("host7"), "A").contains("status: NXDOMAIN"), "host7 is gone")
        // The poll after it may already say "unchanged": the poll's own log line tells how the change came.
        #expect(harness.signerPolls("changed (IXFR, 1 sequences, 4 records)") == 1, "the change came as IXFR:\n\(check.logs)")
        #expect(primary.served("ixfr:good-ixfr") >= 1 && primary.served("good-ixfr") == 0, "IXFR asked, no AXFR needed")
        let servedSerial = try #require(harness.signerSerial())

        // 2. Broken IXFRs. The AXFR content stays v101 while the SOA says 102, so every poll transfers;
        //    IXFR is retried every content check (2 s) and repeats its breakage, which is not alerted again.
        try harness.signerCLI(["zone", "set", Self.zone, "--content-check", "2s"])
        Self.settle()
        let leak = Self.host("leak", "203.0.113.66")
        let broken: [(name: String, ixfr: [String: Any], why: String)] = [
            ("wrong-start", Self.stream([Self.soa(102), Self.soa(100), Self.soa(102), leak, Self.soa(102)]), "starts from serial 100"),
            ("chain-gap", Self.stream([Self.soa(104), Self.soa(101), Self.soa(102), leak, Self.soa(103), Self.soa(104), Self.soa(104)]),
             "sequence 2 starts at serial 103"),
            ("not-rising", Self.stream([Self.soa(102), Self.soa(101), Self.soa(100), leak, Self.soa(102)]), "which is not higher"),
            ("past-end", Self.stream([Self.soa(102), Self.soa(101), Self.soa(103), leak, Self.soa(102)]), "past the announced serial"),
            ("deletes-missing", Self.stream([Self.soa(102), Self.soa(101), Self.host("host50", "203.0.113.50"), Self.soa(102), leak,
                                             Self.soa(102)]), "deletes a record we do not hold"),
            ("adds-duplicate", Self.stream([Self.soa(102), Self.soa(101), Self.soa(102), leak, Self.host("host50", "198.51.100.50"),
                                            Self.soa(102)]), "adds a record we already hold"),
            ("end-mismatch", Self.stream([Self.soa(102), Self.soa(101), Self.soa(102), leak, Self.soa(102, refresh: 60)]),
             "differs from the opening SOA"),
            ("after-end", Self.stream([Self.soa(102), Self.soa(101), Self.soa(102), leak, Self.soa(102), Self.host("late", "203.0.113.9")]),
             "follow the closing SOA"),
            ("out-of-zone", Self.stream([Self.soa(102), Self.soa(101), Self.soa(102), ("evil.example.", 300, "A", "203.0.113.6"),
                                         Self.soa(102)]), "outside the zone"),
            ("cut", Self.stream([Self.soa(102), Self.soa(101), Self.soa(102), leak, Self.soa(102)]).merging(["cutAfter": 4]) { $1 },
             "closed the connection"),
        ]
        for (index, step) in broken.enumerated() {
            try primary.serve(step.name, v101, soa: Self.soa(102).rdata, ixfr: step.ixfr)
            let waited = TwoTierHarness.wait(20, { check.events() }, until: { events in
                events.filter { $0.kind == "transfer.refused" && $0.guardName == "ixfr" }.count == index + 1 && primary.served("ixfr:" + step.name) >= 2
            })
            #expect(waited.ok, "\(step.name): not refused once after \(primary.served("ixfr:" + step.name)) IXFRs:\n\(check.eventText)\n\(check.logs)")
            let refusals = check.events().filter { $0.kind == "transfer.refused" }
            #expect(refusals.count == index + 1, "\(step.name): one alert per broken IXFR:\n\(check.eventText)")
            #expect(refusals.last?.summary.contains(step.why) == true, "\(step.name): the alert says why: \(refusals.last?.summary ?? "-")")
            check.expectServedUnchanged(leak: "leak", serial: servedSerial, step: step.name, host: ("host3", "203.0.113.3"))
        }

        // From here the content check is an hour away unless the test asks for it, so each version comes
        // the way its step says (`zone set` also forgets what the walk taught the signer about IXFR; the
        // primary stops sending a broken IXFR first, or the signer would be right to alert it anew).
        try primary.serve("settled", v101)
        try harness.signerCLI(["zone", "set", Self.zone, "--content-check", "1h"])
        Self.settle()
        let base = Self.zoneRecords(serial: 0, extra: [Self.host("fresh", "203.0.113.1")], without: [Self.name("host7")])
            .map { $0.owner == Self.name("host3") ? Self.host("host3", "203.0.113.3") : $0 }.dropFirst()
        func version(_ serial: Int, _ extra: Record...) -> [Record] { [Self.soa(serial)] + base + extra }

        // 3. IXFR answered with the whole zone (the journal does not reach): taken as it is.
        let v102 = version(102, Self.host("whole", "203.0.113.4"))
        try primary.serve("whole", v102, ixfr: Self.stream(v102 + [Self.soa(102)]))
        let whole = TwoTierHarness.poll(20, { harness.askSigner(Self.name("whole"), "A") }, until: check.signedAnswer("203.0.113.4"))
        #expect(whole.ok, "an AXFR-style IXFR answer was not taken:\n\(whole.output)\n\(check.logs)")
        #expect(harness.signerPolls("changed (IXFR answered with the whole zone)") == 1 && primary.served("whole") == 0,
                "the whole zone came as the IXFR answer:\n\(check.logs)")

        // 4. IXFR builds one thing, the AXFR at the same serial holds another: the content check takes the
        //    AXFR's content and says so once.
        let v103 = version(103, Self.host("whole", "203.0.113.4"), Self.host("truth", "203.0.113.5"))
        try primary.serve("mismatch", v103, ixfr: Self.stream([Self.soa(103), Self.soa(102), Self.soa(103),
                                                               Self.host("ixfr-only", "203.0.113.7"), Self.soa(103)]))
        let built = TwoTierHarness.poll(20, { harness.askSigner(Self.name("ixfr-only"), "A") }, until: check.signedAnswer("203.0.113.7"))
        #expect(built.ok, "the IXFR was not applied:\n\(built.output)\n\(check.logs)")
        try harness.signerCLI(["zone", "set", Self.zone, "--content-check", "2s"])
        let truth = TwoTierHarness.poll(20, { harness.askSigner(Self.name("truth"), "A") }, until: check.signedAnswer("203.0.113.5"))
        #expect(truth.ok, "the content check did not take the AXFR's content:\n\(truth.output)\n\(check.logs)")
        #expect(harness.askSigner(Self.name("ixfr-only"), "A").contains("status: NXDOMAIN"), "what only IXFR had is gone")
        let mismatches = check.events().filter { $0.kind == "transfer.ixfr-mismatch" }
        #expect(mismatches.count == 1 && mismatches.first?.summary.contains("103") == true, "one mismatch event:\n\(check.eventText)")

        // 5. A primary without IXFR (NOTIMP): AXFR in the same poll brings the new version, nothing is alerted.
        try harness.signerCLI(["zone", "set", Self.zone, "--content-check", "1h"])
        Self.settle()
        let v104 = version(104, Self.host("whole", "203.0.113.4"), Self.host("truth", "203.0.113.5"), Self.host("after-notimp", "203.0.113.2"))
        try primary.serve("notimp", v104, ixfr: ["rcode": "NOTIMP"])
        let notimp = TwoTierHarness.poll(20, { harness.askSigner(Self.name("after-notimp"), "A") }, until: check.signedAnswer("203.0.113.2"))
        #expect(notimp.ok, "NOTIMP did not fall back to AXFR:\n\(notimp.output)\n\(check.logs)")
        #expect(primary.served("ixfr:notimp") == 1 && primary.served("notimp") >= 1, "IXFR asked once, then AXFR")
        #expect(check.events().filter { $0.kind == "transfer.refused" }.count == broken.count, "no refusal after the walk:\n\(check.eventText)")
        #expect(!check.events().contains { $0.kind == "transfer.failing" }, "nothing failed:\n\(check.eventText)")

        let seconds = Date().timeIntervalSince(started)
        print("SignerIXFRTests: scripted walk took \(String(format: "%.1f", seconds)) s")
        #expect(seconds < 120, "the IXFR walk took \(seconds) s")
    }
}
