import DNSCore
import Foundation
import Testing

@testable import Primary

/// A temporary directory with a `dns-primary` store, an NSD upstream (the "resolver" for ALIAS targets)
/// and a running `dns-primary serve`, each stopped by PID when the test ends. Everything is set up with
/// the CLI, as an operator does; `store()` is for reading what the daemon saved.
final class PrimaryTestBed {
    let directory: URL
    var dir: String { directory.path }
    var db: String { dir + "/primary.db" }
    let upstreamPort: Int
    private(set) var port: Int
    private(set) var upstream: BackgroundProcess?
    private(set) var primary: BackgroundProcess?
    private var runs = 0

    static func freePort() throws -> Int { try FreePort.next() }
    static var binary: String { CLITests.binDirectory.path + "/dns-primary" }

    init(_ name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        upstreamPort = try Self.freePort()
        port = try Self.freePort()
    }

    deinit {
        primary?.stop()
        upstream?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: The upstream NSD

    /// (Re)starts NSD with `zones` (name → master file text) and extra `zone:` sections.
    func startUpstream(zones: [String: String], extra: String = "") throws {
        stopUpstream()
        var config = NSDConfig.server(directory: dir, port: upstreamPort, verbosity: 1) + "\n"
        for (name, text) in zones.sorted(by: { $0.key < $1.key }) {
            try text.write(toFile: "\(dir)/\(name).zone", atomically: true, encoding: .utf8)
            config += "zone:\n    name: \"\(name)\"\n    zonefile: \"\(name).zone\"\n"
        }
        try (config + extra).write(toFile: dir + "/nsd.conf", atomically: true, encoding: .utf8)
        runs += 1
        upstream = try BackgroundProcess("nsd", ["-d", "-c", dir + "/nsd.conf"], log: directory.appendingPathComponent("nsd\(runs).log"))
        // Bounded wait until it answers.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let probe = try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(upstreamPort)", "+time=1", "+tries=1", "version.bind", "CH", "TXT"],
                                              timeout: 5, allowFailure: true)
            if probe?.contains("status:") == true { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func stopUpstream() {
        upstream?.stop()
        upstream = nil
    }

    // MARK: dns-primary

    /// `dns-primary ARGS --db DB`.
    @discardableResult
    func cli(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ExternalTool.execute(Self.binary, arguments + ["--db", db], timeout: 60)
    }

    /// `cli`, recording an issue unless it exits 0.
    @discardableResult
    func must(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try cli(arguments)
        #expect(result.status == 0, "dns-primary \(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
        return result.output
    }

    func store() throws -> PrimaryStore { try PrimaryStore(path: db) }

    /// `resolverPort`: where ALIAS targets are looked up, the NSD upstream unless given.
    func startPrimary(_ extra: [String] = [], resolverPort: Int? = nil) throws {
        stopPrimary()
        runs += 1
        primary = try BackgroundProcess(Self.binary, [
            "serve", "--db", db, "--listen", "127.0.0.1:\(port)", "--resolver", "127.0.0.1:\(resolverPort ?? upstreamPort)",
            "--refresh", "1", "--retry", "1",
        ] + extra, log: directory.appendingPathComponent("primary\(runs).log"))
    }

    func stopPrimary() {
        primary?.stop()
        primary = nil
    }

    /// Every log the daemon wrote, all runs.
    var primaryLog: String {
        (1...max(1, runs)).map { (try? String(contentsOfFile: "\(dir)/primary\($0).log", encoding: .utf8)) ?? "" }.joined()
    }

    // MARK: Asking it

    func dig(_ arguments: [String]) -> String {
        (try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "+norec", "+time=2", "+tries=1"] + arguments,
                               timeout: 10, allowFailure: true)) ?? ""
    }

    /// dig's AXFR output; when the transfer failed, followed by the response header (dig hides it).
    func axfr(_ zone: String, key: String? = nil) -> String {
        let arguments = [zone, "AXFR"] + (key.map { ["-y", $0] } ?? [])
        let output = dig(arguments)
        return output.contains("Transfer failed") ? output + dig(arguments + ["+noall", "+comments"]) : output
    }

    /// The serial served for `zone`, or nil.
    func serial(_ zone: String) -> UInt32? {
        let fields = dig(["+short", zone, "SOA"]).split(whereSeparator: { $0 == " " || $0 == "\n" })
        return fields.count >= 7 ? UInt32(fields[2]) : nil
    }

