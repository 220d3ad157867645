import DNSCore
import Foundation
import Testing

/// The whole chain of trust on loopback, in real time with TTLs of seconds, for issue 13's rollover proof:
///
/// ```
///  unbound (validating, trust anchor = our root's KSK) ──stub "." and "test."──▶ NSD "parent" (root + test., signed here)
///        │  also the signer's --parent-resolver          ──stub "example.test."──▶ dns-signer serve ◀──AXFR── NSD "primary"
///        ▲                                                                              │ CDS/CDNSKEY
///  prober (www A + a fresh NXDOMAIN every 0.5 s)        registrar (reads the CDS through unbound every 0.5 s,
///                                                       rewrites and re-signs test.'s DS set, reloads NSD)
/// ```
///
/// The root delegates test. with a DS; test. delegates example.test. with glue and, from the first signing on, the
/// DS of the signer's KSK (installed from `dns-signer ds`, the operator's first registrar step). Every daemon listens
/// on 127.0.0.1 on a FreePort port and is stopped by PID; every wait is bounded. An observer records, once a second,
/// what the signer serves (DNSKEY, the signatures over www, CDS), the parent's DS set and `keys status`, so a test can
/// print the timeline it saw and check the order of steps from the outside.
final class RolloverChain: @unchecked Sendable {
    static let zone = "example.test."
    static let www = "www.example.test."
    static let wwwAddress = "192.0.2.80"
    /// TTLs of the parent's DS (what `--parent-ds-ttl` is told) and of the child's data.
    static let dsTTL = 2
    static let childTTL = 3
    static let childSOATTL = 2
    static let tools = ["nsd", "unbound", "dig", "dnssec-keygen", "dnssec-dsfromkey", "ldns-signzone"]
    static var signerBinary: String { CLITests.binDirectory.appendingPathComponent("dns-signer").path }

    let directory: URL
    var dir: String { directory.path }
    let parentPort: Int
    let primaryPort: Int
    let signerPort: Int
    let unboundPort: Int
    var signerDB: String { dir + "/signer.db" }
    let started = Date()

    private let lock = NSLock()
    private var timelineLines: [String] = []
    private var parentNSD: BackgroundProcess?
    private var primaryNSD: BackgroundProcess?
    private var unbound: BackgroundProcess?
    private var signer: BackgroundProcess?
    private var signerRuns = 0
    private var parentSerial = 1
    private var parentDSSet: [DSRecord] = []
    private var rootKey = ""
    private var testKey = ""
    private(set) var rootAnchor = ""
    var registrar: Registrar!
    var prober: Prober!
    var observer: Observer!
    /// What this signer build knows of issue 13's interface (read from its --help).
    private(set) var features = Features()

    struct Features {
        var rolloverPolicy = false
        var parentResolver = false
        var keysStatus = false
        var keysRoll = false
        var dsSeen = false
        var missing: [String] = []
    }

    init(label: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rollover-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        parentPort = try FreePort.next()
        primaryPort = try FreePort.next()
        signerPort = try FreePort.next()
        unboundPort = try FreePort.next()
    }

    static func toolsPresent() -> Bool { tools.allSatisfy { ExternalTool.require($0) } }

    /// Builds the chain up to "unbound validates www.example.test. with the AD bit", then starts the observer,
    /// the registrar (acting unless told otherwise) and the prober. `zoneOptions` go to `zone add`.
    static func start(_ label: String, zoneOptions: [String] = [], registrarActs: Bool = true) throws -> RolloverChain {
        let chain = try RolloverChain(label: label)
        do {
            try chain.bringUp(zoneOptions: zoneOptions, registrarActs: registrarActs)
        } catch {
            chain.note("setup failed: \(error)")
            chain.stop()
            throw error
        }
        return chain
    }

    private func bringUp(zoneOptions: [String], registrarActs: Bool) throws {
        note("directory \(dir); parent NSD :\(parentPort), primary NSD :\(primaryPort), signer :\(signerPort), unbound :\(unboundPort)")
        features = try Self.readFeatures()
        if !features.missing.isEmpty { note("this dns-signer lacks: \(features.missing.joined(separator: ", "))") }
        try startParent()
        try startPrimary()
        try startUnbound()
        try addZone(zoneOptions)
        try startSigner()
        let signed = Self.poll(60) { self.askSigner(Self.zone, "SOA") } until: { $0.status == "NOERROR" && !$0.answer(type: "RRSIG").isEmpty }
        guard signed.ok else { throw failure("the signer did not serve example.test. signed within 60 s:\n\(signed.value.raw)\n\(logs)") }
        note("the signer serves example.test. signed (serial \(signed.value.answer(type: "SOA").first?.fields[2] ?? "?"))")

        // The operator's first registrar step: the DS that `dns-signer ds` prints goes to the parent.
        let printed = try signerCLI(["ds", Self.zone])
        let ds = DSRecord.parseLines(printed.output)
        guard printed.status == 0, !ds.isEmpty else { throw failure("dns-signer ds printed no DS:\n\(printed.output)") }
        guard try setParentDS(ds, why: "the operator gives the registrar the DS from `dns-signer ds`") else {
            throw failure("the parent did not serve the first DS:\n\(logs)")
        }
        let valid = Self.poll(30) { self.askUnbound(Self.www, "A") } until: { $0.status == "NOERROR" && $0.flags.contains("ad") }
        guard valid.ok else { throw failure("unbound never validated \(Self.www) (no AD within 30 s):\n\(valid.value.raw)\n\(logs)") }
        note("unbound validates \(Self.www) A from the root down (AD)")

        observer = Observer(chain: self)
        registrar = Registrar(chain: self, acting: registrarActs)
        prober = Prober(chain: self)
    }

