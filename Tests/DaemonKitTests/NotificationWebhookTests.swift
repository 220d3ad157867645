import Foundation
import GRDB
import Testing
@testable import DaemonKit

/// Webhooks end to end: async-http-client posting to a real receiver (Tests/Fixtures/webhook_receiver.py)
/// that verifies the Standard Webhooks signature with its own code and logs what arrived.
@Suite(.serialized) struct NotificationWebhookTests {
    struct Setup {
        let directory: URL
        let path: String
        let pool: DatabasePool
        let clock = TestClock()

        init(_ label: String) throws {
            directory = try NotificationFixtures.temporaryDirectory(label)
            path = directory.appendingPathComponent("outbox.db").path
            pool = try NotificationFixtures.openStore(path)
        }

        func worker(_ channels: [NotificationChannel], pool: DatabasePool? = nil) -> NotificationWorker {
            NotificationWorker(pool: pool ?? self.pool, channels: channels, logger: NotificationFixtures.quietLogger,
                               now: clock.closure, options: .init(retry: RetryPolicy(jitter: 0)))
        }

        func record(_ count: Int, from first: Int = 1) throws -> [OperatorEvent] {
            let events = (0..<count).map { NotificationFixtures.event(first + $0, time: clock.now - 10 + Int64($0)) }
            try NotificationFixtures.record(events, in: pool)
            return events
        }

        func deliveries(_ channel: String = "hook", pool: DatabasePool? = nil) throws -> [Outbox.Delivery] {
            try (pool ?? self.pool).read { try Outbox.deliveries(channel: channel, in: $0) }
        }

        func cleanUp() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func receiverVerifiesEverySignatureAndGetsTheEvents() async throws {
        guard ExternalTool.require("python3") else { return }
        let s = try Setup("webhook-ok")
        defer { s.cleanUp() }
        let receiver = try await WebhookReceiver.start(directory: s.directory)
        defer { receiver.stop() }
        let events = try s.record(3)
        await s.worker([NotificationFixtures.webhookChannel(url: receiver.url("ok"))]).deliverPendingNow()
        let requests = try receiver.requests()
        #expect(requests.map(\.id) == events.map(\.id))
        #expect(requests.allSatisfy { $0.verified && $0.status == 204 && $0.content_type == "application/json" },
                "\(requests.map(\.reason))")
        let body = try #require(requests.first?.body)
        #expect(body.id == events[0].id && body.type == "transfer.failing" && body.zone == "example.com.")
        #expect(body.severity == "warning" && body.summary == events[0].summary && body.details == ["n": "1"])
        #expect(body.time == NotificationTime.iso8601(events[0].time))
        #expect(try s.deliveries().allSatisfy { $0.machine.state == .delivered })
    }

    @Test func aWrongSecretIsRefusedAndNotCountedAsDelivered() async throws {
        guard ExternalTool.require("python3") else { return }
        let s = try Setup("webhook-secret")
        defer { s.cleanUp() }
        let receiver = try await WebhookReceiver.start(directory: s.directory, secret: "whsec_" + Data("another key entirely".utf8).base64EncodedString())
        defer { receiver.stop() }
        _ = try s.record(1)
        await s.worker([NotificationFixtures.webhookChannel(url: receiver.url("ok"))]).deliverPendingNow()
        #expect(try receiver.requests().map(\.verified) == [false])
        let delivery = try #require(try s.deliveries().first)
        #expect(delivery.machine.state == .pending)
        #expect(delivery.machine.lastError?.contains("HTTP 401") == true, "\(delivery.machine.lastError ?? "")")
    }

    @Test func receiverDownForAWhileGetsEverythingInOrderOnceWhenBack() async throws {
        guard ExternalTool.require("python3") else { return }
        let s = try Setup("webhook-down")
        defer { s.cleanUp() }
        // Learn a free port, then leave it closed: the receiver is down.
        let probe = try await WebhookReceiver.start(directory: s.directory)
        let port = probe.port
        probe.stop()
        try? FileManager.default.removeItem(at: probe.log)
        // async-http-client keeps retrying a refused connection until the request's timeout: keep it short.
        let channel = NotificationFixtures.webhookChannel(url: "http://127.0.0.1:\(port)/ok", timeout: 2)
        let events = try s.record(4)
        let worker = s.worker([channel])
        await worker.deliverPendingNow()
        s.clock.advance(5)
        await worker.deliverPendingNow()
        let waiting = try s.deliveries()
        #expect(waiting.map(\.machine.state) == Array(repeating: .pending, count: 4))
        #expect(waiting[0].machine.attempts == 2 && waiting[1].machine.attempts == 0, "only the head is retried")
        #expect(waiting[0].machine.lastError?.isEmpty == false)

        let receiver = try await WebhookReceiver.start(directory: s.directory, port: port)
        defer { receiver.stop() }
        s.clock.advance(10)
        await worker.deliverPendingNow()
        #expect(try receiver.requests().map(\.id) == events.map(\.id))
        #expect(try receiver.requests().allSatisfy(\.verified))
        await worker.deliverPendingNow()
        #expect(try receiver.requests().count == 4, "nothing twice")
    }