    /// Polls `probe` until `accept` takes its output, at most `seconds`; the last output either way.
    @discardableResult
    static func poll(_ seconds: Double, _ probe: () -> String, until accept: (String) -> Bool) -> (ok: Bool, output: String) {
        let deadline = Date().addingTimeInterval(seconds)
        var output = ""
        while Date() < deadline {
            output = probe()
            if accept(output) { return (true, output) }
            Thread.sleep(forTimeInterval: 0.25)
        }
        output = probe()
        return (accept(output), output)
    }
}

/// What dig prints for an AXFR.
enum AXFRResult: Equatable {
    /// The transfer completed: the records' lines.
    case zone([String])
    /// The server answered with this code (SERVFAIL, REFUSED, NOTAUTH, …).
    case failed(String)
    case other(String)

    init(_ output: String) {
        let lines = output.split(separator: "\n").map(String.init)
        let records = lines.filter { !$0.hasPrefix(";") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        if !records.isEmpty && output.contains("XFR size") {
            self = .zone(records)
        } else if let status = output.range(of: #"status: [A-Z]+"#, options: .regularExpression) {
            self = .failed(String(output[status].dropFirst("status: ".count)))
        } else if output.contains("Transfer failed") {
            self = .failed("?")
        } else {
            self = .other(output)
        }
    }

    var records: [String] { if case .zone(let lines) = self { lines } else { [] } }

    /// The records of `type` at `owner` as "owner TTL type rdata" with single spaces.
    func rrset(_ owner: String, _ type: String) -> [String] {
        records.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
            .filter { $0.hasPrefix(owner + " ") && $0.contains(" IN \(type) ") }
    }
}

/// `dns-primary serve` end to end: a real NSD plays the upstream that knows the load balancer; the
/// primary's AXFR and answers carry the expansion, and moving the load balancer raises the serial.
@Suite(.serialized)
struct PrimaryServeTests {
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

    static var seed: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/search.usa.gov.zone").path
    }

    @Test func axfrAndAnswersCarryTheExpansionAndFollowTheLoadBalancer() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let bed = try PrimaryTestBed("primary-serve")
        try bed.startUpstream(zones: ["ec2.aws.com": Self.upstreamZone(serial: 1, address: "192.0.2.10")])
        try bed.must(["zone", "import", "search.usa.gov.", Self.seed])
        // A NOTIFY target that never answers: the primary's own retries must not hold anything up.
        try bed.must(["zone", "notify", "add", "search.usa.gov.", "127.0.0.1:\(try PrimaryTestBed.freePort())"])
        try bed.startPrimary()