    /// Stops the helpers and every daemon, by PID; the directory (every daemon's log and the signer's
    /// store) stays when COUNTERSIGN_KEEP_CHAIN=1, and when the prober saw a wrong answer, so a failure
    /// seen once in CI can be read afterwards.
    func stop() {
        let sawWrongAnswers = prober.map { !$0.current.failures.isEmpty } ?? false
        prober?.stop()
        registrar?.stop()
        observer?.stop()
        signer?.stop()
        unbound?.stop(grace: 2)
        primaryNSD?.stop()
        parentNSD?.stop()
        if ProcessInfo.processInfo.environment["COUNTERSIGN_KEEP_CHAIN"] == "1" || sawWrongAnswers {
            print("[chain] kept \(dir)" + (sawWrongAnswers ? " (the prober saw wrong answers)" : ""))
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    // MARK: Timeline

    var elapsed: Double { Date().timeIntervalSince(started) }

    /// One line of the timeline, printed at once (so a hung test still shows how far it got).
    func note(_ text: String) {
        let line = String(format: "+%6.1fs ", elapsed) + text
        lock.withLock { timelineLines.append(line) }
        print("[chain \(directory.lastPathComponent.prefix(20))] \(line)")
    }

    var timeline: String { lock.withLock { timelineLines.joined(separator: "\n") } }

    func failure(_ text: String) -> ExternalTool.Failure { ExternalTool.Failure(command: "rollover chain", status: -1, output: text) }

    /// The last lines of every daemon's log.
    var logs: String {
        let files = ((try? FileManager.default.subpathsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".log") }.sorted()
        return files.map { file in
            "=== \(file)\n" + ((try? String(contentsOfFile: dir + "/" + file, encoding: .utf8))?.suffix(2500) ?? "")
        }.joined(separator: "\n")
    }

    /// unbound's validation complaints (val-log-level 2), the last `limit` of them.
    func unboundValidationLog(limit: Int = 8) -> String {
        let text = (try? String(contentsOfFile: dir + "/unbound/unbound.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("validation failure") || $0.contains("bogus") }.suffix(limit)
            .joined(separator: "\n")
    }

    // MARK: The parent: one NSD serving the root and test., both signed by the test

    private func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func makeKey(_ zone: String) throws -> String {
        let keys = dir + "/parent/keys"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        let base = try ExternalTool.run("dnssec-keygen", ["-q", "-K", keys, "-a", "ECDSAP256SHA256", "-f", "KSK", zone], timeout: 30)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return keys + "/" + base
    }

    /// The DNSKEY (flags, protocol, algorithm, key) of a dnssec-keygen key.
    private static func dnskeyText(_ base: String) throws -> String {
        let text = try String(contentsOfFile: base + ".key", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { !$0.hasPrefix(";") && $0.contains("DNSKEY") })
        let fields = line.split(whereSeparator: \.isWhitespace)
        let at = try #require(fields.firstIndex(of: "DNSKEY"))
        return fields[(at + 1)...].joined(separator: " ")
    }

    private func sign(_ zoneFile: String, origin: String, key: String, out: String) throws {
        let now = Int(Date().timeIntervalSince1970)
        try ExternalTool.run("ldns-signzone", [
            "-i", "\(now - 3600)", "-e", "\(now + 6 * 3600)", "-o", origin, "-f", out + ".new", zoneFile, key,
        ], timeout: 30)
        guard rename(out + ".new", out) == 0 else { throw failure("rename \(out).new: errno \(errno)") }
    }

    private func testZoneText(serial: Int, ds: [DSRecord]) -> String {
        """
        test. 5 IN SOA ns.test. hostmaster.test. \(serial) 60 30 3600 2
        test. 5 IN NS ns.test.
        ns.test. 5 IN A 127.0.0.1
        example.test. \(Self.dsTTL) IN NS ns1.example.test.
        ns1.example.test. \(Self.dsTTL) IN A 127.0.0.1

        """ + ds.map { "example.test. \(Self.dsTTL) IN DS \($0.text)\n" }.joined()
    }

    private func startParent() throws {
        let parent = dir + "/parent"
        rootKey = try makeKey(".")
        testKey = try makeKey("test.")
        rootAnchor = ". DNSKEY " + (try Self.dnskeyText(rootKey))
        let testDS = try ExternalTool.run("dnssec-dsfromkey", ["-2", testKey + ".key"], timeout: 30)
        let testDSRecord = try #require(DSRecord.parseLines(testDS).first, "dnssec-dsfromkey: \(testDS)")
        try write(parent + "/root.zone", """
            . 5 IN SOA ns.test. hostmaster.test. 1 60 30 3600 2
            . 5 IN NS ns.test.
            test. 5 IN NS ns.test.
            test. 5 IN DS \(testDSRecord.text)
            ns.test. 5 IN A 127.0.0.1

            """)
        try sign(parent + "/root.zone", origin: ".", key: rootKey, out: parent + "/root.signed")
        try write(parent + "/test.zone", testZoneText(serial: parentSerial, ds: []))
        try sign(parent + "/test.zone", origin: "test.", key: testKey, out: parent + "/test.signed")
        try write(parent + "/nsd.conf", NSDConfig.server(directory: parent, port: parentPort, verbosity: 1) + """

            zone:
                name: "."
                zonefile: "root.signed"
            zone:
                name: "test"
                zonefile: "test.signed"

            """)
        parentNSD = try BackgroundProcess("nsd", ["-d", "-c", parent + "/nsd.conf"], log: URL(fileURLWithPath: parent + "/nsd.log"))
        let up = Self.poll(20) { self.askParent("test.", "SOA") } until: { $0.status == "NOERROR" && !$0.answer(type: "RRSIG").isEmpty }
        guard up.ok else { throw failure("the parent NSD did not answer test. SOA within 20 s:\n\(up.value.raw)\n\(logs)") }
        note("parent NSD serves . and test., signed; trust anchor \(rootAnchor.prefix(40))…")
    }

    /// The SHA-256 DS of a fresh key for `zone` that nobody signs with (for the control test).
    func unrelatedDS(for zone: String) throws -> DSRecord {
        let base = try makeKey(zone)
        let text = try ExternalTool.run("dnssec-dsfromkey", ["-2", base + ".key"], timeout: 30)
        return try #require(DSRecord.parseLines(text).first, "dnssec-dsfromkey: \(text)")
    }

    /// The DS set the parent currently publishes for example.test. (as the registrar last wrote it).
    var parentDS: [DSRecord] { lock.withLock { parentDSSet } }

    /// The registrar's one action: example.test.'s DS set at the parent becomes `ds` (empty: none), test. is
    /// signed again with a higher serial and NSD reloads it. Done only when the parent answers the new serial
    /// and DS set (at most 10 s; NSD gets SIGHUP again every second meanwhile).
    @discardableResult
    func setParentDS(_ ds: [DSRecord], why: String) throws -> Bool {
        let parent = dir + "/parent"
        let serial = lock.withLock { parentSerial += 1; return parentSerial }
        try write(parent + "/test.zone", testZoneText(serial: serial, ds: ds))
        try sign(parent + "/test.zone", origin: "test.", key: testKey, out: parent + "/test.signed")
        let pid = try #require(parentNSD?.process.processIdentifier)
        let wanted = Set(ds)
        let deadline = Date().addingTimeInterval(10)
        var lastHUP = Date.distantPast
        while Date() < deadline {
            if Date().timeIntervalSince(lastHUP) >= 1 {
                // NSD reloads a zone file whose mtime changed; a second HUP covers a write within its clock tick.
                try? FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(1)], ofItemAtPath: parent + "/test.signed")
                kill(pid, SIGHUP)
                lastHUP = Date()
            }
            Thread.sleep(forTimeInterval: 0.1)
            let soa = askParent("test.", "SOA")
            guard soa.answer(type: "SOA").first?.fields[2] == "\(serial)" else { continue }
            let served = askParent(Self.zone, "DS")
            if Set(DSRecord.parse(served.answer(type: "DS"))) == wanted && (ds.isEmpty || !served.answer(type: "RRSIG").isEmpty) {
                lock.withLock { parentDSSet = ds }
                note("parent: DS for example.test. = \(DSRecord.describe(ds)) (test. serial \(serial); \(why))")
                return true
            }
        }
        note("parent: NSD did not serve serial \(serial) with DS \(DSRecord.describe(ds)) within 10 s")
        return false
    }

    // MARK: The hidden primary: a second NSD with the unsigned zone

    private func startPrimary() throws {
        let primary = dir + "/primary"
        try write(primary + "/example.zone", """
            $ORIGIN example.test.
            $TTL \(Self.childTTL)
            @ \(Self.childSOATTL) IN SOA ns1 hostmaster 1 60 10 3600 \(Self.childSOATTL)
            @ IN NS ns1
            ns1 IN A 127.0.0.1
            www IN A \(Self.wwwAddress)
            mail IN A 192.0.2.25
            @ IN MX 10 mail

            """)
        try write(primary + "/nsd.conf", NSDConfig.server(directory: primary, port: primaryPort, verbosity: 1) + """

            zone:
                name: "example.test"
                zonefile: "example.zone"
                provide-xfr: 127.0.0.1 NOKEY

            """)
        primaryNSD = try BackgroundProcess("nsd", ["-d", "-c", primary + "/nsd.conf"], log: URL(fileURLWithPath: primary + "/nsd.log"))
        let up = Self.poll(20) { self.dig(self.primaryPort, ["+norec", Self.zone, "SOA"]) } until: { $0.status == "NOERROR" }
        guard up.ok else { throw failure("the hidden primary did not answer within 20 s:\n\(up.value.raw)\n\(logs)") }
    }

    // MARK: unbound: the validating resolver (the prober's and the signer's)

    private func startUnbound() throws {
        let home = dir + "/unbound"
        let config = """
            server:
                interface: 127.0.0.1
                port: \(unboundPort)
                do-ip6: no
                do-daemonize: no
                username: ""
                chroot: ""
                directory: "\(home)"
                pidfile: "\(home)/unbound.pid"
                use-syslog: no
                logfile: ""
                verbosity: 1
                val-log-level: 2
                log-time-ascii: yes
                num-threads: 1
                access-control: 127.0.0.0/8 allow
                module-config: "validator iterator"
                do-not-query-localhost: no
                # unbound answers RFC 6761 names such as .test itself unless told not to.
                local-zone: "test." nodefault
                trust-anchor: "\(rootAnchor)"
                # Short memories, so what it answers follows the chain within seconds.
                cache-max-ttl: 5
                cache-max-negative-ttl: 2
                val-bogus-ttl: 5
                # Every fresh nonexistent name goes to the signer and its NSEC proof is validated anew, rather
                # than being synthesised from cached NSEC records.
                aggressive-nsec: no
                infra-host-ttl: 10
                infra-keep-probing: yes
                # Extended DNS Errors say why a SERVFAIL happened (bogus vs unreachable).
                ede: yes
            remote-control:
                control-enable: no
            stub-zone:
                name: "."
                stub-addr: 127.0.0.1@\(parentPort)
            stub-zone:
                name: "test."
                stub-addr: 127.0.0.1@\(parentPort)
            stub-zone:
                name: "example.test."
                stub-addr: 127.0.0.1@\(signerPort)

            """
        try write(home + "/unbound.conf", config)
        if ExternalTool.path(of: "unbound-checkconf") != nil {
            try ExternalTool.run("unbound-checkconf", [home + "/unbound.conf"], timeout: 20)
        }
        unbound = try BackgroundProcess("unbound", ["-d", "-c", home + "/unbound.conf"], log: URL(fileURLWithPath: home + "/unbound.log"))
        // unbound answers id.server itself, without asking anyone.
        let up = Self.poll(15) { self.dig(self.unboundPort, ["CH", "id.server.", "TXT"]) } until: { $0.status != nil }
        guard up.ok else { throw failure("unbound did not answer within 15 s:\n\(logs)") }
        let test = askUnbound("ns.test.", "A")
        guard test.status == "NOERROR" && test.flags.contains("ad") else {
            throw failure("unbound does not validate the parent (ns.test. A):\n\(test.raw)\n\(logs)")
        }
        note("unbound validates the root and test. (ns.test. A has AD)")
    }

    // MARK: The signer

    struct Run {
        var status: Int32
        var output: String
    }

    /// `dns-signer ARGS --db DB`, at most 60 s.
    func signerCLI(_ arguments: [String]) throws -> Run {
        let path = Self.signerBinary
        guard FileManager.default.isExecutableFile(atPath: path) else { throw failure("\(path) is built by `swift build --build-tests`") }
        let result = try ExternalTool.execute(path, arguments + ["--db", signerDB], timeout: 60)
        return Run(status: result.status, output: result.output)
    }

    private static func readFeatures() throws -> Features {
        func help(_ arguments: [String]) -> String {
            (try? ExternalTool.execute(signerBinary, arguments + ["--help"], timeout: 30).output) ?? ""
        }
        guard FileManager.default.isExecutableFile(atPath: signerBinary) else {
            throw ExternalTool.Failure(command: signerBinary, status: 127, output: "not built; run `swift build --build-tests`")
        }
        var features = Features()
        let add = help(["zone", "add"])
        features.rolloverPolicy = ["--zsk-lifetime", "--propagation-delay", "--parent-ds-ttl", "--parent-server", "--ds-check-interval"]
            .allSatisfy { add.contains($0) }
        if !features.rolloverPolicy {
            features.missing.append("zone add --zsk-lifetime/--propagation-delay/--parent-ds-ttl/--parent-server/--ds-check-interval")
        }
        features.parentResolver = help(["serve"]).contains("--parent-resolver")
        if !features.parentResolver { features.missing.append("serve --parent-resolver") }
        features.keysStatus = help(["keys", "status"]).contains("USAGE: dns-signer keys status")
        if !features.keysStatus { features.missing.append("keys status") }
        features.keysRoll = help(["keys", "roll"]).contains("USAGE: dns-signer keys roll")
        if !features.keysRoll { features.missing.append("keys roll") }
        features.dsSeen = help(["keys", "ds-seen"]).contains("USAGE: dns-signer keys ds-seen")
        if !features.dsSeen { features.missing.append("keys ds-seen") }
        return features
    }

    /// True when this build has the rollover interface; otherwise records why the scenario cannot run.
    func requireRolloverInterface(_ sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if features.missing.isEmpty { return true }
        Issue.record("dns-signer does not have issue 13's interface yet: missing \(features.missing.joined(separator: "; "))",
                     sourceLocation: sourceLocation)
        return false
    }

    /// The rollover policy of the contract: no automatic ZSK rollovers, waits of a second, the parent's DS TTL
    /// and servers given, the parent checked every second.
    var rolloverPolicyOptions: [String] {
        guard features.rolloverPolicy else { return [] }
        return ["--zsk-lifetime", "none", "--propagation-delay", "1s", "--parent-ds-ttl", "\(Self.dsTTL)s",
                "--parent-server", "127.0.0.1:\(parentPort)", "--ds-check-interval", "1s"]
    }

    private func addZone(_ extra: [String]) throws {
        let arguments = ["zone", "add", Self.zone, "--primary", "127.0.0.1:\(primaryPort)", "--poll", "2s"] + rolloverPolicyOptions + extra
        let added = try signerCLI(arguments)
        note("dns-signer \(arguments.joined(separator: " ")) → exit \(added.status)")
        guard added.status == 0 else { throw failure("zone add failed:\n\(added.output)") }
    }

    func startSigner() throws {
        signerRuns += 1
        var arguments = ["serve", "--db", signerDB, "--listen", "127.0.0.1:\(signerPort)", "--threads", "1"]
        if features.parentResolver { arguments += ["--parent-resolver", "127.0.0.1:\(unboundPort)"] }
        signer = try BackgroundProcess(Self.signerBinary, arguments, log: URL(fileURLWithPath: dir + "/signer\(signerRuns).log"))
    }

    /// kill -9 by PID, then the same command again with the same database; true when it answers within 10 s.
    func killAndRestartSigner() throws -> (down: Double, ok: Bool) {
        let killed = Date()
        signer?.kill9()
        try startSigner()
        let back = Self.poll(10, step: 0.05) { self.askSigner(Self.zone, "SOA") } until: { $0.status == "NOERROR" }
        return (Date().timeIntervalSince(killed), back.ok)
    }

    /// `keys status ZONE --json`, decoded; nil (with the output) when the command fails or prints something else.
    func keysStatus() -> (status: KeysStatus?, output: String) {
        guard let run = try? signerCLI(["keys", "status", Self.zone, "--json"]) else { return (nil, "(keys status did not run)") }
        guard run.status == 0 else { return (nil, run.output) }
        return (try? JSONDecoder().decode(KeysStatus.self, from: Data(run.output.utf8)), run.output)
    }

    /// `keys status ZONE` as text (for failure reports), or `keys list` on a build without it.
    func keysStatusText() -> String {
        let run = try? signerCLI(features.keysStatus ? ["keys", "status", Self.zone] : ["keys", "list", Self.zone])
        return run.map { $0.output.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "(keys status did not run)"
    }

    /// The kinds of the zone's recorded events, oldest first (from `zone status --json`).
    func eventKinds() -> [(time: Int64, kind: String, summary: String)] {
        guard let run = try? signerCLI(["zone", "status", Self.zone, "--json", "--events", "500"]), run.status == 0,
              let report = try? JSONDecoder().decode(ZoneStatusEvents.self, from: Data(run.output.utf8)) else { return [] }
        return (report.recentEvents ?? []).reversed().map { ($0.time, $0.kind, $0.summary) }
    }

    private struct ZoneStatusEvents: Decodable {
        struct Event: Decodable {
            var time: Int64
            var kind: String
            var summary: String
        }
        var recentEvents: [Event]?
    }

    // MARK: Asking

    func dig(_ port: Int, _ arguments: [String]) -> DigReply {
        let output = (try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "+dnssec", "+nosplit", "+time=2", "+tries=1"] + arguments,
                                            timeout: 10, allowFailure: true)) ?? ""
        return DigReply(output)
    }

    /// Through the validating resolver, recursion desired.
    func askUnbound(_ name: String, _ type: String) -> DigReply { dig(unboundPort, [name, type]) }
    /// The signer itself, authoritative.
    func askSigner(_ name: String, _ type: String) -> DigReply { dig(signerPort, ["+norec", name, type]) }
    /// The parent's NSD, authoritative.
    func askParent(_ name: String, _ type: String) -> DigReply { dig(parentPort, ["+norec", name, type]) }

    /// The DNSKEYs the signer serves.
    func signerKeys() -> [Key] { Key.parse(askSigner(Self.zone, "DNSKEY").answer(type: "DNSKEY")) }

    /// The key tags of the signatures over `name type` the signer serves.
    func signatureTags(_ name: String, _ type: String) -> [Int] {
        askSigner(name, type).answer(type: "RRSIG").filter { $0.fields.first == type }.compactMap { Int($0.fields[safe: 6] ?? "") }
    }

    func signatureAlgorithms(_ name: String, _ type: String) -> Set<Int> {
        Set(askSigner(name, type).answer(type: "RRSIG").filter { $0.fields.first == type }.compactMap { Int($0.fields[safe: 1] ?? "") })
    }

    /// The DS set the parent's NSD serves now.
    func servedParentDS() -> [DSRecord] { DSRecord.parse(askParent(Self.zone, "DS").answer(type: "DS")) }

    /// Polls `probe` until `accept` takes its value, at most `seconds`; the last value either way.
    @discardableResult
    static func poll<T>(_ seconds: Double, step: Double = 0.2, _ probe: () -> T, until accept: (T) -> Bool) -> (ok: Bool, value: T, seconds: Double) {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        var value = probe()
        while !accept(value) {
            if Date() >= deadline { return (false, value, Date().timeIntervalSince(start)) }
            Thread.sleep(forTimeInterval: step)
            value = probe()
        }
        return (true, value, Date().timeIntervalSince(start))
    }

    /// Waits (at most `seconds`) until `keys status` shows no rollover and `done` accepts it; notes the outcome.
    func waitForRolloverToFinish(_ seconds: Double, _ done: (KeysStatus) -> Bool) -> (ok: Bool, status: KeysStatus?, output: String) {
        let result = Self.poll(seconds, step: 0.5) { self.keysStatus() } until: { $0.status.map { $0.rollover == nil && done($0) } ?? false }
        let state = result.value.status.map(\.summary) ?? result.value.output
        note(result.ok ? "the rollover finished (\(String(format: "%.1f", result.seconds)) s after waiting began): \(state)"
                       : "the rollover did not finish within \(Int(seconds)) s: \(state)")
        return (result.ok, result.value.status, result.value.output)
    }
}

// MARK: - What the tools print

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// One `dig` answer: status, header flags, EDE, and the records of each section (one line each, +nosplit).
struct DigReply: Sendable {
    struct Record: Sendable {
        var name: String
        var ttl: Int
        var type: String
        var fields: [String]
        var rdata: String { fields.joined(separator: " ") }
    }

