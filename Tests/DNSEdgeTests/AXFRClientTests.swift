import DNSCore
import Foundation
import Testing

@testable import DNSEdge

#if canImport(Glibc)
import Glibc
#endif

/// The AXFR client against a real misbehaving primary on loopback (Tests/Fixtures/bad_primary.py, Python
/// with dnspython): every broken transfer is a typed failure, nothing partial comes back, and no call
/// outlives its timeout (each test bounds the elapsed time). The script is started per test on a port
/// the kernel picks, exits by itself after its lifetime, and is stopped by PID when the test ends.
@Suite("AXFR client against a misbehaving primary", .serialized)
struct AXFRClientTests {
    static let zone: DomainName = "example.test."
    static let key = try! TSIGKey(name: "transfer-key", base64Secret: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    /// Tight bounds so every failure shows within seconds.
    static let limits = TransferLimits(idleTimeout: .seconds(1.5))
    static let client = AXFRClient(connectTimeout: .seconds(3))

    /// Transfers from a primary in `mode`; returns the outcome and the seconds it took.
    static func attempt(
        _ mode: String, key: TSIGKey? = nil, clientKey: TSIGKey?? = nil, limits: TransferLimits = limits,
        timeout: Duration = .seconds(10), extra: [String] = []
    ) async throws -> (result: Result<TransferResult, TransferError>, seconds: Double, served: Zone) {
        let primary = try await BadPrimary.start(mode: mode, key: key, extra: extra)
        defer { primary.stop() }
        let started = ContinuousClock.now
        let result: Result<TransferResult, TransferError>
        do {
            result = .success(try await client.transfer(
                zone: zone, from: primary.address, tsigKey: clientKey ?? key, limits: limits, timeout: timeout))
        } catch {
            result = .failure(error)
        }
        return (result, AXFRTestProcess.seconds(since: started), try primary.servedZone())
    }

    /// The error of a failed transfer; records an issue (and the records that came back) otherwise.
    static func error(_ result: Result<TransferResult, TransferError>, sourceLocation: SourceLocation = #_sourceLocation) -> TransferError? {
        switch result {
        case .failure(let error): return error
        case .success(let transfer):
            Issue.record("a broken transfer returned \(transfer.records.count) records", sourceLocation: sourceLocation)
            return nil
        }
    }

    // MARK: Good transfers

    @Test("a good transfer equals the zone the primary serves", .enabled(if: BadPrimary.isRequired))
    func good() async throws {
        let (result, seconds, served) = try await Self.attempt("good")
        let transfer = try result.get()
        #expect(transfer.makeZone() == served)
        #expect(transfer.serial == SerialNumber(2024010101) && transfer.queriedSerial == SerialNumber(2024010101))
        #expect(transfer.records.first?.type == .SOA && transfer.records.count == 130)
        #expect(transfer.messageCount == 6 && transfer.byteCount > 2000)
        #expect(!transfer.verifiedWithTSIG)
        #expect(seconds < 15)
    }

    @Test("a TSIG-signed transfer (every message signed by dnspython) verifies", .enabled(if: BadPrimary.isRequired))
    func goodSigned() async throws {
        let (result, _, served) = try await Self.attempt("good", key: Self.key)
        let transfer = try result.get()
        #expect(transfer.verifiedWithTSIG)
        #expect(transfer.makeZone() == served)
    }

    @Test("TSIG on the first, every 4th and the last message only verifies (RFC 8945 §5.3.1)",
          .enabled(if: BadPrimary.isRequired))
    func sparseTSIG() async throws {
        let (result, _, served) = try await Self.attempt("sparse-tsig", key: Self.key)
        #expect(try result.get().makeZone() == served)
    }

    @Test("querySOA returns the serial; against a silent server it gives up at its timeout",
          .enabled(if: BadPrimary.isRequired))
    func querySOA() async throws {
        let good = try await BadPrimary.start(mode: "good", key: Self.key)
        defer { good.stop() }
        let soa = try await Self.client.querySOA(zone: Self.zone, from: good.address, tsigKey: Self.key)
        #expect(soa.serial == SerialNumber(2024010101))

        let silent = try await BadPrimary.start(mode: "silent")
        defer { silent.stop() }
        let started = ContinuousClock.now
        await #expect(throws: TransferError.idleTimeout(stage: .soaQuery, limit: .seconds(1), messages: 0, bytes: 0)) {
            _ = try await Self.client.querySOA(zone: Self.zone, from: silent.address, timeout: .seconds(1))
        }
        let seconds = AXFRTestProcess.seconds(since: started)
        #expect(seconds >= 0.9 && seconds < 5)
    }