        let short = ["+short"]
        #expect(PrimaryTestBed.poll(20, { bed.dig(short + ["search.usa.gov.", "A"]) }, until: { $0.contains("192.0.2.10") }).ok,
                "the apex ALIAS answers with the load balancer's address")
        #expect(PrimaryTestBed.poll(5, { bed.dig(short + ["customer.sites.infr.search.usa.gov.", "AAAA"]) },
                                    until: { $0.contains("2001:db8::10") }).ok, "the wildcard ALIAS answers too")

        let transfer = AXFRResult(bed.axfr("search.usa.gov."))
        #expect(transfer.rrset("search.usa.gov.", "A") == ["search.usa.gov. 45 IN A 192.0.2.10"],
                "the TTL is min(ALIAS 60, target 45): \(transfer)")
        #expect(transfer.rrset("*.sites.infr.search.usa.gov.", "AAAA") == ["*.sites.infr.search.usa.gov. 45 IN AAAA 2001:db8::10"])
        #expect(!transfer.records.contains { $0.contains("TYPE65401") || $0.contains("ALIAS") }, "no ALIAS leaves the primary")
        // Answers carry the same TTL as the transfer: min(ALIAS 60, target 45), at the apex and through
        // the wildcard ALIAS alike, asked twice (a TTL counted down between answers would be a cache's,
        // and the signer would sign a TTL that no answer has).
        for _ in 0..<2 {
            #expect(Self.answers(bed.dig(["+noall", "+answer", "search.usa.gov.", "A"]))
                == ["search.usa.gov. 45 IN A 192.0.2.10"], "the apex ALIAS answer's TTL")
            #expect(Self.answers(bed.dig(["+noall", "+answer", "customer.sites.infr.search.usa.gov.", "AAAA"]))
                == ["customer.sites.infr.search.usa.gov. 45 IN AAAA 2001:db8::10"], "the wildcard ALIAS answer's TTL")
            Thread.sleep(forTimeInterval: 1.1)
        }
        let firstSerial = try #require(bed.serial("search.usa.gov."))

        // The load balancer moves: the primary follows, with a higher serial.
        try bed.startUpstream(zones: ["ec2.aws.com": Self.upstreamZone(serial: 2, address: "192.0.2.20")])
        #expect(PrimaryTestBed.poll(20, { bed.dig(short + ["search.usa.gov.", "A"]) }, until: { $0.contains("192.0.2.20") }).ok)
        let moved = AXFRResult(bed.axfr("search.usa.gov."))
        #expect(moved.rrset("*.sites.infr.search.usa.gov.", "A") == ["*.sites.infr.search.usa.gov. 45 IN A 192.0.2.20"])
        let secondSerial = try #require(bed.serial("search.usa.gov."))
        #expect(secondSerial == firstSerial + 1, "the serial follows the expansion, once")
        #expect(try bed.store().zone("search.usa.gov.").serial == secondSerial, "the raised serial is the store's")

        // Looked up again every second (--refresh 1) with the same answer: nothing else changes.
        Thread.sleep(forTimeInterval: 3)
        #expect(bed.serial("search.usa.gov.") == secondSerial, "an unchanged answer raises no serial")
        #expect(bed.primaryLog.contains("ALIAS expansion moved; serial raised"))
    }

    /// dig's answer lines with single spaces.
    static func answers(_ output: String) -> [String] {
        output.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }
            .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
    }

    /// A NOTIFY a test caught: its serial, and when it came.
    struct CaughtNotify {
        var serial: UInt32?
        var zone: String
        var at: Date
    }

    /// NOTIFYs reaching `socket` within `seconds`, each answered (so the primary stops retrying).
    static func catchNotifies(_ socket: LoopbackUDPSocket, seconds: Double, until stop: (CaughtNotify) -> Bool) -> [CaughtNotify] {
        var caught: [CaughtNotify] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let received = socket.receive(timeoutMilliseconds: 100) else { continue }
            let (bytes, sender) = received
            guard let message = try? Message(decoding: bytes), message.flags.opcode == .NOTIFY, !message.flags.qr
            else { continue }
            var reply = message.makeResponse()
            reply.flags.aa = true
            try? socket.send(reply.encode(), to: sender)
            let serial = message.answers.lazy.compactMap { record -> UInt32? in
                if case .soa(let soa) = record.rdata { return soa.serial.rawValue }
                return nil
            }.first
            let notify = CaughtNotify(serial: serial, zone: message.question?.name.text ?? "", at: Date())
            caught.append(notify)
            if stop(notify) { break }
        }
        return caught
    }

    @Test func recordAddIsServedAndNotifiedWithinTwoSeconds() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let bed = try PrimaryTestBed("primary-notify")
        try bed.startUpstream(zones: ["ec2.aws.com": Self.upstreamZone(serial: 1, address: "192.0.2.10")])
        try bed.must(["zone", "import", "search.usa.gov.", Self.seed])
        let listener = try LoopbackUDPSocket()
        try bed.must(["zone", "notify", "add", "search.usa.gov.", "127.0.0.1:\(listener.port)"])
        try bed.startPrimary()

        // The first publication is announced too: a secondary may have missed edits made while we were down.
        let startup = Self.catchNotifies(listener, seconds: 20) { _ in true }
        let first = try #require(startup.first, "a NOTIFY when the zone is first published\n\(bed.primaryLog)")
        #expect(first.zone == "search.usa.gov.")
        let firstSerial = try #require(first.serial)
        #expect(bed.serial("search.usa.gov.") == firstSerial)

        let edited = Date()
        try bed.must(["record", "add", "search.usa.gov.", "www", "300", "A", "192.0.2.80"])
        let after = Self.catchNotifies(listener, seconds: 5) { ($0.serial ?? 0) > firstSerial }
        let announced = try #require(after.first { ($0.serial ?? 0) > firstSerial }, "a NOTIFY after `record add`\n\(bed.primaryLog)")
        let delay = announced.at.timeIntervalSince(edited)
        #expect(delay < 2, "NOTIFY \(delay) s after the edit")
        #expect(announced.serial == firstSerial + 1)
        #expect(bed.dig(["+short", "www.search.usa.gov.", "A"]).contains("192.0.2.80"), "the edit is served when announced")
        print("NOTIFY after record add: \(String(format: "%.2f", delay)) s (the CLI run included)")
    }

    @Test func optionsAreCheckedBeforeServing() throws {
        let bad = try ExternalTool.execute(PrimaryTestBed.binary, ["serve", "--db", "/nonexistent/x.db", "--listen", "127.0.0.1:1", "--refresh", "0"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("--refresh 0: must be at least 1 second"), "\(bad.output)")
        let acl = try ExternalTool.execute(PrimaryTestBed.binary, ["serve", "--db", "/nonexistent/x.db", "--allow-transfer", "300.0.0.0/8"])
        #expect(acl.status != 0)
        #expect(acl.output.contains("--allow-transfer 300.0.0.0/8"))
    }
}