    var raw: String
    /// NOERROR, NXDOMAIN, SERVFAIL, …; nil when no answer came (timeout, refused connection).
    var status: String?
    var flags: Set<String> = []
    /// The Extended DNS Error line, when the answer has one.
    var ede: String?
    var sections: [String: [Record]] = [:]

    init(_ text: String) {
        raw = text
        var section: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains("->>HEADER<<-"), let range = line.range(of: "status: ") {
                status = String(line[range.upperBound...].prefix { $0 != "," })
            } else if line.hasPrefix(";; flags:") {
                let text = line.dropFirst(";; flags:".count).prefix { $0 != ";" }
                flags = Set(text.split(separator: " ").map(String.init))
            } else if line.hasPrefix("; EDE:") {
                ede = String(line.dropFirst(2))
            } else if line.hasPrefix(";; ") && line.hasSuffix(" SECTION:") {
                section = String(line.dropFirst(3).dropLast(" SECTION:".count))
            } else if line.isEmpty {
                section = nil
            } else if let current = section, !line.hasPrefix(";") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard fields.count >= 4, let ttl = Int(fields[1]) else { continue }
                sections[current, default: []].append(Record(name: fields[0], ttl: ttl, type: fields[3], fields: Array(fields.dropFirst(4))))
            }
        }
    }

    func answer(type: String) -> [Record] { (sections["ANSWER"] ?? []).filter { $0.type == type } }
}