    // MARK: Broken streams

    @Test("cut mid-stream: connection closed, nothing returned", .enabled(if: BadPrimary.isRequired))
    func cut() async throws {
        let (result, seconds, _) = try await Self.attempt("cut")
        #expect(Self.error(result) == .connectionClosed(stage: .transfer(message: 3), messages: 2, records: 50))
        #expect(seconds < 15)
    }

    @Test("a mismatched closing SOA fails", .enabled(if: BadPrimary.isRequired))
    func mismatchedSOA() async throws {
        let (result, _, _) = try await Self.attempt("mismatched-soa")
        #expect(Self.error(result) == .closingSOAMismatch(
            opening: SerialNumber(2024010101), closing: SerialNumber(2024010102), reason: "serial 2024010102 instead of 2024010101"))
    }

    @Test("a different SOA in the middle fails", .enabled(if: BadPrimary.isRequired))
    func soaInMiddle() async throws {
        let (result, _, _) = try await Self.attempt("soa-middle")
        #expect(Self.error(result) == .soaInMiddle(opening: SerialNumber(2024010101), found: SerialNumber(2024010199), record: 38))
    }

    @Test("the opening SOA repeated mid-message with records after it is a premature end",
          .enabled(if: BadPrimary.isRequired))
    func soaInMiddleSame() async throws {
        let (result, _, _) = try await Self.attempt("soa-middle-same")
        #expect(Self.error(result) == .recordsAfterClosingSOA(stage: .transfer(message: 2), count: 13))
    }

    @Test("a wrong ID in the second message fails", .enabled(if: BadPrimary.isRequired))
    func wrongID() async throws {
        let (result, _, _) = try await Self.attempt("wrong-id")
        guard case .idMismatch(let stage, let expected, let received) = Self.error(result) else {
            Issue.record("expected idMismatch")
            return
        }
        #expect(stage == .transfer(message: 2) && received == expected ^ 0x5555)
    }

    @Test("SERVFAIL fails with the RCODE", .enabled(if: BadPrimary.isRequired))
    func servfail() async throws {
        let (result, _, _) = try await Self.attempt("servfail")
        #expect(Self.error(result) == .serverError(stage: .transfer(message: 1), rcode: .SERVFAIL))
    }

    @Test("a TC bit fails", .enabled(if: BadPrimary.isRequired))
    func truncated() async throws {
        let (result, _, _) = try await Self.attempt("tc")
        #expect(Self.error(result) == .truncated(stage: .transfer(message: 1)))
    }

    @Test("an out-of-zone record fails", .enabled(if: BadPrimary.isRequired))
    func outOfZone() async throws {
        let (result, _, _) = try await Self.attempt("out-of-zone")
        #expect(Self.error(result) == .outOfZone(zone: Self.zone, name: "www.elsewhere.test.", type: .A, stage: .transfer(message: 2)))
    }

    @Test("over the record, byte and message limits: each its own error", .enabled(if: BadPrimary.isRequired))
    func limits() async throws {
        var limits = Self.limits
        limits.maxRecords = 1000
        let (records, _, _) = try await Self.attempt("big", limits: limits)
        #expect(Self.error(records) == .tooManyRecords(limit: 1000))

        limits = Self.limits
        limits.maxBytes = 20_000
        let (bytes, _, _) = try await Self.attempt("big", limits: limits)
        guard case .tooManyBytes(20_000, let received) = Self.error(bytes) else { Issue.record("expected tooManyBytes"); return }
        #expect(received > 20_000)

        limits = Self.limits
        limits.maxMessages = 4
        let (messages, _, _) = try await Self.attempt("good", limits: limits)
        #expect(Self.error(messages) == .tooManyMessages(limit: 4))

        limits = Self.limits
        limits.maxRecordsPerRRset = 2
        let (rrset, _, _) = try await Self.attempt("good", limits: limits)
        #expect(Self.error(rrset) == .rrsetTooLarge(name: "pool.example.test.", type: .A, limit: 2))
    }

    // MARK: TSIG

    @Test("a bad TSIG MAC fails as BADSIG", .enabled(if: BadPrimary.isRequired))
    func badMAC() async throws {
        let (result, _, _) = try await Self.attempt("bad-mac", key: Self.key)
        #expect(Self.error(result) == .tsig(stage: .transfer(message: 2), .badSignature(key: Self.key.name)))
    }

    @Test("unsigned messages after a signed one, to the end, fail", .enabled(if: BadPrimary.isRequired))
    func unsignedTail() async throws {
        let (result, _, _) = try await Self.attempt("unsigned-tail", key: Self.key)
        #expect(Self.error(result) == .tsig(stage: .transfer(message: 6), .transferEndedUnsigned(unsignedCount: 5)))
    }

    @Test("a server that requires TSIG refuses our unsigned query, and we report its RCODE",
          .enabled(if: BadPrimary.isRequired))
    func refusedWithoutKey() async throws {
        let (result, _, _) = try await Self.attempt("good", key: Self.key, clientKey: .some(nil))
        #expect(Self.error(result) == .serverError(stage: .soaQuery, rcode: .REFUSED))
    }

    // MARK: Time

    @Test("trickling bytes slower than the idle timeout fails at the idle timeout, not later",
          .enabled(if: BadPrimary.isRequired))
    func trickle() async throws {
        let (result, seconds, _) = try await Self.attempt("trickle", extra: ["--trickle-delay", "0.2"])
        guard case .idleTimeout(let stage, let limit, 0, 0) = Self.error(result) else {
            Issue.record("expected an idle timeout before any message")
            return
        }
        #expect(stage == .transfer(message: 1) && limit == .seconds(1.5))
        #expect(seconds >= 1.4 && seconds < 6, "took \(seconds) s")
    }

    @Test("a primary that never answers fails at the idle timeout", .enabled(if: BadPrimary.isRequired))
    func silent() async throws {
        let (result, seconds, _) = try await Self.attempt("silent")
        #expect(Self.error(result) == .idleTimeout(stage: .soaQuery, limit: .seconds(1.5), messages: 0, bytes: 0))
        #expect(seconds >= 1.4 && seconds < 6, "took \(seconds) s")

        let (axfr, axfrSeconds, _) = try await Self.attempt("silent-axfr")
        #expect(Self.error(axfr) == .idleTimeout(stage: .transfer(message: 1), limit: .seconds(1.5), messages: 0, bytes: 0))
        #expect(axfrSeconds >= 1.4 && axfrSeconds < 6, "took \(axfrSeconds) s")
    }

    @Test("the overall deadline holds even while bytes keep coming", .enabled(if: BadPrimary.isRequired))
    func overallDeadline() async throws {
        let (result, seconds, _) = try await Self.attempt(
            "trickle", limits: TransferLimits(idleTimeout: .seconds(30)), timeout: .seconds(2),
            extra: ["--trickle-delay", "0.05"])
        #expect(Self.error(result) == .deadlineExceeded(limit: .seconds(2), messages: 0, records: 0))
        #expect(seconds >= 1.9 && seconds < 6, "took \(seconds) s")
    }

    @Test("cancelling the caller's task ends the transfer at once", .enabled(if: BadPrimary.isRequired))
    func cancellation() async throws {
        let primary = try await BadPrimary.start(mode: "silent")
        defer { primary.stop() }
        let started = ContinuousClock.now
        let address = primary.address
        let task = Task {
            try await Self.client.transfer(zone: Self.zone, from: address, limits: TransferLimits(idleTimeout: .seconds(30)),
                                           timeout: .seconds(30))
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        #expect(result.failure.flatMap { $0 as? TransferError } == .cancelled, "got \(result)")
        #expect(AXFRTestProcess.seconds(since: started) < 2)
    }

    // MARK: Connecting

    @Test("a closed port and a host name that is not an address fail to connect, quickly")
    func connectFailures() async throws {
        let port = try AXFRTestPorts.pick()
        let started = ContinuousClock.now
        await #expect {
            _ = try await Self.client.transfer(zone: Self.zone, from: ListenAddress(host: "127.0.0.1", port: port))
        } throws: { error in
            if case TransferError.connectFailed = error { true } else { false }
        }
        await #expect(throws: TransferError.connectFailed(server: "primary.example:53", reason: "primary.example is not an IP address")) {
            _ = try await Self.client.transfer(zone: Self.zone, from: ListenAddress(host: "primary.example", port: 53))
        }
        #expect(AXFRTestProcess.seconds(since: started) < 2)
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// A free loopback port (TCP and UDP) at the time of asking.
enum AXFRTestPorts {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func pick() throws -> Int {
        for _ in 0..<50 {
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(tcp) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(tcp, $0, length) == 0 && getsockname(tcp, $0, &length) == 0
                }
            }
            guard bound else { continue }
            let port = Int(UInt16(bigEndian: address.sin_port))
            // The same port must be free for UDP too (the name servers listen on both).
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(udp) }
            let udpFree = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(udp, $0, length) == 0 }
            }
            if udpFree && port >= 1024 { return port }
        }
        throw Failure(description: "no free loopback port found")
    }
}

