import Foundation
import Testing

/// Operator notifications end to end with the real binaries: `dns-signer serve` with its notification
/// flags beside the two tiers (TwoTierHarness), delivering to a Python webhook receiver that verifies the
/// Standard Webhooks signature with its own code (Tests/Fixtures/webhook_receiver.py) and to aiosmtpd over
/// STARTTLS (Tests/Fixtures/smtp_server.py), whose messages Python's email package reads back. What the
/// receivers got is compared with the signer's outbox, read with the sqlite3 tool.
@Suite(.serialized)
struct SignerNotificationTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let zone = TwoTierHarness.zone

    // MARK: Fixtures

    static func fixtureScript(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(name)").path
    }

    /// A Python fixture as a child process: started with `--ready-file`, waited for (at most 20 s) until it
    /// wrote its port.
    struct Fixture {
        let process: BackgroundProcess
        let port: Int

        static func start(_ script: String, _ arguments: [String], in directory: URL, label: String) throws -> Fixture {
            let ready = directory.appendingPathComponent("\(label)-ready-\(UUID().uuidString)")
            let process = try BackgroundProcess(
                ExternalTool.path(of: "python3") ?? "python3",
                [SignerNotificationTests.fixtureScript(script), "--ready-file", ready.path] + arguments,
                log: directory.appendingPathComponent("\(label)-\(UUID().uuidString).log"))
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if let text = try? String(contentsOf: ready, encoding: .utf8),
                   let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    return Fixture(process: process, port: port)
                }
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            process.stop()
            throw ExternalTool.Failure(command: script, status: -1, output: "did not start within 20 s: \(process.log)")
        }

        func stop() { process.stop(grace: 3) }
    }

    /// The webhook receiver and the requests it logged (one JSON line each, written before it answers).
    struct Receiver {
        struct Request: Decodable {
            var path: String
            var status: Int
            var verified: Bool
            var reason: String
            var id: String?
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

        let fixture: Fixture
        let log: URL
        var port: Int { fixture.port }
        var url: String { "http://127.0.0.1:\(port)/ok" }

        /// `port` 0 picks a free one; the log is shared by every receiver started in `directory`, so a
        /// restarted receiver appends to what the first one logged.
        static func start(in directory: URL, port: Int = 0, secret: String = SignerNotificationTests.secret) throws -> Receiver {
            let log = directory.appendingPathComponent("webhook-requests.jsonl")
            let fixture = try Fixture.start("webhook_receiver.py", [
                "--port", "\(port)", "--log", log.path, "--secret", secret, "--lifetime", "300",
            ], in: directory, label: "webhook")
            return Receiver(fixture: fixture, log: log)
        }

        /// Every request so far, in arrival order.
        func requests() -> [Request] {
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
        }

        func stop() { fixture.stop() }
    }

    /// aiosmtpd with a certificate openssl made for this test; messages read back with Python's email
    /// package.
    struct MailServer {
        struct Message: Decodable {
            var subject: String
            var from: String
            var to: String
            var message_id: String
            var body: String
            var tls: Bool
            var authenticated_as: String?
            var rcpt_tos: [String]
            var defects: Int

            /// The event kind from the body's "Event:" line.
            var kind: String? {
                body.split(separator: "\n").first { $0.hasPrefix("Event:") }
                    .map { $0.dropFirst("Event:".count).trimmingCharacters(in: .whitespaces) }
            }
        }

        let fixture: Fixture
        let out: URL
        let cert: String
        var port: Int { fixture.port }

        static func start(in directory: URL, _ arguments: [String]) throws -> MailServer {
            let cert = directory.appendingPathComponent("smtp-cert.pem").path
            let key = directory.appendingPathComponent("smtp-key.pem").path
            try ExternalTool.run("openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ], timeout: 30)
            let out = directory.appendingPathComponent("mail")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let fixture = try Fixture.start("smtp_server.py", [
                "--port", "0", "--out", out.path, "--cert", cert, "--key", key, "--lifetime", "300",
            ] + arguments, in: directory, label: "smtp")
            return MailServer(fixture: fixture, out: out, cert: cert)
        }

        static let parser = """
            import email, email.policy, json, os, sys
            out = []
            for name in sorted(f for f in os.listdir(sys.argv[1]) if f.endswith('.json')):
                r = json.load(open(os.path.join(sys.argv[1], name)))
                m = email.message_from_bytes(r['data'].encode('ascii', 'replace'), policy=email.policy.default)
                out.append({'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']),
                            'message_id': str(m['message-id']), 'body': m.get_content().replace('\\r\\n', '\\n'),
                            'tls': r['tls'], 'authenticated_as': r['authenticated_as'], 'rcpt_tos': r['rcpt_tos'],
                            'defects': len(m.defects)})
            print(json.dumps(out))
            """

        /// Every message received so far, in arrival order, as a mail reader sees it.
        func messages() -> [Message] {
            guard let text = try? ExternalTool.run("python3", ["-c", Self.parser, out.path], timeout: 30) else { return [] }
            return (try? JSONDecoder().decode([Message].self, from: Data(text.utf8))) ?? []
        }

        func stop() { fixture.stop() }
    }

    /// The two tiers plus a `dns-signer serve` started with notification flags. The harness starts its
    /// signer without extra arguments, so this one is started here (same database, port and threads), by
    /// PID, with its log in the harness's directory (so `harness.logs` shows it).
    final class Bed: @unchecked Sendable {
        let harness: TwoTierHarness
        var signer: BackgroundProcess?
        var signerFlags: [String] = []
        var receivers: [Receiver] = []
        var mail: MailServer?
        private var runs = 0

        init(_ name: String) throws { harness = try TwoTierHarness(name: name) }

        var directory: URL { harness.directory }

        /// Upstream, primary (NOTIFY to the signer when `notify`) and the zone added to the signer.
        func startTiers(notify: Bool, poll: String) throws {
            try harness.startUpstream(address: "192.0.2.10")
            try harness.setUpPrimary(notify: notify)
            try harness.startPrimary()
            try harness.addSignerZone(poll: poll)
        }

        func startSigner(_ flags: [String]? = nil) throws {
            if let flags { signerFlags = flags }
            signer?.stop()
            runs += 1
            signer = try BackgroundProcess(TwoTierHarness.signerBinary, [
                "serve", "--db", harness.signerDB, "--listen", "127.0.0.1:\(harness.signerPort)", "--threads", "1",
            ] + signerFlags, log: directory.appendingPathComponent("signer-notify\(runs).log"))
        }

        func killSigner() {
            signer?.kill9()
            signer = nil
        }

        /// Waits (at most 30 s) for the first signed version to be served.
        func waitForFirstSigning() -> Bool {
            TwoTierHarness.poll(30, { self.harness.askSigner(TwoTierHarness.zone, "SOA") }, until: {
                $0.contains("status: NOERROR") && $0.contains("RRSIG")
            }).ok
        }

        /// The outbox through a tool we did not write: one column per line.
        func sql(_ query: String) -> [String] {
            let output = (try? ExternalTool.run("sqlite3", [harness.signerDB, query], timeout: 10, allowFailure: true)) ?? ""
            return output.split(separator: "\n").map(String.init)
        }

        /// Event ids in the order they were recorded.
        var outboxIDs: [String] { sql("select id from outbox_events order by seq") }

        var logs: String { harness.logs }

        func cleanUp() {
            signer?.stop()
            for receiver in receivers { receiver.stop() }
            mail?.stop()
            harness.cleanUp()
        }
    }

    /// Probes until `accept` takes the value, at most `seconds`; the last value either way.
    static func waitFor<T>(_ seconds: Double, _ probe: () -> T, until accept: (T) -> Bool) -> (ok: Bool, value: T) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let value = probe()
            if accept(value) { return (true, value) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let value = probe()
        return (accept(value), value)
    }

    static func requirePython(module: String) -> Bool {
        guard ExternalTool.require("python3") else { return false }
        let ok = (try? ExternalTool.execute("python3", ["-c", "import \(module)"], timeout: 30).status) == 0
        if !ok && !ExternalTool.allowMissing {
            Issue.record("python3 cannot import \(module); run scripts/install-test-deps.sh (python3 -m pip install \(module))")
        }
        return ok
    }

    /// The tools every test here needs; each missing one is reported (a failure unless
    /// COUNTERSIGN_ALLOW_MISSING_TOOLS=1).
    static func requireTools(_ tools: [String]) -> Bool {
        tools.map(ExternalTool.require).allSatisfy { $0 }
    }

    static func types(_ requests: [Receiver.Request]) -> [String] { requests.compactMap { $0.body?.type } }

    /// The key tag, algorithm, digest type and digest of every DS record in `text` (whatever the layout).
    static func dsFields(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let ds = fields.firstIndex(of: "DS"), fields.count > ds + 4 else { return nil }
            return "\(fields[ds + 1]) \(fields[ds + 2]) \(fields[ds + 3]) \(fields[(ds + 4)...].joined().uppercased())"
        }
    }

    // MARK: 1. Webhook

    @Test func webhookGetsTheKeyActionTheFirstSigningAndEachChangeSignedOnce() throws {
        guard Self.requireTools(["nsd", "dig", "python3", "sqlite3"]) else { return }
        let bed = try Bed("notify-webhook")
        defer { bed.cleanUp() }
        let receiver = try Receiver.start(in: bed.directory)
        bed.receivers.append(receiver)
        try bed.startTiers(notify: true, poll: "60s")
        try bed.startSigner(["--webhook", receiver.url, "--webhook-secret", Self.secret])
        #expect(bed.waitForFirstSigning(), "the zone was not signed and served:\n\(bed.logs)")

        let first = Self.waitFor(15, receiver.requests, until: { Self.types($0) == ["key.action-needed", "zone.resigned"] })
        #expect(first.ok, "expected key.action-needed then zone.resigned, got \(Self.types(first.value)):\n\(bed.logs)")
        #expect(first.value.allSatisfy { $0.verified && $0.status == 204 }, "\(first.value.map(\.reason))")

        // The DS in the event is the one `dns-signer ds` gives the registrar.
        let key = try #require(first.value.first?.body)
        #expect(key.zone == Self.zone && key.severity == "warning")
        let ds = Self.dsFields(key.details["ds"] ?? "")
        #expect(!ds.isEmpty, "no DS record in the event: \(key.details)")
        let printed = Self.dsFields(try bed.harness.signerCLI(["ds", Self.zone]))
        #expect(!ds.isEmpty && Set(ds).isSubset(of: Set(printed)), "event DS \(ds) vs dns-signer ds \(printed)")
        #expect(key.summary.contains("DS"), "\(key.summary)")

        let signed = try #require(first.value.last?.body)
        #expect(signed.zone == Self.zone && signed.details["oldSerial"] == "none", "\(signed.details)")
        let servedSerial = bed.harness.signerSerial().map { "\($0)" }
        #expect(signed.details["newSerial"] == servedSerial, "\(signed.details) vs served \(servedSerial ?? "-")")

        // An edit on the primary: NOTIFY, re-sign, exactly one more event naming the change.
        try bed.harness.primaryCLI(["record", "add", Self.zone, "www2", "300", "A", "192.0.2.77"])
        let change = Self.waitFor(15, receiver.requests, until: { Self.types($0).count >= 3 })
        #expect(Self.types(change.value) == ["key.action-needed", "zone.resigned", "zone.resigned"], "\(bed.logs)")
        let resigned = try #require(change.value.count >= 3 ? change.value[2].body : nil)
        #expect(resigned.details["examples"]?.split(separator: "\n").contains("+ www2.search.usa.gov. A 192.0.2.77") == true,
                "\(resigned.details)")
        #expect(resigned.details["oldSerial"] == signed.details["newSerial"], "\(resigned.details)")
        #expect(resigned.summary.hasPrefix("\(Self.zone): re-signed"), "\(resigned.summary)")

        // Quiet afterwards: nothing else arrives, and what arrived is the outbox, each id once, verified.
        Thread.sleep(forTimeInterval: 2.5)
        let all = receiver.requests()
        #expect(all.allSatisfy { $0.verified && $0.status == 204 }, "\(all.map(\.reason))")
        let ids = all.compactMap(\.id)
        #expect(ids.count == 3 && Set(ids).count == ids.count, "each id once: \(ids)")
        #expect(all.allSatisfy { $0.id == $0.body?.id }, "webhook-id equals the body's id")
        #expect(ids == bed.outboxIDs, "received \(ids), outbox \(bed.outboxIDs)")
    }

    // MARK: 2. Receiver down, signer killed with -9

    @Test func eventsPendingAcrossAKill9AreDeliveredAfterRestartInOrderOnce() throws {
        guard Self.requireTools(["nsd", "dig", "python3", "sqlite3"]) else { return }
        let bed = try Bed("notify-kill9")
        defer { bed.cleanUp() }
        let receiver = try Receiver.start(in: bed.directory)
        bed.receivers.append(receiver)
        let port = receiver.port
        try bed.startTiers(notify: true, poll: "60s")
        try bed.startSigner(["--webhook", receiver.url, "--webhook-secret", Self.secret])
        #expect(bed.waitForFirstSigning(), "the zone was not signed and served:\n\(bed.logs)")
        let first = Self.waitFor(15, receiver.requests, until: { $0.count >= 2 })
        #expect(first.value.count == 2, "the first signing's two events: \(Self.types(first.value))\n\(bed.logs)")

        // The receiver goes down; two changes are recorded while delivery fails.
        receiver.stop()
        try bed.harness.primaryCLI(["record", "add", Self.zone, "down1", "300", "A", "192.0.2.91"])
        let failing = Self.waitFor(15, { bed.sql("select attempts from outbox_deliveries where state = 'pending'") }, until: {
            $0.contains { (Int($0) ?? 0) >= 1 }
        })
        #expect(failing.ok, "the change's event was never attempted (or not recorded): \(failing.value)\n\(bed.logs)")
        try bed.harness.primaryCLI(["record", "add", Self.zone, "down2", "300", "TXT", "\"while the receiver is down\""])
        let second = Self.waitFor(10, { bed.harness.askSigner("down2.search.usa.gov.", "TXT") }, until: {
            $0.contains("while the receiver is down") && $0.contains("RRSIG")
        })
        #expect(second.ok, "the second change was not signed: \(second.value)\n\(bed.logs)")
        // Both events are in the outbox and neither is delivered. The first one's attempt is stored (the
        // worker counts an attempt before sending); the second may not even be scheduled yet — the worker
        // is still inside that attempt (see the WebhookClient note in notifyTest… below).
        let undelivered = "select id from outbox_events e where not exists (select 1 from outbox_deliveries d "
            + "where d.event_id = e.id and d.state = 'delivered') order by seq"
        let pendingBefore = Self.waitFor(5, { bed.sql(undelivered) }, until: { $0.count == 2 })
        #expect(pendingBefore.ok, "two events waiting before the kill: \(pendingBefore.value)\n\(bed.logs)")

        // kill -9 with both waiting; the signer comes back, then the receiver (same port, same log).
        bed.killSigner()
        #expect(bed.sql(undelivered) == pendingBefore.value, "still waiting in the store after kill -9")
        try bed.startSigner()
        let back = try Receiver.start(in: bed.directory, port: port)
        bed.receivers.append(back)

        // The head is due at once (or after its stored backoff, at most 5 s), then the second follows.
        let delivered = Self.waitFor(25, back.requests, until: { $0.count >= 4 })
        #expect(delivered.ok, "not delivered after the restart: \(Self.types(delivered.value))\n\(bed.logs)")
        Thread.sleep(forTimeInterval: 2)
        let all = back.requests()
        let ids = all.compactMap(\.id)
        #expect(all.allSatisfy { $0.verified && $0.status == 204 }, "\(all.map(\.reason))")
        #expect(Set(ids).count == ids.count, "an event arrived twice: \(ids)")
        #expect(ids == bed.outboxIDs, "every event, in order, once: received \(ids), outbox \(bed.outboxIDs)")
        #expect(Array(ids.suffix(2)) == pendingBefore.value, "the two pending events last, in order")
        #expect(Self.types(all) == ["key.action-needed", "zone.resigned", "zone.resigned", "zone.resigned"])
        let examples = all.suffix(2).map { $0.body?.details["examples"] ?? "" }
        #expect(examples.count == 2 && examples[0].contains("down1.search.usa.gov. A 192.0.2.91")
                && examples[1].contains("down2.search.usa.gov. TXT"), "\(examples)")
        #expect(bed.sql("select count(*) from outbox_deliveries where state <> 'delivered'") == ["0"])
    }

    // MARK: 3. Email over STARTTLS

    @Test func emailOverSTARTTLSSaysFailingOnceAndRecoveredOnce() throws {
        guard Self.requireTools(["nsd", "dig", "openssl", "python3"]), Self.requirePython(module: "aiosmtpd") else { return }
        let bed = try Bed("notify-smtp")
        defer { bed.cleanUp() }
        let mail = try MailServer.start(in: bed.directory, ["--require-starttls", "--auth", "countersign:correct horse"])
        bed.mail = mail
        let password = bed.directory.appendingPathComponent("smtp-password").path
        try "correct horse\n".write(toFile: password, atomically: true, encoding: .utf8)
        try bed.startTiers(notify: false, poll: "1s")
        try bed.startSigner([
            "--smtp", "127.0.0.1:\(mail.port)", "--smtp-starttls", "--smtp-ca-file", mail.cert,
            "--smtp-user", "countersign", "--smtp-password-file", password,
            "--mail-from", "Countersign <dns@example.com>", "--mail-to", "ops@example.com",
        ])
        #expect(bed.waitForFirstSigning(), "the zone was not signed and served:\n\(bed.logs)")
        let first = Self.waitFor(15, mail.messages, until: { $0.count >= 2 })
        #expect(first.value.map(\.kind) == ["key.action-needed", "zone.resigned"], "\(first.value.map(\.subject))\n\(bed.logs)")

        // The primary goes away: after 3 failed polls (1 s apart), one email.
        bed.harness.stopPrimary()
        let failing = Self.waitFor(20, mail.messages, until: { $0.contains { $0.kind == "transfer.failing" } })
        #expect(failing.ok, "no transfer.failing email: \(failing.value.map(\.subject))\n\(bed.logs)")
        // Several more failed polls while it stays down: no second email.
        Thread.sleep(forTimeInterval: 4)
        try bed.harness.startPrimary()
        let recovered = Self.waitFor(20, mail.messages, until: { $0.contains { $0.kind == "transfer.recovered" } })
        #expect(recovered.ok, "no transfer.recovered email: \(recovered.value.map(\.subject))\n\(bed.logs)")
        Thread.sleep(forTimeInterval: 2)

        let messages = mail.messages()
        #expect(messages.map(\.kind) == ["key.action-needed", "zone.resigned", "transfer.failing", "transfer.recovered"],
                "one failing and one recovered, nothing in between: \(messages.map(\.subject))")
        #expect(messages.allSatisfy { $0.tls && $0.authenticated_as == "countersign" && $0.defects == 0 },
                "over STARTTLS, authenticated, well-formed: \(messages.map { ($0.tls, $0.authenticated_as ?? "-", $0.defects) })")
        #expect(messages.allSatisfy { $0.rcpt_tos == ["ops@example.com"] && $0.to.contains("ops@example.com")
                && $0.from.contains("dns@example.com") })
        #expect(Set(messages.map(\.message_id)).count == messages.count, "a Message-ID per event")
        // The subject names the zone as people write it (no final dot: OperatorEvent+Email.swift).
        let down = try #require(messages.first { $0.kind == "transfer.failing" })
        #expect(down.subject.hasPrefix("[countersign] search.usa.gov: 3 polls in a row failed"), "\(down.subject)")
        #expect(down.body.contains("failures: 3") && down.body.contains("Zone:     \(Self.zone)"), "\(down.body)")
        let up = try #require(messages.first { $0.kind == "transfer.recovered" })
        #expect(up.subject.hasPrefix("[countersign] search.usa.gov: transfers work again after "), "\(up.subject)")
        let failures = up.body.split(separator: "\n").first { $0.hasPrefix("failures: ") }.flatMap { Int($0.dropFirst(10)) }
        #expect((failures ?? 0) >= 5, "recovered after the failing polls it counts (≥3 + 4 s more): \(up.body)")
    }

    // MARK: 4. notify test

    @Test func notifyTestReportsEachChannelAndFailsForADeadOne() throws {
        guard Self.requireTools(["python3"]) else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notify-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver.start(in: directory)
        defer { receiver.stop() }
        let binary = TwoTierHarness.signerBinary

        let live = try ExternalTool.execute(binary, ["notify", "test", "--webhook", receiver.url, "--webhook-secret", Self.secret], timeout: 30)
        #expect(live.status == 0, "\(live.output)")
        #expect(live.output.contains("webhook 'webhook' (\(receiver.url)): delivered"), "\(live.output)")
        let requests = receiver.requests()
        #expect(requests.count == 1 && requests.first?.verified == true && requests.first?.body?.type == "test",
                "\(requests.map { ($0.verified, $0.reason, $0.body?.type ?? "-") })")
        #expect(requests.first?.body?.zone == nil)

        // A receiver that is not there: exit 1, the channel and the reason on its line.
        let dead = try Fixture.start("webhook_receiver.py", [
            "--port", "0", "--log", directory.appendingPathComponent("dead.jsonl").path, "--secret", Self.secret, "--lifetime", "60",
        ], in: directory, label: "dead")
        let deadURL = "http://127.0.0.1:\(dead.port)/ok"
        dead.stop()
        let started = Date()
        let refused = try ExternalTool.execute(binary, ["notify", "test", "--webhook", deadURL, "--webhook-secret", Self.secret], timeout: 30)
        let elapsed = Date().timeIntervalSince(started)
        // A refused connection is known at once, and the operator should hear so at once. Fails today:
        // Sources/DaemonKit/Notifications/WebhookClient.swift (post) lets async-http-client retry the
        // refused connect until the request's 15 s timeout (swift-server/async-http-client#743), so
        // `notify test` waits 15 s, and in `serve` each attempt to a dead receiver holds up the worker's
        // whole pass (every channel, and scheduling new events) for 15 s.
        #expect(elapsed < 5, "a refused connection took \(Int(elapsed)) s to report: \(refused.output)")
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("webhook 'webhook' (\(deadURL)): failed") && refused.output.lowercased().contains("refused"),
                "\(refused.output)")
        #expect(refused.output.contains("1 of 1 notification channel(s) failed"), "\(refused.output)")

        // A live receiver with another secret refuses the signature: a failure too, with its answer.
        let wrong = try ExternalTool.execute(binary, ["notify", "test", "--webhook", receiver.url, "--webhook-secret", "not the secret"], timeout: 30)
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.output.contains("HTTP 401"), "\(wrong.output)")
        #expect(receiver.requests().map(\.verified) == [true, false])
    }
}