/// A DS (or CDS) record's data, digest in upper case, so sets compare whatever tool printed them.
struct DSRecord: Hashable, Sendable, CustomStringConvertible {
    var tag: Int
    var algorithm: Int
    var digestType: Int
    var digest: String

    var text: String { "\(tag) \(algorithm) \(digestType) \(digest)" }
    var description: String { text }
    /// The CDS that asks for the removal of every DS (RFC 8078 §4).
    var isDelete: Bool { tag == 0 && algorithm == 0 && digestType == 0 }

    init(tag: Int, algorithm: Int, digestType: Int, digest: String) {
        self.tag = tag
        self.algorithm = algorithm
        self.digestType = digestType
        self.digest = digest.uppercased()
    }

    init?(fields: [String]) {
        guard fields.count >= 4, let tag = Int(fields[0]), let algorithm = Int(fields[1]), let digestType = Int(fields[2]) else { return nil }
        self.init(tag: tag, algorithm: algorithm, digestType: digestType, digest: fields[3...].joined())
    }

    static func parse(_ records: [DigReply.Record]) -> [DSRecord] { records.compactMap { DSRecord(fields: $0.fields) }.sorted { $0.text < $1.text } }

    /// The DS records in text with `… DS tag alg type digest` lines (dns-signer ds, dnssec-dsfromkey).
    static func parseLines(_ text: String) -> [DSRecord] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix(";") else { return nil }
            let fields = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let at = fields.firstIndex(of: "DS") else { return nil }
            return DSRecord(fields: Array(fields[(at + 1)...]))
        }
    }

    static func describe(_ set: [DSRecord]) -> String {
        set.isEmpty ? "(none)" : set.map { "\($0.tag)/alg\($0.algorithm)/d\($0.digestType)" }.joined(separator: ", ")
    }
}