/// A child process started by a test: output to a file, stopped by PID with bounded waits.
final class AXFRTestProcess: @unchecked Sendable {
    let process: Process
    let logURL: URL

    init(executable: String, arguments: [String], logURL: URL) throws {
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        self.logURL = logURL
        try ProcessLauncher.launch(process)
        try? log.close()
    }

    /// Starts `process` from a fresh thread whose signal mask is empty. The test runner's worker threads
    /// block most signals and a child inherits the mask through exec, so a daemon started from them
    /// would never see our SIGTERM (and NSD, killed instead, would leave its children behind).
    /// Seconds elapsed since `start`, for the tests' time bounds.
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, up to 5 s to exit, then SIGKILL.
    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(pid, SIGKILL)
            let hard = Date().addingTimeInterval(2)
            while process.isRunning && Date() < hard { Thread.sleep(forTimeInterval: 0.02) }
        }
    }

    /// Polls `condition` every 100 ms for at most `seconds`; false if it never held or the process died.
    func wait(seconds: Double, until condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            if !process.isRunning { return await condition() }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// Tests/Fixtures/bad_primary.py, running.
struct BadPrimary {
    let process: AXFRTestProcess
    let address: ListenAddress
    let directory: URL

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad_primary.py").path

    /// Python 3 with dnspython is there, or its absence must fail the test.
    static let isRequired: Bool = dnspythonAvailable || !ExternalTool.allowMissing

    static var dnspythonAvailable: Bool { dnspythonProblem == nil }

    /// Why the script cannot run here, or nil when python3 imports dnspython.
    static let dnspythonProblem: String? = {
        guard ExternalTool.path(of: "python3") != nil else { return "python3 is not installed" }
        do {
            try ExternalTool.run("python3", ["-c", "import dns.message, dns.tsig, dns.rrset"], timeout: 30)
            return nil
        } catch {
            return "python3 cannot import dnspython (pip install dnspython): \(error)"
        }
    }()

    static func start(mode: String, key: TSIGKey? = nil, extra: [String] = [], lifetime: Int = 30) async throws -> BadPrimary {
        if let dnspythonProblem {
            throw ExternalTool.Failure(command: "python3 -c 'import dns'", status: 127, output: dnspythonProblem)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bad-primary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ready = directory.appendingPathComponent("port")
        var arguments = [script, "--port", "0", "--mode", mode, "--lifetime", String(lifetime),
                         "--ready-file", ready.path, "--zone-file-out", directory.appendingPathComponent("zone.db").path]
        if let key { arguments += ["--tsig", key.spec] }
        let process = try AXFRTestProcess(executable: ExternalTool.path(of: "python3")!, arguments: arguments + extra,
                                      logURL: directory.appendingPathComponent("log"))
        var port: Int?
        _ = await process.wait(seconds: 15) {
            port = (try? String(contentsOf: ready, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return port != nil
        }
        guard let port else {
            process.stop()
            throw ExternalTool.Failure(command: "bad_primary.py --mode \(mode)", status: -1,
                                       output: "did not listen within 15 s: \(process.log)")
        }
        return BadPrimary(process: process, address: ListenAddress(host: "127.0.0.1", port: port), directory: directory)
    }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The zone the script served, parsed by DNSCore from the master file it wrote.
    func servedZone() throws -> Zone {
        let text = try String(contentsOf: directory.appendingPathComponent("zone.db"), encoding: .utf8)
        var parser = ZoneFileParser(origin: AXFRClientTests.zone)
        return Zone(records: try parser.parse(text), origin: AXFRClientTests.zone)
    }
}
