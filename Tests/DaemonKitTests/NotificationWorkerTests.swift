import Foundation
import GRDB
import Testing
@testable import DaemonKit

/// The delivery worker against a real SQLite outbox and a recording transport: order, exactly-once,
/// restarts, retries, digests, disabled endpoints and filters, with a clock the test moves.
@Suite struct NotificationWorkerTests {
    struct Harness {
        let directory: URL
        let path: String
        var pool: DatabasePool
        let clock = TestClock(1_700_000_000)
        let transport = RecordingTransport()

        init(_ label: String) throws {
            directory = try NotificationFixtures.temporaryDirectory(label)
            path = directory.appendingPathComponent("outbox.db").path
            pool = try NotificationFixtures.openStore(path)
        }

        func worker(_ channels: [NotificationChannel], transport: RecordingTransport? = nil,
                    retry: RetryPolicy = RetryPolicy(jitter: 0), backlog: Int64 = 3600,
                    history: Int64 = NotificationWorker.Options.defaultHistorySeconds) -> NotificationWorker {
            NotificationWorker(pool: pool, channels: channels, logger: NotificationFixtures.quietLogger, now: clock.closure,
                               options: .init(retry: retry, idleInterval: 0.05, newChannelBacklog: backlog, historySeconds: history),
                               random: SplitMix64(seed: 9), send: (transport ?? self.transport).send)
        }

        /// Records `count` events, one second apart, ending now.
        func record(_ count: Int, kind: OperatorEvent.Kind = .transferFailing, from first: Int = 1,
                    zone: String? = "example.com.", severity: OperatorEvent.Severity = .warning) throws -> [OperatorEvent] {
            let events = (0..<count).map { i in
                NotificationFixtures.event(first + i, kind: kind, severity: severity, zone: zone, time: clock.now - Int64(count - i))
            }
            try NotificationFixtures.record(events, in: pool)
            return events
        }

        func deliveries(_ channel: String) throws -> [Outbox.Delivery] {
            try pool.read { try Outbox.deliveries(channel: channel, in: $0) }
        }

