import Foundation
import GRDB
import Testing
@testable import DaemonKit

/// Email end to end: our SMTP client (STARTTLS, AUTH) against a real server — aiosmtpd from PyPI
/// (Tests/Fixtures/smtp_server.py) with a certificate openssl makes for the test — and the sendmail path
/// through a stand-in command. Messages are read back with Python's email package.
@Suite(.serialized) struct NotificationEmailTests {
    /// A received message, as a mail reader shows it.
    struct ParsedEmail: Decodable {
        var subject: String
        var from: String
        var to: String
        var message_id: String
        var auto_submitted: String
        var body: String
        var defects: Int
    }

    /// What smtp_server.py stored for one message.
    struct Received: Decodable {
        var mail_from: String
        var rcpt_tos: [String]
        var tls: Bool
        var authenticated_as: String?
        var data: String
    }

    struct Server {
        let fixture: FixtureServer
        let out: URL
        let cert: String
        var port: Int { fixture.port }

        func received() throws -> [Received] {
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".json") }.sorted()
            return try files.map { try JSONDecoder().decode(Received.self, from: Data(contentsOf: out.appendingPathComponent($0))) }
        }

        func stop() { fixture.stop() }
    }

    static func requireTools() -> Bool {
        let openssl = ExternalTool.require("openssl")
        let aiosmtpd = NotificationFixtures.requirePython(module: "aiosmtpd")
        return openssl && aiosmtpd
    }

    static func startServer(in directory: URL, _ arguments: [String] = []) async throws -> Server {
        let (cert, key) = try NotificationFixtures.makeCertificate(in: directory)
        let out = directory.appendingPathComponent("received-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let fixture = try await FixtureServer.start(
            "smtp_server.py", ["--port", "0", "--out", out.path, "--cert", cert, "--key", key, "--lifetime", "300"] + arguments,
            directory: directory, label: "smtp")
        return Server(fixture: fixture, out: out, cert: cert)
    }

    static func smtpChannel(_ server: Server, security: SMTPClientMachine.Security = .startTLS, password: String? = "correct horse",
                            trust: Bool = true) -> NotificationChannel {
        NotificationChannel(name: "mail", transport: .smtp(SMTPTarget(
            host: "127.0.0.1", port: server.port, security: security,
            credentials: password.map { SMTPClientMachine.Credentials(username: "countersign", password: $0) },
            from: "Countersign <dns@example.com>", to: ["ops@example.com", "oncall@example.net"],
            caFile: trust ? server.cert : nil, clientName: "signer.test", timeout: 20)))
    }

    /// Python's email package, reading a raw message.
    static func parse(_ raw: String) throws -> ParsedEmail {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("parse-\(UUID().uuidString).eml")
        try Data(raw.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import email, email.policy, json, sys
            m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            print(json.dumps({'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']),
                              'message_id': str(m['message-id']), 'auto_submitted': str(m['auto-submitted']),
                              'body': m.get_content().replace('\\r\\n', '\\n'), 'defects': len(m.defects)}))
            """
        return try JSONDecoder().decode(ParsedEmail.self, from: Data(try ExternalTool.run("python3", ["-c", script, file.path]).utf8))
    }

    /// A stand-in for /usr/sbin/sendmail: stores stdin as one file per message; `fail` makes it refuse.
    static func fakeSendmail(in directory: URL, mailbox: URL, fail: Bool = false) throws -> String {
        try FileManager.default.createDirectory(at: mailbox, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("sendmail-\(UUID().uuidString)").path
        let script = fail
            ? "#!/bin/sh\necho 'sendmail: fatal: no recipients found' >&2\nexit 75\n"
            : "#!/bin/sh\n[ \"$1 $2\" = '-t -i' ] || { echo \"bad arguments: $*\" >&2; exit 64; }\ncat > '\(mailbox.path)'/mail-$$.eml\n"
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    static func messages(in mailbox: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: mailbox.path).sorted()
            .map { try String(contentsOf: mailbox.appendingPathComponent($0), encoding: .utf8) }
    }

    static func event(_ n: Int, time: Int64) -> OperatorEvent {
        OperatorEvent(kind: .transferRefused, severity: .warning, zone: "example.com.", time: time,
                      summary: "example.com.: transfer refused by the shrink guard (\(n)): 40 of 100 RRsets left",
                      details: ["guard": "shrink", "before": "100", "after": "40"])
    }

    @Test func deliversOverSTARTTLSWithAuthAReadableEmail() async throws {
        guard Self.requireTools() else { return }
        let directory = try NotificationFixtures.temporaryDirectory("smtp")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await Self.startServer(in: directory, ["--require-starttls", "--auth", "countersign:correct horse"])
        defer { server.stop() }
        let pool = try NotificationFixtures.openStore(directory.appendingPathComponent("outbox.db").path)
        let clock = TestClock()
        let events = [Self.event(1, time: clock.now - 2), Self.event(2, time: clock.now - 1)]
        try NotificationFixtures.record(events, in: pool)
        await NotificationWorker(pool: pool, channels: [Self.smtpChannel(server)], logger: NotificationFixtures.quietLogger,
                                 now: clock.closure).deliverPendingNow()
        let received = try server.received()
        #expect(received.count == 2)
        for (message, event) in zip(received, events) {
            #expect(message.mail_from == "dns@example.com")
            #expect(message.rcpt_tos == ["ops@example.com", "oncall@example.net"])
            #expect(message.tls && message.authenticated_as == "countersign")
            let email = try Self.parse(message.data)
            #expect(email.subject == event.emailSubject)
            #expect(email.subject.hasPrefix("[countersign] example.com: transfer refused by the shrink guard ("))
            #expect(email.from == "Countersign <dns@example.com>")
            #expect(email.message_id == "<\(event.id)@example.com>")
            #expect(email.auto_submitted == "auto-generated" && email.defects == 0)
            #expect(email.body.hasPrefix(event.summary + "\n"))
            #expect(email.body.contains("guard: shrink\n"))
        }
        #expect(try await pool.read { try Outbox.deliveries(in: $0) }.allSatisfy { $0.machine.state == .delivered })
    }

    @Test func usesAuthLoginWhenThatIsAllTheServerOffers() async throws {
        guard Self.requireTools() else { return }
        let directory = try NotificationFixtures.temporaryDirectory("smtp-login")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await Self.startServer(in: directory, ["--auth", "countersign:correct horse", "--mechanisms", "LOGIN"])
        defer { server.stop() }
        let outcome = await NotificationSender.send(Self.event(1, time: 1_700_000_000), via: Self.smtpChannel(server), now: 0)
        #expect(outcome.isDelivered, "\(outcome)")
        #expect(try server.received().first?.authenticated_as == "countersign")
    }

    @Test func speaksImplicitTLS() async throws {
        guard Self.requireTools() else { return }
        let directory = try NotificationFixtures.temporaryDirectory("smtps")
        defer { try? FileManager.default.removeItem(at: directory) }
        // aiosmtpd offers AUTH only after STARTTLS, so this one is without a password.
        let server = try await Self.startServer(in: directory, ["--implicit-tls"])
        defer { server.stop() }
        let outcome = await NotificationSender.send(Self.event(1, time: 1_700_000_000),
                                                    via: Self.smtpChannel(server, security: .implicitTLS, password: nil), now: 0)
        #expect(outcome.isDelivered, "\(outcome)")
        #expect(try server.received().first?.tls == true)
    }

    @Test func reportsAWrongPasswordAndAnUntrustedCertificate() async throws {
        guard Self.requireTools() else { return }
        let directory = try NotificationFixtures.temporaryDirectory("smtp-refused")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await Self.startServer(in: directory, ["--require-starttls", "--auth", "countersign:correct horse"])
        defer { server.stop() }
        let event = Self.event(1, time: 1_700_000_000)
        let wrong = await NotificationSender.send(event, via: Self.smtpChannel(server, password: "battery staple"), now: 0)
        guard case let .failed(reason, _) = wrong else { Issue.record("delivered with a wrong password"); return }
        #expect(reason.contains("AUTH") && reason.contains("535"), "\(reason)")
        let untrusted = await NotificationSender.send(event, via: Self.smtpChannel(server, trust: false), now: 0)
        guard case let .failed(tlsReason, _) = untrusted else { Issue.record("trusted a self-signed certificate"); return }
        #expect(tlsReason.contains("TLS"), "\(tlsReason)")
        #expect(try server.received().isEmpty)
    }

    @Test func aServerThatDefersIsRetriedAndGetsTheMessageOnce() async throws {
        guard Self.requireTools() else { return }
        let directory = try NotificationFixtures.temporaryDirectory("smtp-defer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await Self.startServer(in: directory, ["--fail-data", "2"])
        defer { server.stop() }
        let pool = try NotificationFixtures.openStore(directory.appendingPathComponent("outbox.db").path)
        let clock = TestClock()
        let event = Self.event(1, time: clock.now)
        try NotificationFixtures.record([event], in: pool)
        let worker = NotificationWorker(pool: pool, channels: [Self.smtpChannel(server, security: .startTLS, password: nil)],
                                        logger: NotificationFixtures.quietLogger, now: clock.closure,
                                        options: .init(retry: RetryPolicy(jitter: 0)))
        await worker.deliverPendingNow()
        clock.advance(5)
        await worker.deliverPendingNow()
        let waiting = try #require(try await pool.read { try Outbox.deliveries(in: $0) }.first)
        #expect(waiting.machine.state == .pending && waiting.machine.attempts == 2)
        #expect(waiting.machine.lastError?.contains("451") == true, "\(waiting.machine.lastError ?? "")")
        clock.advance(10)
        await worker.deliverPendingNow()
        #expect(try server.received().count == 1)
        #expect(try await pool.read { try Outbox.deliveries(in: $0) }.first?.machine.state == .delivered)
    }

    @Test func sendmailGetsTheMessageOnStdin() async throws {
        guard ExternalTool.require("python3") else { return }
        let directory = try NotificationFixtures.temporaryDirectory("sendmail")
        defer { try? FileManager.default.removeItem(at: directory) }
        let mailbox = directory.appendingPathComponent("mailbox")
        let command = try Self.fakeSendmail(in: directory, mailbox: mailbox)
        let channel = NotificationChannel(name: "local", transport: .sendmail(SendmailTarget(
            command: [command, "-t", "-i"], from: "dns@example.com", to: ["root@localhost"])))
        let event = Self.event(1, time: 1_700_000_000)
        let outcome = await NotificationSender.send(event, via: channel, now: 0)
        #expect(outcome.isDelivered, "\(outcome)")
        let raw = try #require(try Self.messages(in: mailbox).first)
        #expect(!raw.contains("\r"), "sendmail gets local line endings")
        let email = try Self.parse(raw)
        #expect(email.subject == event.emailSubject && email.to == "root@localhost")
        #expect(email.body.contains("before: 100\n"))

        let refusing = try Self.fakeSendmail(in: directory, mailbox: mailbox, fail: true)
        let failed = await NotificationSender.send(event, via: NotificationChannel(name: "local", transport: .sendmail(
            SendmailTarget(command: [refusing, "-t", "-i"], from: "dns@example.com", to: ["root@localhost"]))), now: 0)
        guard case let .failed(reason, _) = failed else { Issue.record("a failing sendmail counted as delivered"); return }
        #expect(reason.contains("exited 75") && reason.contains("no recipients found"), "\(reason)")
    }
}
