import DNSCore
import Foundation
import Testing

/// `dns-primary` with many ALIAS records behind a resolver that takes its time (issue 15 item 6): three
/// zones of 300 ALIAS records each (policies fail, keep-last, ignore) point at the same 300 targets,
/// which Tests/Fixtures/slow_resolver.py answers 20 ms after each query while counting the queries it
/// holds. What an operator would notice:
/// - every zone is served fully expanded, and no more than `--alias-concurrency` lookups (or the config
///   file's `alias-concurrency`, for `zone export --expanded`) were ever outstanding at the resolver;
/// - one target among the 300 failing does, per zone, what its policy says: `fail` refuses the transfer,
///   `keep-last` keeps that target's last answer and every other one, `ignore` leaves out just that
///   owner's addresses under a raised serial; when it resolves again the `fail` zone transfers again;
/// - a concurrency of 0 or beyond the bound is refused with a message naming the flag or file line.
@Suite(.serialized)
struct PrimaryAliasScaleTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/slow_resolver.py").standardized.path
    static let targets = 300
    static let policies = ["fail", "keep-last", "ignore"]
    static func zone(_ policy: String) -> String { "many.\(policy).test." }
    static func owner(_ n: Int, _ zone: String) -> String { String(format: "h%04d.", n) + zone }
    static func target(_ n: Int) -> String { String(format: "t%04d.lb.test.", n) }
    /// What the fixture answers for target n (its documented rule).
    static func v4(_ n: Int) -> String { "198.18.\(n / 250).\(n % 250 + 1)" }
    static func v6(_ n: Int) -> String { "2001:db8:ffff::\(String(n + 1, radix: 16))" }

    static func zoneFile(_ zone: String) -> String {
        var text = "$ORIGIN \(zone)\n$TTL 300\n@ SOA ns1.example.net. hostmaster 1 3600 600 86400 300\n@ NS ns1.example.net.\n"
        text += "www A 192.0.2.80\n"
        for n in 0..<targets { text += String(format: "h%04d", n) + " 300 ALIAS \(target(n))\n" }
        return text
    }

    /// The fixture, on a port the kernel picks; stopped by PID when the test ends.
    final class SlowResolver {
        let process: BackgroundProcess
        let port: Int
        let failFile: String

        init(directory: String, delayMilliseconds: Int, ttl: Int) throws {
            failFile = directory + "/failing.txt"
            try "".write(toFile: failFile, atomically: true, encoding: .utf8)
            let ready = directory + "/slow-resolver.port"
            process = try BackgroundProcess("python3", [
                PrimaryAliasScaleTests.script, "--port", "0", "--delay-ms", "\(delayMilliseconds)", "--ttl", "\(ttl)",
                "--fail-file", failFile, "--ready-file", ready, "--lifetime", "300",
            ], log: URL(fileURLWithPath: directory + "/slow-resolver.log"))
            let listening = PrimaryTestBed.poll(15, { (try? String(contentsOfFile: ready, encoding: .utf8)) ?? "" }, until: { !$0.isEmpty })
            guard let port = Int(listening.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.stop()
                throw ExternalTool.Failure(command: "slow_resolver.py", status: -1, output: "did not listen within 15 s: \(process.log)")
            }
            self.port = port
        }

        deinit { process.stop() }

        /// The most queries it ever held at once, so far (nil when it does not say).
        func maxInFlight() -> Int? {
            let text = (try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "+short", "+time=2", "+tries=2",
                                                      "stats.slow-resolver.", "TXT"], timeout: 10, allowFailure: true)) ?? ""
            guard let range = text.range(of: #"max-in-flight=\d+"#, options: .regularExpression) else { return nil }
            return Int(text[range].dropFirst("max-in-flight=".count))
        }

        /// From the next query on, `names` are answered SERVFAIL (the file is replaced atomically).
        func fail(_ names: [String]) throws {
            try names.map { $0 + "\n" }.joined().write(toFile: failFile, atomically: true, encoding: .utf8)
        }
    }

    /// The owners (among the 300) whose A and AAAA in `transfer` are the fixture's answer for their target.
    static func expandedOwners(_ transfer: AXFRResult, _ zone: String) -> Set<Int> {
        var a: [String: Set<String>] = [:]
        var aaaa: [String: Set<String>] = [:]
        for line in transfer.records {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 5 else { continue }
            if fields[3] == "A" { a[fields[0], default: []].insert(fields[4]) }
            if fields[3] == "AAAA" { aaaa[fields[0], default: []].insert(fields[4]) }
        }
        return Set((0..<targets).filter { n in
            a[owner(n, zone)] == [v4(n)] && aaaa[owner(n, zone)] == [v6(n)]
        })
    }

    @Test func manyAliasRecordsExpandWithinTheConcurrencyBoundAndKeepTheirPolicies() throws {
        guard ExternalTool.require("dig"), ScriptedPrimary.requireDnspython() else { return }
        let bed = try PrimaryTestBed("primary-alias-scale")
        // TTL 10: a failing target shows within about 10 s (an answer within its TTL outlives a failed
        // refresh), while a slow debug build under load still resolves all 600 within one TTL.
        let upstream = try SlowResolver(directory: bed.dir, delayMilliseconds: 20, ttl: 10)
        for policy in Self.policies {
            let zone = Self.zone(policy)
            let file = bed.dir + "/\(policy).zone"
            try Self.zoneFile(zone).write(toFile: file, atomically: true, encoding: .utf8)
            try bed.must(["zone", "import", zone, file])
            try bed.must(["zone", "set", zone, "--alias-failure", policy])
        }
        let all = Set(0..<Self.targets)

        // `zone export --expanded` follows the config file's alias-concurrency.
        let config = bed.dir + "/primary.conf"
        try "resolver 127.0.0.1:\(upstream.port)\nalias-concurrency 4\n".write(toFile: config, atomically: true, encoding: .utf8)
        let exported = try bed.cli(["zone", "export", Self.zone("fail"), "--expanded", "--config", config])
        #expect(exported.status == 0, "\(exported.output.suffix(500))")
        let exportedZone = AXFRResult.zone(exported.output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") })
        #expect(Self.expandedOwners(exportedZone, Self.zone("fail")) == all, "the export carries every target's addresses")
        let exportMax = try #require(upstream.maxInFlight(), "the fixture reports its counts: \(upstream.process.log)")
        #expect((2...4).contains(exportMax), "zone export --expanded: \(exportMax) lookups outstanding at once, configured 4")

        // serve: 600 lookups, 8 at a time.
        let started = Date()
        // Lookups when the TTL runs out (not every second, the bed's default), failures retried every second.
        try bed.startPrimary(["--alias-concurrency", "8", "--refresh", "3600", "--retry", "1"], resolverPort: upstream.port)
        for policy in Self.policies {
            let zone = Self.zone(policy)
            let served = PrimaryTestBed.poll(30, { bed.axfr(zone) }) { Self.expandedOwners(AXFRResult($0), zone) == all }
            #expect(served.ok, "\(zone): all \(Self.targets) ALIAS owners expanded in its AXFR; got \(Self.expandedOwners(AXFRResult(served.output), zone).count)\n\(bed.primaryLog.suffix(2000))")
        }
        print("PrimaryAliasScaleTests: 3 × \(Self.targets) ALIAS (600 lookups, 20 ms each, 8 at once) served after \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        let serveMax = try #require(upstream.maxInFlight())
        #expect((4...8).contains(serveMax), "serve: \(serveMax) lookups outstanding at once, configured 8")

        // One target among the 300 fails (SERVFAIL); which one comes from a fresh seed.
        let seed = ProcessInfo.processInfo.environment["COUNTERSIGN_ALIAS_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("PrimaryAliasScaleTests: seed \(seed) (replay with COUNTERSIGN_ALIAS_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let broken = random.below(Self.targets)
        var serials: [String: UInt32] = [:]
        for policy in Self.policies { serials[policy] = bed.serial(Self.zone(policy)) }
        try upstream.fail([Self.target(broken)])
        let others = all.subtracting([broken])

        let failZone = Self.zone("fail")
        let refused = PrimaryTestBed.poll(30, { bed.axfr(failZone) }) { AXFRResult($0) == .failed("SERVFAIL") }
        #expect(refused.ok, "fail: \(Self.target(broken)) failing refuses the transfer: \(refused.output.suffix(500))")
        #expect(bed.dig(["+short", Self.owner(broken, failZone), "A"]).contains(Self.v4(broken)),
                "fail: queries keep the last expansion that succeeded")
        #expect(bed.serial(failZone) == serials["fail"])

        let keepZone = Self.zone("keep-last")
        let kept = AXFRResult(bed.axfr(keepZone))
        #expect(Self.expandedOwners(kept, keepZone) == all, "keep-last: the failing target's last answer and every other one")
        #expect(bed.serial(keepZone) == serials["keep-last"], "keep-last: nothing changed, no new serial")

        let ignoreZone = Self.zone("ignore")
        let ignored = PrimaryTestBed.poll(30, { bed.axfr(ignoreZone) }) { Self.expandedOwners(AXFRResult($0), ignoreZone) == others }
        #expect(ignored.ok, "ignore: only \(Self.owner(broken, ignoreZone)) loses its addresses")
        #expect(AXFRResult(ignored.output).rrset(Self.owner(broken, ignoreZone), "A").isEmpty)
        #expect(bed.serial(ignoreZone) == (serials["ignore"] ?? 0) + 1, "ignore: the zone changed, so its serial rose once")

        let log = bed.primaryLog
        #expect(log.contains("ALIAS target does not resolve") && log.contains("target=\(Self.target(broken))"),
                "the failure is logged with its target")

        // It resolves again: the fail zone transfers again, complete.
        try upstream.fail([])
        let back = PrimaryTestBed.poll(30, { bed.axfr(failZone) }) { Self.expandedOwners(AXFRResult($0), failZone) == all }
        #expect(back.ok, "fail: transfers again once the target resolves: \(back.output.suffix(300))")
        let finalMax = try #require(upstream.maxInFlight())
        #expect(finalMax <= 8, "refreshes and retries stayed within the bound too: \(finalMax)")
    }

    @Test func aConcurrencyOutsideTheBoundIsRefused() throws {
        let bed = try PrimaryTestBed("primary-alias-concurrency")
        for value in ["0", "1025", "-3"] {
            let result = try bed.cli(["serve", "--listen", "127.0.0.1:\(bed.port)", "--resolver", "127.0.0.1:53",
                                      "--alias-concurrency=\(value)"])
            #expect(result.status != 0 && result.output.contains("--alias-concurrency \(value): must be 1...1024"),
                    "--alias-concurrency \(value): \(result.output)")
        }
        let config = bed.dir + "/primary.conf"
        try "resolver 127.0.0.1\nalias-concurrency 0\n".write(toFile: config, atomically: true, encoding: .utf8)
        let fromFile = try bed.cli(["serve", "--listen", "127.0.0.1:\(bed.port)", "--config", config])
        #expect(fromFile.status != 0 && fromFile.output.contains("\(config):2: alias-concurrency: 0 is out of range (1...1024)"),
                "\(fromFile.output)")
        #expect(!FileManager.default.fileExists(atPath: bed.db), "nothing was created")
    }
}
