import Crypto
import Foundation
import GRDB
import Logging

/// Delivers the outbox: for every channel, every event that passes its filters, once, in event order.
///
/// Each pass (every `idleInterval` seconds, sooner when a retry is due, at once on `deliverPendingNow()`):
/// 1. **Schedule**: for each channel, create pending deliveries for the events recorded since its mark
///    (`outbox_channels.scheduled_through`), then move the mark — in one transaction, so an event is
///    scheduled exactly once per channel, including events recorded while no worker ran.
/// 2. **Deliver**: per channel, the oldest pending event first; the ones behind it wait while it is being
///    retried (order over speed: an operator reading "recovered" before "failing" is worse than late).
///    `zone.resigned` events of a digest channel wait for their digest instead and go as one message.
///    The attempt is counted and stored *before* the send; success is stored right after it.
///
/// Exactly once, almost: a crash (or kill -9) after the receiver took an event but before the worker
/// stored that, sends it again after the restart — with the same id (`webhook-id`, `Message-ID`), so a
/// receiver that remembers ids does not act twice. Nothing is lost: a delivery is only settled by a
/// stored success, give-up (after `RetryPolicy.giveUpAfter`) or a disabled endpoint. Run one worker per
/// database.
///
/// The clock is injected (`now`, seconds since 1970): it decides what is due and stamps webhook
/// attempts; the jitter comes from `random`. Sleeping between passes uses real time.
package actor NotificationWorker {
    package struct Options: Sendable {
        package var retry: RetryPolicy
        /// Seconds between passes when nothing is due sooner (new events are noticed this fast without
        /// `wake()`).
        package var idleInterval: Double
        /// A channel seen for the first time gets the events of this many seconds before it, not all
        /// history.
        package var newChannelBacklog: Int64
        /// Settled events (delivered, given up, or never meant for any channel) older than this many
        /// seconds are deleted, at most once an hour, so the outbox does not grow without end; 0 keeps
        /// them all. Pending deliveries are never deleted.
        package var historySeconds: Int64

        /// 30 days: `zone status` shows recent events, and an operator looking into last month's
        /// incident still finds them.
        package static let defaultHistorySeconds: Int64 = 30 * 86_400

        package init(retry: RetryPolicy = RetryPolicy(), idleInterval: Double = 2, newChannelBacklog: Int64 = 3600,
                     historySeconds: Int64 = Options.defaultHistorySeconds) {
            self.retry = retry
            self.idleInterval = max(0.05, idleInterval)
            self.newChannelBacklog = max(0, newChannelBacklog)
            self.historySeconds = max(0, historySeconds)
        }
    }

    /// How often old events are pruned.
    static let pruneInterval: Int64 = 3600

    /// Sends one event over one channel at time `now` (the real transports by default; tests pass fakes).
    package typealias Send = @Sendable (OperatorEvent, NotificationChannel, Int64) async -> DeliveryOutcome

    package static let systemNow: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    private let pool: DatabasePool
    package let channels: [NotificationChannel]
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let options: Options
    private let send: Send
    private var random: AnyRandom
    /// Channels whose endpoint is disabled, with why.
    private var disabled: [String: String] = [:]
    private var noticeRecorded = false
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var sleeper: Task<Void, Never>?
    /// When the outbox was last pruned (nil: not yet by this worker).
    private var prunedAt: Int64?

    package init(
        pool: DatabasePool, channels: [NotificationChannel], logger: Logger,
        now: @escaping @Sendable () -> Int64 = NotificationWorker.systemNow, options: Options = Options(),
        random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(), send: Send? = nil
    ) {
        var seen = Set<String>()
        var unique: [NotificationChannel] = []
        for channel in channels {
            if seen.insert(channel.name).inserted {
                unique.append(channel)
            } else {
                logger.error("notification channel defined twice; the first one is used", metadata: ["channel": "\(channel.name)"])
            }
        }
        self.pool = pool
        self.channels = unique
        self.logger = logger
        self.now = now
        self.options = options
        self.random = AnyRandom(base: random)
        self.send = send ?? { event, channel, now in await NotificationSender.send(event, via: channel, now: now) }
        // Every channel's counters exist from the start at 0, so a rate over them sees the first failure.
        for channel in unique { CountersignMetrics.declareNotificationChannel(channel.name) }
    }

    /// Delivers until the task is cancelled.
    package func run() async {
        logger.info("notification worker started", metadata: ["channels": "\(channels.map(\.description).joined(separator: ", "))"])
        while !Task.isCancelled {
            let due = await exclusive { await self.pass() }
            var wait = options.idleInterval
            if let due { wait = min(wait, max(0.2, Double(due - now()))) }
            await nap(seconds: wait)
        }
        logger.info("notification worker stopped")
    }

    /// One full pass now: schedules new events and attempts everything due. Returns when done (waiting
    /// for a pass already under way first).
    package func deliverPendingNow() async {
        _ = await exclusive { await self.pass() }
    }

    /// Ends `run()`'s wait early (an event was just recorded); returns at once.
    package func wake() {
        sleeper?.cancel()
    }

    // MARK: Passes

    /// Schedules and delivers; returns the earliest time something becomes due, nil when nothing waits.
    private func pass() async -> Int64? {
        var rounds = 0
        repeat {
            rounds += 1
            noticeRecorded = false
            do {
                try schedule()
            } catch {
                logger.error("notification outbox: cannot schedule deliveries", metadata: ["error": "\(error)"])
                return nil
            }
            await withTaskGroup(of: Void.self) { group in
                for channel in channels where disabled[channel.name] == nil {
                    group.addTask { await self.drain(channel) }
                }
            }
            // A disabled endpoint recorded a notice for the email channels: send it in this pass.
        } while noticeRecorded && rounds < 3
        pruneIfDue()
        recordQueueDepth()
        return nextDue()
    }

    /// `countersign_notification_queue_depth`, after each pass.
    private func recordQueueDepth() {
        do {
            CountersignMetrics.setNotificationQueueDepth(try pool.read { try Outbox.pendingEventCount(in: $0) })
        } catch {
            logger.error("notification outbox: cannot count the queue", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes settled events older than the history window, once an hour. Runs after scheduling, so
    /// every event has its deliveries by then and a pending one is never lost.
    private func pruneIfDue() {
        let now = self.now()
        guard options.historySeconds > 0, prunedAt.map({ now - $0 >= Self.pruneInterval }) ?? true else { return }
        prunedAt = now
        do {
            let pruned = try SQLiteDatabase.writeImmediate(pool) { db in
                try Outbox.prune(before: now - options.historySeconds, in: db)
            }
            if pruned > 0 {
                logger.info("notification outbox pruned", metadata: [
                    "events": "\(pruned)", "older-than-days": "\(options.historySeconds / 86_400)"])
            }
        } catch {
            logger.error("notification outbox: cannot prune", metadata: ["error": "\(error)"])
        }
    }

    private func schedule() throws {
        guard !channels.isEmpty else { return }
        let now = self.now()
        let backlog = options.newChannelBacklog
        let statuses = try SQLiteDatabase.writeImmediate(pool) { db in
            try channels.map { channel in
                try Outbox.schedule(channel, now: now, backlog: backlog, wants: { NotificationWorker.wants($0, channel) }, in: db)
            }
        }
        for status in statuses {
            if let at = status.disabledAt {
                if disabled[status.name] == nil {
                    logger.warning("notification channel disabled", metadata: [
                        "channel": "\(status.name)", "since": "\(at)", "reason": "\(status.disabledReason ?? "")"])
                }
                disabled[status.name] = status.disabledReason ?? "disabled"
            } else if disabled.removeValue(forKey: status.name) != nil {
                logger.info("notification channel enabled again (its target changed)", metadata: ["channel": "\(status.name)"])
            }
        }
    }

    /// The notice about a disabled endpoint goes to email channels only (a webhook cannot be told by
    /// webhook that it is gone); every other event goes wherever the filters allow.
    static func wants(_ event: OperatorEvent, _ channel: NotificationChannel) -> Bool {
        event.kind != .channelDisabled || channel.isEmail
    }

    private func drain(_ channel: NotificationChannel) async {
        // Events one by one, in order; a failure leaves the rest waiting behind it.
        while !Task.isCancelled, disabled[channel.name] == nil {
            let head: (Outbox.Delivery, OperatorEvent)?
            do {
                head = try await pool.read { try Outbox.head(of: channel.name, in: $0) }
            } catch {
                logger.error("notification outbox: cannot read", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
                return
            }
            guard let head, head.0.machine.nextAttemptAt <= now() else { break }
            guard await attempt([head], event: head.1, on: channel) else { break }
        }
        // Then the zone.resigned digest, when its time has come.
        while !Task.isCancelled, disabled[channel.name] == nil {
            let members: [(Outbox.Delivery, OperatorEvent)]
            do {
                members = try await pool.read { try Outbox.digest(of: channel.name, in: $0) }
            } catch {
                logger.error("notification outbox: cannot read", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
                return
            }
            guard let first = members.first, members.map(\.0.machine.nextAttemptAt).min()! <= now() else { break }
            let event = members.count == 1 ? first.1
                : NotificationWorker.digest(of: members.map(\.1), channel: channel.name, interval: channel.digestInterval)
            guard await attempt(members, event: event, on: channel) else { break }
        }
    }

    /// One attempt of `event` for the deliveries `members` (one, or a digest's); true when the channel
    /// may go on to its next event.
    private func attempt(_ members: [(Outbox.Delivery, OperatorEvent)], event: OperatorEvent, on channel: NotificationChannel) async -> Bool {
        let policy = options.retry
        let started = now()
        var machine = members[0].0.machine
        // Members of one digest share their counters; they start and end together.
        _ = machine.event(.attemptStarted(now: started), policy: policy, using: &random)
        do {
            try SQLiteDatabase.writeImmediate(pool) { db in
                for member in members {
                    var delivery = member.0
                    delivery.machine = machine
                    try Outbox.save(delivery, in: db)
                }
            }
        } catch {
            logger.error("notification outbox: cannot record an attempt", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
            return false
        }
        let outcome = await send(event, channel, started)
        let finished = now()
        let action = machine.event(.attemptFinished(outcome, now: finished), policy: policy, using: &random)
        do {
            try SQLiteDatabase.writeImmediate(pool) { db in
                for member in members {
                    var delivery = member.0
                    delivery.machine = machine
                    try Outbox.save(delivery, in: db)
                }
                if case let .disableChannel(reason) = action {
                    try Outbox.disable(channel, reason: reason, now: finished, in: db)
                    try Outbox.record(NotificationWorker.disabledNotice(channel, reason: reason, now: finished), in: db)
                }
            }
        } catch {
            // The send happened but is not stored: the next pass sends it again (same id).
            logger.error("notification outbox: cannot record a result", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
            return false
        }
        var metadata: Logger.Metadata = ["channel": "\(channel.name)", "event": "\(event.id)", "type": "\(event.kind.rawValue)",
                                         "attempt": "\(machine.attempts)"]
        if members.count > 1 { metadata["digest-of"] = "\(members.count)" }
        switch action {
        case .markDelivered:
            CountersignMetrics.notificationDelivered(channel: channel.name)
            logger.info("notification delivered", metadata: metadata.merging(["result": "\(outcome)"]) { $1 })
            return true
        case let .retry(at):
            CountersignMetrics.notificationFailed(channel: channel.name)
            logger.warning("notification not delivered; will retry", metadata: metadata.merging(
                ["error": "\(outcome)", "retry-in": "\(max(0, at - finished))s"]) { $1 })
            return false
        case .giveUp:
            CountersignMetrics.notificationFailed(channel: channel.name)
            logger.error("notification given up after retrying", metadata: metadata.merging(["error": "\(outcome)"]) { $1 })
            return true
        case let .disableChannel(reason):
            CountersignMetrics.notificationFailed(channel: channel.name)
            logger.error("notification endpoint gone; channel disabled", metadata: metadata.merging(["reason": "\(reason)"]) { $1 })
            disabled[channel.name] = reason
            noticeRecorded = true
            return false
        case .send, .none:
            return false
        }
    }

    /// The earliest time a channel's head or digest becomes due.
    private func nextDue() -> Int64? {
        do {
            return try pool.read { db in
                var due: Int64?
                for channel in channels where disabled[channel.name] == nil {
                    if let head = try Outbox.head(of: channel.name, in: db) {
                        due = min(due ?? .max, head.0.machine.nextAttemptAt)
                    }
                    if let digestDue = try Outbox.digest(of: channel.name, in: db).map(\.0.machine.nextAttemptAt).min() {
                        due = min(due ?? .max, digestDue)
                    }
                }
                return due
            }
        } catch {
            return nil
        }
    }

    // MARK: Events the worker makes

    /// Several `zone.resigned` events as one: an id derived from the members (a resend after a crash has
    /// the same id), the zone when they share one, and a line per re-sign.
    package static func digest(of events: [OperatorEvent], channel: String, interval: Int64) -> OperatorEvent {
        let ids = events.map(\.id)
        let hash = Array(SHA256.hash(data: Array(("countersign-digest\n\(channel)\n" + ids.joined(separator: "\n")).utf8)))
        let zones = Set(events.compactMap(\.zone))
        let zone = zones.count == 1 ? zones.first : nil
        let minutes = max(1, interval / 60)
        let summary = zone.map { "\($0): re-signed \(events.count) times (digest of \(minutes) min)" }
            ?? "\(zones.count) zones re-signed \(events.count) times (digest of \(minutes) min)"
        let lines = events.map { "\(NotificationTime.readable($0.time)) \($0.summary.replacingLineBreaks)" }
        return OperatorEvent(
            id: uuidString(hash), kind: .zoneResigned, severity: events.map(\.severity).max() ?? .info, zone: zone,
            time: events.map(\.time).max() ?? 0, summary: summary,
            details: ["digest": "\(events.count) events", "events": lines.joined(separator: "\n"),
                      "event-ids": ids.joined(separator: " ")])
    }

    static func disabledNotice(_ channel: NotificationChannel, reason: String, now: Int64) -> OperatorEvent {
        OperatorEvent(
            kind: .channelDisabled, severity: .critical, zone: nil, time: now,
            summary: "webhook '\(channel.name)' disabled: \(channel.target) answered \(reason.prefix(80)); "
                + "nothing more is sent to it until its URL changes in the configuration",
            details: ["channel": channel.name, "url": channel.target, "reason": reason])
    }

    /// A UUID-shaped id (version 8, RFC 9562) from the first 16 bytes of a hash.
    static func uuidString(_ hash: [UInt8]) -> String {
        var bytes = Array(hash.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    // MARK: Plumbing

    /// Runs passes one at a time: a pass awaits sends, and a second one interleaved with it could send
    /// the same head twice.
    private func exclusive<T: Sendable>(_ body: () async -> T) async -> T {
        while busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        let result = await body()
        busy = false
        if !waiters.isEmpty { waiters.removeFirst().resume() }
        return result
    }

    private func nap(seconds: Double) async {
        let task = Task { _ = try? await Task.sleep(for: .milliseconds(Int(seconds * 1000))) }
        sleeper = task
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        sleeper = nil
    }
}

/// A stored generator of any type, usable where a concrete `RandomNumberGenerator` is required.
struct AnyRandom: RandomNumberGenerator, Sendable {
    var base: any RandomNumberGenerator & Sendable
    mutating func next() -> UInt64 { base.next() }
}