        func cleanUp() { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func deliversEveryEventOncePerChannelInOrder() async throws {
        let h = try Harness("order")
        defer { h.cleanUp() }
        let events = try h.record(5)
        let worker = h.worker([NotificationFixtures.webhookChannel(url: "https://x.example/"), NotificationFixtures.mailChannel()])
        await worker.deliverPendingNow()
        #expect(h.transport.sent(to: "hook").map(\.eventID) == events.map(\.id))
        #expect(h.transport.sent(to: "mail").map(\.eventID) == events.map(\.id))
        await worker.deliverPendingNow()
        #expect(h.transport.sent.count == 10, "a second pass sends nothing again")
        #expect(try h.deliveries("hook").allSatisfy { $0.machine.state == .delivered && $0.machine.attempts == 1 })
        // Recorded later, picked up by the next pass.
        let more = try h.record(2, from: 6)
        await worker.deliverPendingNow()
        #expect(h.transport.sent(to: "hook").map(\.eventID) == (events + more).map(\.id))
    }

    @Test func aDownReceiverHoldsItsQueueThenGetsEverythingInOrderOnce() async throws {
        let h = try Harness("down")
        defer { h.cleanUp() }
        let events = try h.record(4)
        h.transport.answer { _, _ in .failed("connection refused") }
        let worker = h.worker([NotificationFixtures.webhookChannel(url: "https://x.example/")])
        await worker.deliverPendingNow()
        #expect(h.transport.sent.map(\.eventID) == [events[0].id], "only the head is tried while it fails")
        h.clock.advance(4)
        await worker.deliverPendingNow()
        #expect(h.transport.sent.count == 1, "not before the backoff (5 s)")
        h.clock.advance(1)
        await worker.deliverPendingNow()
        #expect(h.transport.sent.map(\.eventID) == [events[0].id, events[0].id])
        #expect(try h.deliveries("hook")[0].machine.nextAttemptAt == h.clock.now + 10, "then 10 s")
        // The receiver is back.
        h.transport.answer { _, _ in .delivered("HTTP 204") }
        h.clock.advance(10)
        await worker.deliverPendingNow()
        #expect(h.transport.sent.dropFirst(2).map(\.eventID) == events.map(\.id))
        #expect(try h.deliveries("hook").map(\.machine.state) == Array(repeating: .delivered, count: 4))
        #expect(try h.deliveries("hook")[0].machine.attempts == 3)
    }

    @Test func pendingEventsSurviveAWorkerRestart() async throws {
        var h = try Harness("restart")
        defer { h.cleanUp() }
        let channel = NotificationFixtures.webhookChannel(url: "https://x.example/")
        let early = try h.record(3)
        let failing = RecordingTransport()
        failing.answer { _, _ in .failed("HTTP 502 Bad Gateway") }
        var first: NotificationWorker? = h.worker([channel], transport: failing)
        await first!.deliverPendingNow()
        #expect(failing.sent.count == 1)
        first = nil
        // The daemon is down: the store is closed, more events are recorded by the next start.
        h.pool = try NotificationFixtures.openStore(h.path)
        let late = try h.record(2, from: 4)
        h.clock.advance(60)
        let second = h.worker([channel])
        await second.deliverPendingNow()
        #expect(h.transport.sent.map(\.eventID) == (early + late).map(\.id), "none lost, none twice, in order")
        #expect(try h.deliveries("hook").allSatisfy { $0.machine.state == .delivered })
    }

    /// A worker that dies after the receiver took an event but before storing that: the next worker
    /// sends it again, with the same id, and nothing else twice.
    @Test func aCrashBetweenSendAndMarkResendsOnlyThatEventWithTheSameId() async throws {
        let h = try Harness("crash")
        defer { h.cleanUp() }
        let channel = NotificationFixtures.webhookChannel(url: "https://x.example/")
        let events = try h.record(3)
        let received = RecordingTransport()
        // The first worker's receiver takes the head, then the worker "dies" before recording it.
        let dying: NotificationWorker.Send = { event, channel, now in
            _ = await received.send(event, channel, now)
            try? await Task.sleep(for: .seconds(30))
            return .failed("killed")
        }
        let doomed = NotificationWorker(pool: h.pool, channels: [channel], logger: NotificationFixtures.quietLogger,
                                        now: h.clock.closure, send: dying)
        let doomedRun = Task { await doomed.deliverPendingNow() }
        let deadline = Date().addingTimeInterval(10)
        while received.sent.isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(received.sent.map(\.eventID) == [events[0].id])

        let restarted = NotificationWorker(pool: try NotificationFixtures.openStore(h.path), channels: [channel],
                                           logger: NotificationFixtures.quietLogger, now: h.clock.closure,
                                           send: received.send)
        await restarted.deliverPendingNow()
        let ids = received.sent.map(\.eventID)
        #expect(ids == [events[0].id, events[0].id, events[1].id, events[2].id])
        var seen = Set<String>()
        #expect(ids.filter { seen.insert($0).inserted } == events.map(\.id), "a receiver that honours ids acts once each")
        #expect(try h.deliveries("hook").allSatisfy { $0.machine.state == .delivered })
        doomedRun.cancel()
        await doomedRun.value
    }

    @Test func resignedEventsGoAsOneDigestPerInterval() async throws {
        let h = try Harness("digest")
        defer { h.cleanUp() }
        let digest = NotificationFixtures.webhookChannel("digest", url: "https://x.example/", digestMinutes: 15)
        let each = NotificationFixtures.webhookChannel("each", url: "https://y.example/")
        let worker = h.worker([digest, each])
        var resigned = try h.record(2, kind: .zoneResigned, severity: .info)
        let alert = try h.record(1, from: 10)
        resigned += try h.record(1, kind: .zoneResigned, from: 3, zone: "example.com.", severity: .info)
        await worker.deliverPendingNow()
        #expect(h.transport.sent(to: "each").count == 4)
        #expect(h.transport.sent(to: "digest").map(\.eventID) == alert.map(\.id), "alerts are not held for the digest")
        h.clock.advance(14 * 60)
        await worker.deliverPendingNow()
        #expect(h.transport.sent(to: "digest").count == 1)
        h.clock.advance(60)
        await worker.deliverPendingNow()
        let sent = h.transport.sent(to: "digest")
        #expect(sent.count == 2)
        let expected = NotificationWorker.digest(of: resigned, channel: "digest", interval: 900)
        #expect(sent.last?.eventID == expected.id)
        #expect(sent.last?.summary == "example.com.: re-signed 3 times (digest of 15 min)")
        #expect(try h.deliveries("digest").allSatisfy { $0.machine.state == .delivered })
        // Nothing more until new events come.
        h.clock.advance(3600)
        await worker.deliverPendingNow()
        #expect(h.transport.sent(to: "digest").count == 2)
    }

    @Test func aRetriedDigestKeepsItsMembersAndId() async throws {
        let h = try Harness("digest-retry")
        defer { h.cleanUp() }
        let channel = NotificationFixtures.webhookChannel("digest", url: "https://x.example/", digestMinutes: 5)
        let worker = h.worker([channel])
        let first = try h.record(2, kind: .zoneResigned, severity: .info)
        h.transport.answer { _, _ in .failed("HTTP 500") }
        await worker.deliverPendingNow()
        #expect(h.transport.sent.isEmpty, "the digest waits 5 minutes")
        h.clock.advance(300)
        await worker.deliverPendingNow()
        let attempted = try #require(h.transport.sent.first)
        // A re-sign recorded while the digest is being retried waits for the next digest.
        let later = try h.record(1, kind: .zoneResigned, from: 7, severity: .info)
        h.transport.answer { _, _ in .delivered("HTTP 200") }
        h.clock.advance(5)
        await worker.deliverPendingNow()
        #expect(h.transport.sent.count == 2)
        #expect(h.transport.sent[1].eventID == attempted.eventID, "the retry is the same message")
        #expect(attempted.eventID == NotificationWorker.digest(of: first, channel: "digest", interval: 300).id)
        h.clock.advance(300)
        await worker.deliverPendingNow()
        #expect(h.transport.sent.map(\.eventID).last == later[0].id, "a digest of one is the event itself")
    }

    @Test func goneDisablesTheEndpointForGoodAndTellsTheEmailChannels() async throws {
        let h = try Harness("gone")
        defer { h.cleanUp() }
        let hook = NotificationFixtures.webhookChannel("hook", url: "https://gone.example/")
        let otherHook = NotificationFixtures.webhookChannel("other", url: "https://fine.example/")
        let mail = NotificationFixtures.mailChannel()
        h.transport.answer { _, channel in channel.name == "hook" ? .gone("HTTP 410 Gone") : .delivered("ok") }
        let events = try h.record(3)
        await h.worker([hook, otherHook, mail]).deliverPendingNow()
        #expect(h.transport.sent(to: "hook").count == 1, "one 410 is enough")
        #expect(try h.deliveries("hook").map(\.machine.state) == [.disabled, .disabled, .disabled])
        let mailed = h.transport.sent(to: "mail")
        #expect(mailed.map(\.kind) == [.transferFailing, .transferFailing, .transferFailing, .channelDisabled])
        #expect(mailed.last?.summary.contains("https://gone.example/") == true)
        #expect(!h.transport.sent(to: "other").contains { $0.kind == .channelDisabled }, "webhooks are not told")
        #expect(try await h.pool.read { try Outbox.channels(in: $0) }.first { $0.name == "hook" }?.isDisabled == true)

        // A restart does not bring it back …
        _ = try h.record(1, from: 4)
        await h.worker([hook, otherHook, mail]).deliverPendingNow()
        #expect(h.transport.sent(to: "hook").count == 1)
        // … a new URL does.
        h.transport.answer { _, _ in .delivered("ok") }
        let moved = NotificationFixtures.webhookChannel("hook", url: "https://moved.example/")
        let fresh = try h.record(1, from: 5)
        await h.worker([moved, otherHook, mail]).deliverPendingNow()
        #expect(h.transport.sent(to: "hook").map(\.eventID).last == fresh[0].id)
        #expect(h.transport.sent(to: "hook").count == 2)
        _ = events
    }

    @Test func honoursRetryAfter() async throws {
        let h = try Harness("retry-after")
        defer { h.cleanUp() }
        _ = try h.record(1)
        h.transport.answer { _, _ in .failed("HTTP 503", retryAfter: 600) }
        let worker = h.worker([NotificationFixtures.webhookChannel(url: "https://x.example/")])
        await worker.deliverPendingNow()
        #expect(try h.deliveries("hook")[0].machine.nextAttemptAt == h.clock.now + 600)
        h.clock.advance(599)
        await worker.deliverPendingNow()
        #expect(h.transport.sent.count == 1)
        h.clock.advance(1)
        await worker.deliverPendingNow()
        #expect(h.transport.sent.count == 2)
    }

    @Test func givesUpAfterADayAndMovesOn() async throws {
        let h = try Harness("give-up")
        defer { h.cleanUp() }
        let events = try h.record(2)
        let poisoned = events[0].id
        h.transport.answer { event, _ in event.id == poisoned ? .failed("HTTP 400") : .delivered("ok") }
        let worker = h.worker([NotificationFixtures.webhookChannel(url: "https://x.example/")], retry: RetryPolicy())
        let start = h.clock.now
        var passes = 0
        repeat {
            await worker.deliverPendingNow()
            passes += 1
            let head = try h.deliveries("hook")[0].machine
            #expect(h.transport.sent(to: "hook").allSatisfy { $0.eventID == poisoned } || head.state == .failed,
                    "the second event waits behind the first")
            if head.state == .pending { h.clock.advance(max(1, head.nextAttemptAt - h.clock.now)) }
        } while try h.deliveries("hook")[1].machine.state == .pending && passes < 200
        let head = try h.deliveries("hook")[0].machine
        #expect(head.state == .failed && head.lastError == "HTTP 400")
        #expect(h.clock.now - start >= 86_400, "retried for \(h.clock.now - start) s")
        #expect(try h.deliveries("hook")[1].machine.state == .delivered)
    }