/// A DNSKEY (or CDNSKEY) as served, with its tag computed by DNSCore.
struct Key: Hashable, Sendable, CustomStringConvertible {
    var flags: Int
    var algorithm: Int
    var publicKey: [UInt8]
    var tag: Int

    var isKSK: Bool { flags & 1 == 1 }
    var description: String { "\(tag)/\(flags == 256 ? "ZSK" : flags == 257 ? "KSK" : "flags\(flags)")/alg\(algorithm)" }

    static func parse(_ records: [DigReply.Record]) -> [Key] {
        records.compactMap { record in
            guard record.fields.count >= 4, let flags = UInt16(record.fields[0]), let proto = UInt8(record.fields[1]),
                  let algorithm = UInt8(record.fields[2]), let bytes = Data(base64Encoded: record.fields[3...].joined()) else { return nil }
            let key = DNSKEY(flags: flags, protocol: proto, algorithm: algorithm, publicKey: Array(bytes))
            return Key(flags: Int(flags), algorithm: Int(algorithm), publicKey: Array(bytes), tag: Int(key.keyTag))
        }.sorted { $0.tag < $1.tag }
    }

    /// The DS a parent makes of this key for `owner` with `digestType`.
    func ds(owner: String, digestType: Int) -> DSRecord? {
        guard let name = try? DomainName(owner), (0...255).contains(digestType),
              let ds = try? DNSKEY(flags: UInt16(flags), algorithm: UInt8(algorithm), publicKey: publicKey)
                .ds(owner: name, digestType: DSDigestType(UInt8(digestType)))
        else { return nil }
        return DSRecord(tag: Int(ds.keyTag), algorithm: Int(ds.algorithm), digestType: Int(ds.digestType), digest: Base16.encode(ds.digest))
    }

