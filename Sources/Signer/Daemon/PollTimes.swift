import DNSEdge

/// The times (and result texts) of unchanged polls, written to the store together every half minute instead of in one
/// transaction per poll.
///
/// Ten thousand zones polled every minute are 167 polls a second; when nothing changed, all that a poll
/// has to record is when it ran. A `BEGIN IMMEDIATE` transaction with a synced commit for each cost most
/// of the signer's CPU at rest. The times are kept here (the newest per zone) and written in one
/// transaction by `flush`; a poll with anything else to record (a new result, a failure, an event, a
/// published version) is written at once as before, so only "last poll at" in `zone status` lags, by
/// at most the flush interval. After a crash the stored times are that much older: a zone's SOA expire
/// clock restarts from its last stored success, a little earlier than it was, never later.
final class PollTimes: Sendable {
    /// How often the daemon writes the pending times.
    static let flushInterval: Duration = .seconds(30)

    private let pending = Locked<[String: SignerStore.PollTime]>([:])

    /// Keeps the newest time per zone; a result noted earlier stays unless a newer one replaces it
    /// (a poll notes its result only when it differs from the one recorded before).
    func note(_ time: SignerStore.PollTime) {
        pending.withLock { pending in
            var time = time
            if time.result == nil { time.result = pending[time.zone]?.result }
            pending[time.zone] = time
        }
    }

    /// Hands what is pending to `write` (the store's `recordPollTimes`, one transaction); when it throws
    /// the times are kept for the next try (unless a newer one arrived meanwhile).
    func flush(_ write: ([SignerStore.PollTime]) throws -> Void) throws {
        let batch = pending.withLock { pending -> [SignerStore.PollTime] in
            defer { pending.removeAll(keepingCapacity: true) }
            return Array(pending.values)
        }
        guard !batch.isEmpty else { return }
        do {
            try write(batch)
        } catch {
            pending.withLock { pending in
                for time in batch {
                    if let newer = pending[time.zone] {
                        if newer.result == nil { pending[time.zone]?.result = time.result }
                    } else {
                        pending[time.zone] = time
                    }
                }
            }
            throw error
        }
    }

    /// How many zones' times wait for the next flush.
    var count: Int { pending.withLock { $0.count } }
}