    @Test func filtersAndANewChannelsBacklog() async throws {
        let h = try Harness("filters")
        defer { h.cleanUp() }
        // Two hours old: before a new channel's backlog window.
        try NotificationFixtures.record([NotificationFixtures.event(0, time: h.clock.now - 7200)], in: h.pool)
        let info = try h.record(1, from: 1, severity: .info)
        let otherZone = try h.record(1, from: 2, zone: "example.org.")
        let critical = try h.record(1, from: 3, severity: .critical)
        let daemonWide = try h.record(1, from: 4, zone: nil)
        let picky = NotificationFixtures.webhookChannel("picky", url: "https://x.example/", minSeverity: .warning, zones: ["example.com"])
        await h.worker([picky]).deliverPendingNow()
        #expect(h.transport.sent.map(\.eventID) == [critical[0].id, daemonWide[0].id])
        _ = (info, otherZone)
        // A channel configured later gets the last hour, not the whole history.
        let all = NotificationFixtures.webhookChannel("all", url: "https://y.example/")
        await h.worker([picky, all]).deliverPendingNow()
        #expect(h.transport.sent(to: "all").count == 4)
    }

    /// The outbox does not grow without end: settled events older than the history window go (hourly),
    /// pending ones stay however old, and the ones behind them are still delivered in order.
    @Test func settledEventsOlderThanTheHistoryArePrunedPendingOnesNever() async throws {
        let h = try Harness("prune")
        defer { h.cleanUp() }
        let day: Int64 = 86_400
        let old = [1, 2].map { NotificationFixtures.event($0, time: h.clock.now - 40 * day) }
        let recent = NotificationFixtures.event(3, time: h.clock.now - day)
        let unwanted = NotificationFixtures.event(4, zone: "example.org.", time: h.clock.now - 40 * day)
        try NotificationFixtures.record(old + [recent, unwanted], in: h.pool)
        func stored() throws -> Set<String> { Set(try h.pool.read { try Outbox.recent(limit: 100, in: $0) }.map(\.id)) }

        // The second old event cannot be delivered yet: it and the recent one behind it stay pending.
        let stuck = old[1].id
        h.transport.answer { event, _ in event.id == stuck ? .failed("HTTP 502") : .delivered("ok") }
        let hook = NotificationFixtures.webhookChannel(url: "https://x.example/", zones: ["example.com."])
        let worker = h.worker([hook], backlog: 100 * day, history: 30 * day)
        await worker.deliverPendingNow()
        #expect(try stored() == [old[1].id, recent.id],
                "the delivered old event and the old one no channel wanted are gone; the pending ones stay")