    /// The worker dropped with events pending against a failing receiver; a new worker on the reopened
    /// store delivers them all, in order, once.
    @Test func aNewWorkerOnAReopenedStoreFinishesTheJob() async throws {
        guard ExternalTool.require("python3") else { return }
        let s = try Setup("webhook-restart")
        defer { s.cleanUp() }
        let receiver = try await WebhookReceiver.start(directory: s.directory)
        defer { receiver.stop() }
        let events = try s.record(3)
        var first: NotificationWorker? = s.worker([NotificationFixtures.webhookChannel(url: receiver.url("status/500"))])
        await first!.deliverPendingNow()
        #expect(try receiver.requests().map(\.status) == [500])
        first = nil
        let reopened = try NotificationFixtures.openStore(s.path)
        let later = NotificationFixtures.event(4, time: s.clock.now)
        try NotificationFixtures.record([later], in: reopened)
        s.clock.advance(30)
        await s.worker([NotificationFixtures.webhookChannel(url: receiver.url("ok"))], pool: reopened).deliverPendingNow()
        let delivered = try receiver.requests().filter { $0.status == 204 }.map(\.id)
        #expect(delivered == (events + [later]).map(\.id))
        #expect(try s.deliveries(pool: reopened).allSatisfy { $0.machine.state == .delivered })
    }

    @Test func goneDisablesTheEndpointAndSaysSoByEmail() async throws {
        guard ExternalTool.require("python3") else { return }
        let s = try Setup("webhook-gone")
        defer { s.cleanUp() }
        let receiver = try await WebhookReceiver.start(directory: s.directory)
        defer { receiver.stop() }
        let mailbox = s.directory.appendingPathComponent("mailbox")
        let sendmail = try NotificationEmailTests.fakeSendmail(in: s.directory, mailbox: mailbox)
        let mail = NotificationChannel(name: "mail", transport: .sendmail(SendmailTarget(
            command: [sendmail, "-t", "-i"], from: "dns@example.com", to: ["ops@example.com"])), minSeverity: .critical)
        _ = try s.record(2)
        let hook = NotificationFixtures.webhookChannel(url: receiver.url("gone"))
        await s.worker([hook, mail]).deliverPendingNow()
        #expect(try receiver.requests().map(\.status) == [410])
        #expect(try s.deliveries().map(\.machine.state) == [.disabled, .disabled])
        let mails = try NotificationEmailTests.messages(in: mailbox)
        // The warnings do not pass this channel's filter; the notice (critical) does.
        #expect(mails.count == 1)
        let notice = try NotificationEmailTests.parse(try #require(mails.first))
        #expect(notice.subject.hasPrefix("[countersign] webhook 'hook' disabled: \(receiver.url("gone")) answered HTTP 410"), "\(notice.subject)")
        #expect(notice.body.contains("url: \(receiver.url("gone"))"))
        _ = try s.record(1, from: 3)
        await s.worker([hook, mail]).deliverPendingNow()
        #expect(try receiver.requests().count == 1, "a disabled endpoint stays disabled across restarts")
    }

    @Test func retryAfterFromTheReceiverIsHonoured() async throws {
        guard ExternalTool.require("python3") else { return }
        let s = try Setup("webhook-retry-after")
        defer { s.cleanUp() }
        let receiver = try await WebhookReceiver.start(directory: s.directory)
        defer { receiver.stop() }
        _ = try s.record(1)
        await s.worker([NotificationFixtures.webhookChannel(url: receiver.url("retry-after/120"))]).deliverPendingNow()
        let delivery = try #require(try s.deliveries().first)
        #expect(delivery.machine.nextAttemptAt == s.clock.now + 120)
        #expect(delivery.machine.lastError?.contains("HTTP 503") == true)
    }

    @Test func aSlowReceiverTimesOut() async throws {
        guard ExternalTool.require("python3") else { return }
        let s = try Setup("webhook-slow")
        defer { s.cleanUp() }
        let receiver = try await WebhookReceiver.start(directory: s.directory)
        defer { receiver.stop() }
        let event = NotificationFixtures.event(1, time: s.clock.now)
        let channel = NotificationChannel(name: "slow", transport: .webhook(WebhookTarget(
            url: receiver.url("slow/10"), secret: try WebhookSecret(NotificationFixtures.secret), timeout: 1)))
        let started = Date()
        let outcome = await NotificationSender.send(event, via: channel, now: s.clock.now)
        #expect(!outcome.isDelivered)
        #expect(Date().timeIntervalSince(started) < 6, "the timeout bounds the attempt")
    }
}
