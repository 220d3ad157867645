import Foundation
import GRDB
import Logging
import Testing
@testable import DaemonKit

/// Shared pieces of the notification tests: a temporary outbox database, a clock the test moves, a fake
/// transport that records what it was asked to send, and the Python fixtures (webhook receiver, SMTP
/// server) run as child processes.
enum NotificationFixtures {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The outbox tables in a fresh SQLite file (opened the way the daemons open theirs).
    static func openStore(_ path: String) throws -> DatabasePool {
        var migrator = DatabaseMigrator()
        Outbox.registerMigrations(&migrator)
        return try SQLiteDatabase.open(path: path, migrator: migrator)
    }

    static func record(_ events: [OperatorEvent], in pool: DatabasePool) throws {
        try SQLiteDatabase.writeImmediate(pool) { db in
            for event in events { try Outbox.record(event, in: db) }
        }
    }

    static func event(_ n: Int, kind: OperatorEvent.Kind = .transferFailing, severity: OperatorEvent.Severity = .warning,
                      zone: String? = "example.com.", time: Int64) -> OperatorEvent {
        OperatorEvent(kind: kind, severity: severity, zone: zone, time: time,
                      summary: "\(zone ?? "all"): event number \(n)", details: ["n": "\(n)"])
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "notification-test")
        logger.logLevel = .critical
        return logger
    }

    static func webhookChannel(_ name: String = "hook", url: String, digestMinutes: Int64 = 0,
                               minSeverity: OperatorEvent.Severity = .info, zones: [String] = [],
                               timeout: Int64 = 5) -> NotificationChannel {
        NotificationChannel(name: name, transport: .webhook(WebhookTarget(url: url, secret: try! WebhookSecret(secret), timeout: timeout)),
                            minSeverity: minSeverity, zones: zones, digestInterval: digestMinutes * 60)
    }

    static func mailChannel(_ name: String = "mail") -> NotificationChannel {
        NotificationChannel(name: name, transport: .sendmail(SendmailTarget(command: ["/bin/true"], from: "dns@example.com",
                                                                            to: ["ops@example.com"])))
    }

    /// Whether python3 can import `module`; a missing one fails the test unless missing tools are allowed.
    static func requirePython(module: String) -> Bool {
        guard ExternalTool.require("python3") else { return false }
        let ok = (try? ExternalTool.execute("python3", ["-c", "import \(module)"], timeout: 30).status) == 0
        if !ok && !ExternalTool.allowMissing {
            Issue.record("python3 cannot import \(module); run scripts/install-test-deps.sh (python3 -m pip install \(module))")
        }
        return ok
    }

    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name)").path
    }

    /// A self-signed certificate for 127.0.0.1 and localhost, made now with openssl.
    static func makeCertificate(in directory: URL) throws -> (cert: String, key: String) {
        let cert = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        try ExternalTool.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ], timeout: 30)
        return (cert, key)
    }
}

/// A clock the test moves by hand; starts at the real time so webhook timestamps pass the receiver's
/// tolerance.
final class TestClock: Sendable {
    private let value: Locked<Int64>
    init(_ start: Int64 = Int64(Date().timeIntervalSince1970)) { value = Locked(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(_ seconds: Int64) { value.withLock { $0 += seconds } }
    var closure: @Sendable () -> Int64 { { [self] in now } }
}

/// A transport that records every send and answers from a script (by default: delivered).
final class RecordingTransport: Sendable {
    struct Sent: Sendable, Equatable {
        var eventID: String
        var kind: OperatorEvent.Kind
        var channel: String
        var time: Int64
        var summary: String
    }

    private let state = Locked<(sent: [Sent], answer: @Sendable (OperatorEvent, NotificationChannel) -> DeliveryOutcome)>(
        ([], { _, _ in .delivered("ok") }))

    var sent: [Sent] { state.withLock { $0.sent } }
    func sent(to channel: String) -> [Sent] { sent.filter { $0.channel == channel } }

    func answer(_ body: @escaping @Sendable (OperatorEvent, NotificationChannel) -> DeliveryOutcome) {
        state.withLock { $0.answer = body }
    }

    var send: NotificationWorker.Send {
        { [self] event, channel, now in
            state.withLock { state in
                state.sent.append(Sent(eventID: event.id, kind: event.kind, channel: channel.name, time: now, summary: event.summary))
                return state.answer(event, channel)
            }
        }
    }
}

/// A Python fixture running as a child process, with its port.
struct FixtureServer {
    let process: BackgroundProcess
    let port: Int
    let directory: URL

    /// Starts `script` with `--ready-file` and waits (at most 20 s) for the port it writes.
    static func start(_ script: String, _ arguments: [String], directory: URL, label: String) async throws -> FixtureServer {
        let ready = directory.appendingPathComponent("\(label)-ready-\(UUID().uuidString)")
        let process = try BackgroundProcess(ExternalTool.path(of: "python3") ?? "python3",
                                            [NotificationFixtures.script(script), "--ready-file", ready.path] + arguments,
                                            log: directory.appendingPathComponent("\(label)-\(UUID().uuidString).log"))
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOf: ready, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return FixtureServer(process: process, port: port, directory: directory)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.stop()
        throw ExternalTool.Failure(command: script, status: -1, output: "did not start within 20 s: \(process.log)")
    }

    func stop() { process.stop(grace: 3) }
}

/// The Python webhook receiver (Tests/Fixtures/webhook_receiver.py) and what it logged.
struct WebhookReceiver {
    struct Request: Decodable {
        var path: String
        var status: Int
        var verified: Bool
        var reason: String
        var id: String?
        var timestamp: String?
        var content_type: String?
        var body: Body?
    }

    struct Body: Decodable {
        var id: String
        var type: String
        var zone: String?
        var time: String
        var severity: String
        var summary: String
        var details: [String: String]
    }

    let server: FixtureServer
    let log: URL

    static func start(directory: URL, port: Int = 0, secret: String = NotificationFixtures.secret) async throws -> WebhookReceiver {
        let log = directory.appendingPathComponent("webhook.log")
        let server = try await FixtureServer.start(
            "webhook_receiver.py", ["--port", "\(port)", "--log", log.path, "--secret", secret, "--lifetime", "300"],
            directory: directory, label: "webhook")
        return WebhookReceiver(server: server, log: log)
    }

    var port: Int { server.port }
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// Every request so far, in arrival order.
    func requests() throws -> [Request] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    func stop() { server.stop() }
}

/// A value behind a lock, for test doubles shared with the worker's tasks.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