    static func describe(_ keys: [Key]) -> String { keys.isEmpty ? "(none)" : keys.map(\.description).joined(separator: ", ") }
}

/// `dns-signer keys status ZONE --json` (issue 13's contract).
struct KeysStatus: Decodable, Sendable {
    struct Entry: Decodable, Sendable {
        var keyTag: Int
        var role: String
        var algorithm: Int
        var state: String
        var since: Int64?

        var isRemoved: Bool { state.lowercased() == "removed" }
    }

    struct Rollover: Decodable, Sendable {
        var kind: String
        var step: String
        var nextAt: Int64?
        var reason: String?
    }

    var zone: String
    var keys: [Entry]
    var rollover: Rollover?

    /// Keys of `role` (KSK, ZSK, CSK) that are not removed.
    func live(_ role: String) -> [Entry] { keys.filter { $0.role.uppercased() == role && !$0.isRemoved } }

    /// The summary without the countdowns ("(in 3s)", "(2s ago)") that change every second.
    var steadySummary: String {
        summary.replacingOccurrences(of: #" ?\((in \d+s|\d+s ago)\)"#, with: "", options: .regularExpression)
    }

    var summary: String {
        let keyText = keys.filter { !$0.isRemoved }.map { "\($0.keyTag) \($0.role) alg\($0.algorithm) \($0.state)" }.joined(separator: ", ")
        let roll = rollover.map { "rollover \($0.kind) at \"\($0.step)\"" + ($0.reason.map { " (\($0))" } ?? "") } ?? "no rollover"
        return "\(roll); keys: \(keyText)"
    }
}

// MARK: - The helpers that run beside a test

/// Runs `body` every `interval` seconds on its own thread until stopped (the stop waits, at most 20 s, for
/// the current round to end).
final class Repeater: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init(name: String, every interval: Double, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            var next = Date()
            while !isStopped {
                body()
                next = max(next.addingTimeInterval(interval), Date().addingTimeInterval(0.05))
                while !isStopped && Date() < next { Thread.sleep(forTimeInterval: 0.02) }
            }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    var isStopped: Bool { lock.withLock { stopped } }

    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first { _ = done.wait(timeout: .now() + 20) }
    }
}

extension RolloverChain {
    /// The registrar / CDS scanner of RFC 7344 §4.1: every 0.5 s it asks unbound for example.test.'s CDS and
    /// CDNSKEY, takes them only when validated (AD), checks that they agree and that every CDS points at a key
    /// in the DNSKEY set that signs it (a registry's acceptance check), and when the CDS set differs from the
    /// parent's DS set, makes it the DS set (CDS DELETE: no DS). No CDS means "no change". With `acting` off
    /// it only notes what it would have done.
    final class Registrar: @unchecked Sendable {
        private unowned let chain: RolloverChain
        private let lock = NSLock()
        private var actingFlag: Bool
        private var complaintList: [String] = []
        private var changeList: [(time: Double, from: [DSRecord], to: [DSRecord])] = []
        private var lastSeen: [DSRecord]?
        private var lastNote = ""
        private var mismatchStreak = 0
        private var repeater: Repeater!

        init(chain: RolloverChain, acting: Bool) {
            self.chain = chain
            actingFlag = acting
            chain.note("registrar \(acting ? "acting" : "NOT acting") on CDS changes")
            repeater = Repeater(name: "registrar", every: 0.5) { [unowned self] in self.round() }
        }

        var acting: Bool {
            get { lock.withLock { actingFlag } }
            set {
                lock.withLock { actingFlag = newValue }
                chain.note("registrar now \(newValue ? "acting" : "NOT acting") on CDS changes")
            }
        }