        // Delivered now; the next prune is an hour after the last one.
        h.transport.answer { _, _ in .delivered("ok") }
        h.clock.advance(600)
        await worker.deliverPendingNow()
        #expect(h.transport.sent(to: "hook").map(\.eventID) == [old[0].id, old[1].id, old[1].id, recent.id])
        #expect(try stored() == [old[1].id, recent.id], "not pruned again within the hour")
        h.clock.advance(3600)
        await worker.deliverPendingNow()
        #expect(try stored() == [recent.id], "settled and 40 days old: pruned; one day old: kept")

        // 0 keeps everything.
        let keeper = h.worker([hook], history: 0)
        h.clock.advance(400 * day)
        await keeper.deliverPendingNow()
        #expect(try stored() == [recent.id])
    }

    @Test func runKeepsDeliveringUntilCancelled() async throws {
        let h = try Harness("run")
        defer { h.cleanUp() }
        let worker = h.worker([NotificationFixtures.webhookChannel(url: "https://x.example/")])
        let running = Task { await worker.run() }
        let events = try h.record(2)
        await worker.wake()
        let deadline = Date().addingTimeInterval(10)
        while h.transport.sent.count < 2 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(h.transport.sent.map(\.eventID) == events.map(\.id))
        let more = try h.record(1, from: 3)
        while h.transport.sent.count < 3 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(h.transport.sent.last?.eventID == more[0].id)
        running.cancel()
        await running.value
    }
}
