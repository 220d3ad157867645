import DNSCore
import Foundation
import Testing

/// `dns-primary` and `dns-signer` end to end on loopback, nothing mocked: an edit on the primary and a
/// load balancer that moves both end up signed on the signer, validated by `delv` with the DS the signer
/// prints; restarts serve the stored version at once; kill -9 never leaves a mix.
@Suite(.serialized)
struct SignerDaemonTests {
    static func signedAnswer(_ output: String) -> Bool { output.contains("status: NOERROR") && output.contains("RRSIG") }

    /// The DNSKEY records in `output` (ours or dig's), whitespace-normalised (dig splits the key) and sorted.
    static func records(_ output: String) -> [String] {
        output.split(separator: "\n").filter { !$0.hasPrefix(";") && $0.contains("DNSKEY") }.map { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.prefix(4).joined(separator: " ") + " " + fields.dropFirst(4).joined()
        }.sorted()
    }

    /// The trust anchor for delv, from `dns-signer ds`: what an operator gives the registrar.
    static func delvAnchor(_ harness: TwoTierHarness) throws -> String {
        let output = try harness.signerCLI(["ds", TwoTierHarness.zone])
        let records = output.split(separator: "\n").filter { $0.contains("\tDS\t") || $0.contains(" DS ") }
        #expect(!records.isEmpty, "dns-signer ds printed no DS record: \(output)")
        let anchors = records.map { line -> String in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let ds = fields.firstIndex(of: "DS")!
            return "    \"\(TwoTierHarness.zone)\" static-ds \(fields[ds + 1]) \(fields[ds + 2]) \(fields[ds + 3]) \"\(fields[(ds + 4)...].joined())\";"
        }
        return "trust-anchors {\n\(anchors.joined(separator: "\n"))\n};\n"
    }

    static func delv(_ harness: TwoTierHarness, anchor: String, _ name: String, _ type: String) throws -> String {
        let file = harness.dir + "/anchor.conf"
        try anchor.write(toFile: file, atomically: true, encoding: .utf8)
        return try ExternalTool.run("delv", ["@127.0.0.1", "-p", "\(harness.signerPort)", "-a", file,
                                             "+root=\(TwoTierHarness.zone)", name, type], timeout: 30, allowFailure: true)
    }