        /// Things a registry would have refused (CDS not validated, CDS/CDNSKEY disagreeing, CDS for no key).
        var complaints: [String] { lock.withLock { complaintList } }
        var changes: [(time: Double, from: [DSRecord], to: [DSRecord])] { lock.withLock { changeList } }

        func stop() { repeater.stop() }

        private func complain(_ text: String) {
            let line = String(format: "+%.1fs ", chain.elapsed) + text
            lock.withLock { complaintList.append(line) }
            chain.note("registrar COMPLAINT: \(text)")
        }

        private func noteOnce(_ text: String) {
            let fresh = lock.withLock { () -> Bool in
                defer { lastNote = text }
                return lastNote != text
            }
            if fresh { chain.note(text) }
        }

        private func round() {
            let cdsReply = chain.askUnbound(RolloverChain.zone, "CDS")
            guard cdsReply.status == "NOERROR" else {
                if cdsReply.status == "SERVFAIL" { chain.prober?.recordForeign("registrar CDS query", cdsReply) }
                return
            }
            let cds = DSRecord.parse(cdsReply.answer(type: "CDS"))
            if cds.isEmpty {
                noteOnce("registrar: no CDS published (no change asked for)")
                return
            }
            guard cdsReply.flags.contains("ad") else {
                noteOnce("registrar: the CDS answer is not validated (no AD); ignored")
                return
            }
            let keyReply = chain.askUnbound(RolloverChain.zone, "CDNSKEY")
            let cdnskeys = Key.parse(keyReply.answer(type: "CDNSKEY"))
            let dnskeyReply = chain.askUnbound(RolloverChain.zone, "DNSKEY")
            let dnskeys = Key.parse(dnskeyReply.answer(type: "DNSKEY"))
            let signers = Set(dnskeyReply.answer(type: "RRSIG").filter { $0.fields.first == "DNSKEY" }.compactMap { Int($0.fields[safe: 6] ?? "") })

            let desired: [DSRecord]
            var problems: [String] = []
            if cds.contains(where: \.isDelete) {
                desired = []
                if cds.count != 1 { problems.append("CDS DELETE beside other CDS records: \(cds)") }
                if keyReply.status == "NOERROR" && !(cdnskeys.count == 1 && cdnskeys[0].algorithm == 0) && !keyReply.answer(type: "CDNSKEY").isEmpty {
                    problems.append("CDS DELETE but CDNSKEY \(Key.describe(cdnskeys))")
                }
            } else {
                desired = cds
                // CDNSKEY, when published, must ask for the same keys (RFC 7344 §4).
                if !cdnskeys.isEmpty {
                    let digestTypes = Set(cds.map(\.digestType))
                    let fromKeys = Set(cdnskeys.flatMap { key in digestTypes.compactMap { key.ds(owner: RolloverChain.zone, digestType: $0) } })
                    if fromKeys != Set(cds) {
                        problems.append("CDS \(cds) but CDNSKEY \(Key.describe(cdnskeys)) makes \(fromKeys.sorted { $0.text < $1.text })")
                    }
                }
                // Every CDS must match a DNSKEY that signs the DNSKEY set, or the new DS set would not anchor the zone.
                for record in cds {
                    let key = dnskeys.first { $0.ds(owner: RolloverChain.zone, digestType: record.digestType) == record }
                    if key == nil {
                        problems.append("CDS \(record.tag) matches no DNSKEY served (\(Key.describe(dnskeys)))")
                    } else if !signers.contains(record.tag) {
                        problems.append("CDS \(record.tag): that DNSKEY does not sign the DNSKEY set (signed by \(signers.sorted()))")
                    }
                }
            }
            if !problems.isEmpty {
                // Answers cached at different moments may disagree for a TTL; a disagreement that lasts is the signer's.
                let streak = lock.withLock { mismatchStreak += 1; return mismatchStreak }
                if streak == 8 {
                    complain(problems.joined(separator: "; "))
                } else {
                    noteOnce("registrar: not accepted (yet): \(problems.joined(separator: "; "))")
                }
                return
            }
            lock.withLock { mismatchStreak = 0 }
            let current = chain.parentDS
            if Set(desired) == Set(current) { return }
            if !acting {
                noteOnce("registrar (not acting): the CDS asks for DS \(DSRecord.describe(desired)); the parent keeps \(DSRecord.describe(current))")
                return
            }
            let ok = (try? chain.setParentDS(desired, why: "registrar follows the validated CDS")) ?? false
            if ok {
                lock.withLock { changeList.append((chain.elapsed, current, desired)) }
            } else {
                complain("could not make the parent serve DS \(DSRecord.describe(desired))")
            }
        }
    }

    /// Asks unbound every 0.5 s for www.example.test. A and a fresh random name that does not exist, and counts
    /// what is not a right answer: SERVFAIL, no answer, another status, wrong data, and (separately) answers
    /// without the AD bit. Each failure is kept with its time, the answer and the signer's `keys status` then.
    final class Prober: @unchecked Sendable {
        struct Failure: CustomStringConvertible {
            var time: Double
            var question: String
            var what: String
            var keysStatus: String
            var description: String {
                String(format: "+%.1fs ", time) + "\(question): \(what)\n    keys status then: "
                    + keysStatus.replacingOccurrences(of: "\n", with: "\n    ")
            }
        }

        struct Report {
            var probes = 0
            var answered = 0
            var servfails = 0
            var failures: [Failure] = []
            var withoutAD = 0
            var withAD = 0
            var firstWithoutAD: Double?

            var summary: String {
                "\(probes) questions, \(answered) right answers, \(servfails) SERVFAIL, \(failures.count) failures, "
                    + "\(withAD) with AD, \(withoutAD) without AD"
            }
        }

        private unowned let chain: RolloverChain
        private let lock = NSLock()
        private var report = Report()
        private var random: SplitMix64
        let seed: UInt64
        private var repeater: Repeater!

        init(chain: RolloverChain) {
            self.chain = chain
            seed = UInt64.random(in: 1...UInt64.max)
            random = SplitMix64(seed: seed)
            chain.note("prober started (random names from seed \(seed))")
            repeater = Repeater(name: "prober", every: 0.5) { [unowned self] in self.round() }
        }

