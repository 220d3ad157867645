import Foundation
import Testing

/// The seeds' topology on loopback, as the tests start it: a real NSD authoritative for the load
/// balancer's zone (the "upstream" the primary resolves ALIAS targets through), `dns-primary serve`
/// holding search.usa.gov with its apex and wildcard ALIAS, and `dns-signer serve` polling it. Every
/// daemon listens on 127.0.0.1 on a free high port and is stopped by PID.
final class TwoTierHarness: @unchecked Sendable {
    static let zone = "search.usa.gov."
    static let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../deploy/search.usa.gov.zone").standardized.path
    static var primaryBinary: String { CLITests.binDirectory.appendingPathComponent("dns-primary").path }
    static var signerBinary: String { CLITests.binDirectory.appendingPathComponent("dns-signer").path }

    let directory: URL
    var dir: String { directory.path }
    let upstreamPort: Int
    let primaryPort: Int
    let signerPort: Int
    var primaryDB: String { dir + "/primary.db" }
    var signerDB: String { dir + "/signer.db" }
    private(set) var upstream: BackgroundProcess?
    private(set) var primary: BackgroundProcess?
    private(set) var signer: BackgroundProcess?
    private var runs = 0

    static func freePort() throws -> Int { try FreePort.next() }

    init(name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        upstreamPort = try Self.freePort()
        primaryPort = try Self.freePort()
        signerPort = try Self.freePort()
    }

    func cleanUp() {
        signer?.stop()
        primary?.stop()
        upstream?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Upstream (the load balancer's addresses)

    func startUpstream(address: String, serial: Int = 1) throws {
        upstream?.stop()
        let zone = """
            $ORIGIN ec2.aws.com.
            $TTL 30
            @ SOA ns hostmaster \(serial) 3600 600 86400 30
            @ NS ns
            ns A 127.0.0.1
            usasearch-elb 30 A \(address)
            usasearch-elb 30 AAAA 2001:db8::10

            """
        try zone.write(toFile: dir + "/ec2.zone", atomically: true, encoding: .utf8)
        try (NSDConfig.server(directory: dir, port: upstreamPort, verbosity: 1)
            + "\nzone:\n    name: \"ec2.aws.com\"\n    zonefile: \"ec2.zone\"\n")
            .write(toFile: dir + "/nsd.conf", atomically: true, encoding: .utf8)
        upstream = try BackgroundProcess("nsd", ["-d", "-c", dir + "/nsd.conf"], log: directory.appendingPathComponent("nsd-\(serial).log"))
        _ = Self.poll(10, { self.dig(self.upstreamPort, ["+short", "usasearch-elb.ec2.aws.com", "A"]) }, until: { $0.contains(address) })
    }

    // MARK: Primary

    @discardableResult
    func primaryCLI(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try ExternalTool.execute(Self.primaryBinary, arguments + ["--db", primaryDB], timeout: 60)
        #expect(result.status == 0, "dns-primary \(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
        return result.output
    }

    /// Imports the seed zone and, with `notify`, points the zone's NOTIFY at the signer.
    func setUpPrimary(notify: Bool) throws {
        try primaryCLI(["zone", "import", Self.zone, Self.seed])
        if notify { try primaryCLI(["zone", "notify", "add", Self.zone, "127.0.0.1:\(signerPort)"]) }
    }

    func startPrimary(_ extra: [String] = []) throws {
        primary?.stop()
        runs += 1
        primary = try BackgroundProcess(Self.primaryBinary, [
            "serve", "--db", primaryDB, "--listen", "127.0.0.1:\(primaryPort)", "--resolver", "127.0.0.1:\(upstreamPort)",
            "--refresh", "1",
        ] + extra, log: directory.appendingPathComponent("primary\(runs).log"))
    }

    func stopPrimary() {
        primary?.stop()
        primary = nil
    }

    // MARK: Signer

    @discardableResult
    func signerCLI(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try ExternalTool.execute(Self.signerBinary, arguments + ["--db", signerDB], timeout: 60)
        #expect(result.status == 0, "dns-signer \(arguments.joined(separator: " ")): \(result.output)", sourceLocation: sourceLocation)
        return result.output
    }

    func addSignerZone(poll: String = "60s", extra: [String] = []) throws {
        try signerCLI(["zone", "add", Self.zone, "--primary", "127.0.0.1:\(primaryPort)", "--poll", poll] + extra)
    }

    func startSigner(_ extra: [String] = []) throws {
        signer?.stop()
        runs += 1
        signer = try BackgroundProcess(Self.signerBinary, [
            "serve", "--db", signerDB, "--listen", "127.0.0.1:\(signerPort)", "--threads", "1",
        ] + extra, log: directory.appendingPathComponent("signer\(runs).log"))
    }

    func stopSigner() {
        signer?.stop()
        signer = nil
    }

    func killSigner() {
        signer?.kill9()
        signer = nil
    }

    /// Everything every `dns-signer serve` of this harness logged, whole (`logs` keeps only the ends).
    var signerLog: String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.hasPrefix("signer") && $0.hasSuffix(".log") }.sorted()
            .map { (try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) ?? "" }.joined(separator: "\n")
    }

    /// Polls the signer logged as finished with a result starting `prefix` (e.g. `changed (IXFR`).
    func signerPolls(_ prefix: String) -> Int { signerLog.components(separatedBy: "result=\"" + prefix).count - 1 }

    var logs: String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return files.filter { $0.hasSuffix(".log") }.sorted().map { file in
            "=== \(file)\n" + ((try? String(contentsOfFile: dir + "/" + file, encoding: .utf8))?.suffix(3000) ?? "")
        }.joined(separator: "\n")
    }

    // MARK: Asking

    func dig(_ port: Int, _ arguments: [String]) -> String {
        (try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "+norec", "+time=2", "+tries=1"] + arguments,
                               timeout: 10, allowFailure: true)) ?? ""
    }

    /// `dig +dnssec` at the signer.
    func askSigner(_ name: String, _ type: String, _ extra: [String] = []) -> String {
        dig(signerPort, ["+dnssec", "+multiline", name, type] + extra)
    }

    /// The signed serial the signer serves, or nil.
    func signerSerial() -> UInt32? {
        let fields = dig(signerPort, ["+short", Self.zone, "SOA"]).split(whereSeparator: { $0 == " " || $0 == "\n" })
        return fields.count >= 7 ? UInt32(fields[2]) : nil
    }

    /// Polls `probe` until `accept` takes its output, at most `seconds`; the last output either way.
    @discardableResult
    static func poll(_ seconds: Double, _ probe: () -> String, until accept: (String) -> Bool) -> (ok: Bool, output: String, seconds: Double) {
        let start = Date()
        let deadline = start.addingTimeInterval(seconds)
        var output = ""
        while Date() < deadline {
            output = probe()
            if accept(output) { return (true, output, Date().timeIntervalSince(start)) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        output = probe()
        return (accept(output), output, Date().timeIntervalSince(start))
    }
}