    @Test func editsAndMovedLoadBalancersAreSignedServedAndValidate() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("delv") else { return }
        let harness = try TwoTierHarness(name: "two-tier")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: true)
        try harness.startPrimary()
        try harness.addSignerZone(poll: "60s")
        try harness.startSigner()

        let first = TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "A") }, until: {
            Self.signedAnswer($0) && $0.contains("192.0.2.10")
        })
        #expect(first.ok, "the apex ALIAS was not served expanded and signed:\n\(first.output)\n\(harness.logs)")
        let keys = harness.askSigner(TwoTierHarness.zone, "DNSKEY")
        #expect(keys.contains("257 3 13") && keys.contains("256 3 13"), "a KSK and a ZSK, algorithm 13:\n\(keys)")
        // `dns-signer dnskey` prints exactly the records served, TTL included (the zone's SOA TTL, 300).
        let printed = Self.records(try harness.signerCLI(["dnskey", TwoTierHarness.zone]))
        #expect(printed.count == 2 && printed.allSatisfy { $0.hasPrefix("\(TwoTierHarness.zone) 300 IN DNSKEY") }, "\(printed)")
        #expect(printed == Self.records(harness.dig(harness.signerPort, ["+noall", "+answer", TwoTierHarness.zone, "DNSKEY"])))

        // An edit with the primary's CLI: NOTIFY brings it to the signer, signed, within 2 seconds.
        try harness.primaryCLI(["record", "add", TwoTierHarness.zone, "www2", "300", "A", "192.0.2.77"])
        let edit = TwoTierHarness.poll(10, { harness.askSigner("www2.search.usa.gov.", "A") }, until: {
            Self.signedAnswer($0) && $0.contains("192.0.2.77")
        })
        #expect(edit.ok, "the edit was not served signed:\n\(edit.output)\n\(harness.logs)")
        #expect(edit.seconds < 2, "NOTIFY should bring the edit within 2 s; it took \(edit.seconds) s")

        // The load balancer moves: the primary's expansion changes, its serial rises, the signer re-signs
        // the apex and the wildcard.
        try harness.startUpstream(address: "192.0.2.20", serial: 2)
        let moved = TwoTierHarness.poll(15, { harness.askSigner(TwoTierHarness.zone, "A") }, until: {
            Self.signedAnswer($0) && $0.contains("192.0.2.20")
        })
        #expect(moved.ok, "the apex did not follow the load balancer:\n\(moved.output)\n\(harness.logs)")
        let wildcard = TwoTierHarness.poll(5, { harness.askSigner("agency.sites.infr.search.usa.gov.", "A") }, until: {
            Self.signedAnswer($0) && $0.contains("192.0.2.20")
        })
        #expect(wildcard.ok, "the wildcard did not follow the load balancer:\n\(wildcard.output)")

        // A validator we did not write, trusting only the DS the signer prints for the registrar.
        let anchor = try Self.delvAnchor(harness)
        for (name, type) in [(TwoTierHarness.zone, "A"), ("agency.sites.infr.search.usa.gov.", "A"), ("www2.search.usa.gov.", "A")] {
            let output = try Self.delv(harness, anchor: anchor, name, type)
            #expect(output.contains("; fully validated"), "delv \(name) \(type):\n\(output)")
        }
        let status = try harness.signerCLI(["zone", "status", TwoTierHarness.zone])
        #expect(status.contains("192.0.2.20") || status.lowercased().contains("changed"), "zone status says what changed last:\n\(status)")
    }

    @Test func withoutNotifyAChangeArrivesWithinOnePollInterval() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "two-tier-poll")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: false)
        try harness.startPrimary()
        try harness.addSignerZone(poll: "3s")
        try harness.startSigner()
        let first = TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "SOA") }, until: Self.signedAnswer)
        #expect(first.ok, "\(first.output)\n\(harness.logs)")
        try harness.primaryCLI(["record", "add", TwoTierHarness.zone, "polled", "300", "TXT", "\"by poll\""])
        // One poll interval (3 s plus at most a tenth of jitter), the primary's one-second store check, and signing.
        let change = TwoTierHarness.poll(10, { harness.askSigner("polled.search.usa.gov.", "TXT") }, until: {
            Self.signedAnswer($0) && $0.contains("by poll")
        })
        #expect(change.ok, "\(change.output)\n\(harness.logs)")
        #expect(change.seconds < 5, "within one poll interval: took \(change.seconds) s")
    }

    /// The value of the zone's `countersign_polls_total` series with `result`, from the signer's /metrics.
    static func polls(_ metricsPort: Int, result: String) -> Double {
        counter(metricsPort, "countersign_polls_total", result: result)
    }

    /// The value of the zone's series of counter `name` with `result` (0 while it does not exist).
    static func counter(_ metricsPort: Int, _ name: String, result: String) -> Double {
        let text = (try? ExternalTool.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(metricsPort)/metrics"], timeout: 10)) ?? ""
        let line = text.split(separator: "\n").first {
            $0.hasPrefix("\(name){") && $0.contains("zone=\"\(TwoTierHarness.zone)\"") && $0.contains("result=\"\(result)\"")
        }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Every poll of the zone so far, whatever its result.
    static func allPolls(_ metricsPort: Int) -> Double {
        ["changed", "unchanged", "refused", "failed", "signing-failed"].reduce(0) { $0 + polls(metricsPort, result: $1) }
    }

    /// A NOTIFY carries the primary's serial (RFC 1996 §3.7). One with the serial the zone holds asks the
    /// primary nothing (a primary restarting notifies every zone: NSD does); one with a new serial is
    /// fetched at once; one with no serial is polled as before. The NOTIFYs come from `ldns-notify`, and
    /// the primary sends none of its own, so every poll seen is one of ours.
    @Test func aNotifyWithTheHeldSerialAsksNothingAndANewOneIsFetchedAtOnce() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("curl"),
              ExternalTool.require("ldns-notify") else { return }
        let harness = try TwoTierHarness(name: "two-tier-notify-serial")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: false)
        try harness.startPrimary()
        // Polls an hour apart: nothing but a NOTIFY moves the zone within the test.
        try harness.addSignerZone(poll: "3600s", extra: ["--poll-mode", "serial"])
        let metricsPort = try FreePort.next()
        try harness.startSigner(["--metrics-listen", "127.0.0.1:\(metricsPort)"])
        #expect(TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "SOA") }, until: Self.signedAnswer).ok, "\(harness.logs)")
        func primarySerial() -> String {
            harness.dig(harness.primaryPort, ["+short", TwoTierHarness.zone, "SOA"]).split(separator: " ").dropFirst(2).first.map(String.init) ?? ""
        }
        func notify(serial: String?) throws {
            let args = ["-z", TwoTierHarness.zone, "-p", "\(harness.signerPort)", "-r", "2"] + (serial.map { ["-s", $0] } ?? []) + ["127.0.0.1"]
            _ = try ExternalTool.run("ldns-notify", args, timeout: 20)
        }
        let held = primarySerial()
        try #require(!held.isEmpty, "no SOA from the primary")
        let pollsBefore = Self.allPolls(metricsPort)

        for _ in 0..<3 { try notify(serial: held) }
        let current = TwoTierHarness.poll(10, { "\(Self.counter(metricsPort, "countersign_notifies_total", result: "current"))" }, until: { $0 == "3.0" })
        #expect(current.ok, "three NOTIFYs with the held serial \(held) counted \(current.output) as current\n\(harness.logs)")
        #expect(Self.allPolls(metricsPort) == pollsBefore, "a NOTIFY with the held serial made the signer poll")

        // A change the primary does not announce; a NOTIFY with its new serial brings it at once.
        try harness.primaryCLI(["record", "add", TwoTierHarness.zone, "hinted", "300", "A", "192.0.2.77"])
        let newSerial = TwoTierHarness.poll(10, { primarySerial() }, until: { $0 != held && !$0.isEmpty })
        try #require(newSerial.ok, "the primary's serial did not move: \(newSerial.output)")
        try notify(serial: newSerial.output)
        let fetched = TwoTierHarness.poll(15, { harness.askSigner("hinted.\(TwoTierHarness.zone)", "A") }, until: {
            Self.signedAnswer($0) && $0.contains("192.0.2.77")
        })
        #expect(fetched.ok, "a NOTIFY with a new serial was not fetched:\n\(fetched.output)\n\(harness.logs)")
        #expect(Self.counter(metricsPort, "countersign_notifies_total", result: "refresh") == 1)

        // No serial in the NOTIFY: polled as before (the serial check finds it unchanged).
        let polls = Self.allPolls(metricsPort)
        try notify(serial: nil)
        let polled = TwoTierHarness.poll(10, { "\(Self.allPolls(metricsPort))" }, until: { (Double($0) ?? 0) > polls })
        #expect(polled.ok, "a NOTIFY without a serial was not polled\n\(harness.logs)")
    }

    /// Between changes a zone's serial checks are run by the daemon's shared poller while its worker
    /// sleeps: the polls must go on at the zone's pace (metrics, `zone status` after the batched write),
    /// a primary that goes silent must still be noticed as failing, and its return as a recovery.
    @Test func quietPollsGoOnWhileTheZoneSleepsAndASilentPrimaryIsNoticed() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("curl") else { return }
        let harness = try TwoTierHarness(name: "two-tier-parked")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: true)
        try harness.startPrimary()
        try harness.addSignerZone(poll: "2s")
        let metricsPort = try FreePort.next()
        try harness.startSigner(["--metrics-listen", "127.0.0.1:\(metricsPort)"])
        #expect(TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "SOA") }, until: Self.signedAnswer).ok, "\(harness.logs)")

        // `auto` settled on serial polling for dns-primary (which raises its serial when an expansion moves).
        let chosen = TwoTierHarness.poll(10, { harness.signerLog }, until: { $0.contains("poll mode chosen") })
        #expect(chosen.output.contains("mode=serial"), "auto must choose serial polling for dns-primary:\n\(harness.logs)")
        // A NOTIFY'd change takes the zone back from the poller; its quiet polls must resume after it.
        try harness.primaryCLI(["record", "add", TwoTierHarness.zone, "parked", "300", "A", "192.0.2.66"])
        let notified = TwoTierHarness.poll(10, { harness.askSigner("parked.search.usa.gov.", "A") }, until: { Self.signedAnswer($0) && $0.contains("192.0.2.66") })
        #expect(notified.ok, "the NOTIFY'd change was not served:\n\(harness.logs)")
        // Unchanged polls every 2 s (plus jitter under 0.2 s): at least four more within 12 s.
        let before = Self.polls(metricsPort, result: "unchanged")
        let quiet = TwoTierHarness.poll(12, { "\(Self.polls(metricsPort, result: "unchanged"))" }, until: { (Double($0) ?? 0) >= before + 4 })
        #expect(quiet.ok, "unchanged polls went from \(before) to \(quiet.output)\n\(harness.logs)")
        let health = (try? ExternalTool.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(metricsPort)/healthz"], timeout: 10)) ?? ""
        #expect(health.hasPrefix("ok"), "\(health)")

        // The primary goes silent: the poller hands the zone back and its worker counts failed polls.
        harness.stopPrimary()
        let failing = TwoTierHarness.poll(20, { "\(Self.polls(metricsPort, result: "failed"))" }, until: { (Double($0) ?? 0) >= 2 })
        #expect(failing.ok, "a silent primary was not noticed: \(failing.output) failed polls\n\(harness.logs)")
        #expect(harness.askSigner(TwoTierHarness.zone, "SOA").contains("RRSIG"), "the stored version is still served")

        // It comes back: polls succeed again, the zone parks again and its quiet polls resume.
        try harness.startPrimary()
        let resumed = Self.polls(metricsPort, result: "unchanged")
        let again = TwoTierHarness.poll(30, { "\(Self.polls(metricsPort, result: "unchanged"))" }, until: { (Double($0) ?? 0) >= resumed + 4 })
        #expect(again.ok, "quiet polls did not resume after the primary returned\n\(harness.logs)")

        // The batched poll times are written when the daemon stops: zone status shows a quiet poll.
        harness.stopSigner()
        let status = try harness.signerCLI(["zone", "status", TwoTierHarness.zone])
        #expect(status.contains("unchanged (SOA serial"), "zone status after a stop:\n\(status)")
    }

    @Test func aRestartedSignerServesItsLastVersionBeforeAnyPoll() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "two-tier-restart")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: false)
        try harness.startPrimary()
        try harness.addSignerZone(poll: "60s")
        try harness.startSigner()
        #expect(TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "SOA") }, until: Self.signedAnswer).ok, "\(harness.logs)")
        let serial = try #require(harness.signerSerial())

        // The primary goes away, and 40 more zones come whose primary never answers (a UDP socket and a
        // TCP listener held here that read nothing: each first transfer hangs until its timeout). The
        // signer restarts and must answer from its store at once: the listeners wait for no zone's poll.
        harness.stopPrimary()
        harness.stopSigner()
        let silent = try LoopbackUDPSocket()
        let hanging = try SilentTCPListener(port: silent.port)
        let names = (0..<40).map { "silent\($0).example." }
        try harness.signerCLI(["zone", "add"] + names + ["--primary", "127.0.0.1:\(silent.port)"])
        try harness.startSigner()
        let back = TwoTierHarness.poll(3, { harness.askSigner(TwoTierHarness.zone, "A") }, until: {
            Self.signedAnswer($0) && $0.contains("192.0.2.10")
        })
        #expect(back.ok, "not served from the store after a restart:\n\(back.output)\n\(harness.logs)")
        #expect(harness.signerSerial() == serial, "the same signed version")
        withExtendedLifetime((silent, hanging)) {}
    }

    /// kill -9 at random moments while the primary keeps changing the zone: after each restart the signer
    /// serves one whole version — it verifies, by our verifier and by `ldns-verify-zone` on the AXFR, and
    /// its names are a prefix of the edit sequence, never a mix — and the database passes
    /// `PRAGMA integrity_check`. The kill moments come from a new seed each run (printed, and in every
    /// failure message; `COUNTERSIGN_KILL_SEED=N` replays one), so runs explore different moments.
    @Test func killNineAtRandomMomentsLeavesOneWholeVersion() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("sqlite3"),
              ExternalTool.require("ldns-verify-zone") else { return }
        let harness = try TwoTierHarness(name: "two-tier-kill")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: true)
        try harness.startPrimary()
        try harness.addSignerZone(poll: "1s")
        try harness.startSigner()
        #expect(TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "SOA") }, until: Self.signedAnswer).ok, "\(harness.logs)")

        let seed = ProcessInfo.processInfo.environment["COUNTERSIGN_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("kill -9 test: seed \(seed) (replay with COUNTERSIGN_KILL_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        var edits = 0
        for run in 0..<20 {
            // A burst of edits, and a kill somewhere inside or after it.
            for _ in 0..<3 {
                edits += 1
                try harness.primaryCLI(["record", "add", TwoTierHarness.zone, "e\(edits)", "300", "A", "192.0.2.\(edits % 250)"])
            }
            Thread.sleep(forTimeInterval: Double(random.next() % 1500) / 1000)
            harness.killSigner()
            let integrity = try ExternalTool.run("sqlite3", [harness.signerDB, "PRAGMA integrity_check;"], timeout: 30)
            #expect(integrity.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "seed \(seed) run \(run): \(integrity)")
            try harness.startSigner()
            let served = TwoTierHarness.poll(5, { harness.dig(harness.signerPort, [TwoTierHarness.zone, "AXFR"]) }, until: {
                $0.contains("SOA") && !$0.contains("Transfer failed")
            })
            #expect(served.ok, "seed \(seed) run \(run): nothing served after restart:\n\(served.output)\n\(harness.logs)")
            let zone = try Zone(parsing: served.output, origin: DomainName(TwoTierHarness.zone))
            let failures = ZoneVerifier.verify(zone, now: UInt32(Date().timeIntervalSince1970))
            #expect(failures.isEmpty, "seed \(seed) run \(run): the served zone does not verify: \(failures.prefix(3))")
            let judged = try Self.ldnsVerify(axfr: served.output, in: harness, run: run)
            #expect(judged.status == 0, "seed \(seed) run \(run): ldns-verify-zone refuses the served zone:\n\(judged.output.suffix(2000))")
            let present = (1...edits).filter { !zone.rrsets(at: try! DomainName("e\($0).search.usa.gov.")).isEmpty }
            #expect(present == Array(1...present.count), "seed \(seed) run \(run): edits \(present) are not a prefix of 1...\(edits)")
        }
    }

    /// `ldns-verify-zone` on what dig transferred: the records only, without dig's comments and the SOA
    /// that closes the transfer (a zone file holds it once).
    static func ldnsVerify(axfr output: String, in harness: TwoTierHarness, run: Int) throws -> (status: Int32, output: String) {
        var lines = output.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        if let last = lines.last, last.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst(3).first == "SOA" { lines.removeLast() }
        let file = harness.dir + "/served-\(run).zone"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ExternalTool.execute("ldns-verify-zone", [file], timeout: 60)
        return (result.status, result.output)
    }
}