        var current: Report { lock.withLock { report } }

        /// Stops probing; the final count.
        func finish() -> Report {
            repeater.stop()
            return current
        }

        func stop() { repeater.stop() }

        private func label() -> String {
            lock.withLock {
                let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
                return "nx-" + String((0..<10).map { _ in letters[random.below(letters.count)] })
            }
        }

        private func round() {
            check(RolloverChain.www, "A", expected: "NOERROR")
            check("\(label()).\(RolloverChain.zone)", "A", expected: "NXDOMAIN")
        }

        private func check(_ name: String, _ type: String, expected: String) {
            let reply = chain.askUnbound(name, type)
            var problem: String?
            if reply.status == nil {
                problem = "no answer from unbound within 2 s"
            } else if reply.status != expected {
                problem = "\(reply.status!) instead of \(expected)" + (reply.ede.map { " [\($0)]" } ?? "")
            } else if expected == "NOERROR" && !reply.answer(type: "A").contains(where: { $0.fields.first == RolloverChain.wwwAddress }) {
                problem = "NOERROR without the A record \(RolloverChain.wwwAddress)"
            }
            let now = chain.elapsed
            lock.withLock {
                report.probes += 1
                if reply.status == "SERVFAIL" { report.servfails += 1 }
                if problem == nil {
                    report.answered += 1
                    if reply.flags.contains("ad") {
                        report.withAD += 1
                    } else {
                        report.withoutAD += 1
                        if report.firstWithoutAD == nil { report.firstWithoutAD = now }
                    }
                }
            }
            if let problem { fail("\(name) \(type)", problem, reply, at: now) }
        }

        /// A SERVFAIL a helper other than the prober got from unbound for our zone counts too.
        func recordForeign(_ question: String, _ reply: DigReply) {
            lock.withLock { report.servfails += 1 }
            fail(question, "\(reply.status ?? "no answer")" + (reply.ede.map { " [\($0)]" } ?? ""), reply, at: chain.elapsed)
        }

        private func fail(_ question: String, _ what: String, _ reply: DigReply, at time: Double) {
            let status = chain.keysStatusText()
            let failure = Failure(time: time, question: question, what: what, keysStatus: status)
            lock.withLock { report.failures.append(failure) }
            chain.note("PROBE FAILURE \(question): \(what); unbound says: \(chain.unboundValidationLog(limit: 2))")
        }
    }

    /// Once a second: the DNSKEY set, the signatures over www A and the CDS the signer serves, the parent's DS
    /// set, and `keys status`; each change goes on the timeline, and every sample is kept for order checks.
    final class Observer: @unchecked Sendable {
        struct Sample {
            var time: Double
            var keys: [Key]
            var wwwSignatureTags: [Int]
            var wwwSignatureAlgorithms: Set<Int>
            var dnskeySignatureTags: [Int]
            var cds: [DSRecord]
            var parentDS: [DSRecord]
            var status: KeysStatus?
            /// The signer answered the DNSKEY query (false while it is down).
            var signerAnswered: Bool
        }

        private unowned let chain: RolloverChain
        private let lock = NSLock()
        private var sampleList: [Sample] = []
        private var repeater: Repeater!

        init(chain: RolloverChain) {
            self.chain = chain
            repeater = Repeater(name: "observer", every: 1) { [unowned self] in self.round() }
        }

        var samples: [Sample] { lock.withLock { sampleList } }

        func stop() { repeater.stop() }

        private func round() {
            let time = chain.elapsed
            let keyReply = chain.askSigner(RolloverChain.zone, "DNSKEY")
            let www = chain.askSigner(RolloverChain.www, "A")
            let cds = chain.askSigner(RolloverChain.zone, "CDS")
            let sample = Sample(
                time: time,
                keys: Key.parse(keyReply.answer(type: "DNSKEY")),
                wwwSignatureTags: www.answer(type: "RRSIG").compactMap { Int($0.fields[safe: 6] ?? "") }.sorted(),
                wwwSignatureAlgorithms: Set(www.answer(type: "RRSIG").compactMap { Int($0.fields[safe: 1] ?? "") }),
                dnskeySignatureTags: keyReply.answer(type: "RRSIG").compactMap { Int($0.fields[safe: 6] ?? "") }.sorted(),
                cds: DSRecord.parse(cds.answer(type: "CDS")),
                parentDS: chain.servedParentDS(),
                status: chain.features.keysStatus ? chain.keysStatus().status : nil,
                // All three answered: a sample taken across a restart mixes nothing.
                signerAnswered: keyReply.status == "NOERROR" && www.status == "NOERROR" && cds.status == "NOERROR")
            let previous = lock.withLock { () -> Sample? in
                defer { sampleList.append(sample) }
                return sampleList.last
            }
            guard sample.signerAnswered else { return }
            let last = previous?.signerAnswered == true ? previous : lock.withLock { sampleList.dropLast().last { $0.signerAnswered } }
            if last?.keys != sample.keys { chain.note("signer DNSKEY: \(Key.describe(sample.keys)) (signed by \(sample.dnskeySignatureTags))") }
            if last?.wwwSignatureTags != sample.wwwSignatureTags { chain.note("signer www A signed by \(sample.wwwSignatureTags)") }
            if last?.cds != sample.cds { chain.note("signer CDS: \(DSRecord.describe(sample.cds))") }
            if let status = sample.status, last?.status?.steadySummary != status.steadySummary { chain.note("keys status: \(status.summary)") }
        }

        /// The first sample at or after `after` where `condition` holds (the signer answering).
        func first(after: Double = 0, _ condition: (Sample) -> Bool) -> Sample? {
            samples.first { $0.time >= after && $0.signerAnswered && condition($0) }
        }

        /// The last sample where `condition` holds.
        func last(_ condition: (Sample) -> Bool) -> Sample? {
            samples.last { $0.signerAnswered && condition($0) }
        }
    }
}
