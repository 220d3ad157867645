import DNSEdge

/// The times (and result texts) of unchanged polls, written to the store together every half minute instead of in one
/// transaction per poll; a zone whose time alone moved is written at most every `quietWriteInterval`.
///
/// Ten thousand zones polled every minute are 167 polls a second; when nothing changed, all that a poll
/// has to record is when it ran. A `BEGIN IMMEDIATE` transaction with a synced commit for each cost most
/// of the signer's CPU at rest. The times are kept here (the newest per zone) and written in one
/// transaction by `flush`; a poll with anything else to record (a new result, a failure, an event, a
/// published version) is written at once as before, so only "last poll at" in `zone status` lags.
/// Writing every zone's time every half minute was still the largest part of the signer's CPU at rest
/// (SQLite and its page I/O, a fifth of it with ten thousand zones polled every minute), so a zone whose
/// poll changed only its time is written when its stored time is `quietWriteInterval` old: "last poll
/// at" lags by at most that plus the flush interval (the metrics and `/healthz` have the live times), and
/// a new result text is written at the next flush. After a crash the stored times are that much older: a
/// zone's SOA expire clock restarts from its last stored success, a few minutes earlier than it was,
/// never later.
final class PollTimes: Sendable {
    /// How often the daemon writes the pending times.
    static let flushInterval: Duration = .seconds(30)
    /// How old a zone's stored poll time may grow before a quiet poll's time is written.
    static let quietWriteInterval: Int64 = 300

    private let pending = Locked<[String: SignerStore.PollTime]>([:])
    /// The poll time last written per zone (by `flush`).
    private let written = Locked<[String: Int64]>([:])

    /// Keeps the newest time per zone; a result noted earlier stays unless a newer one replaces it
    /// (a poll notes its result only when it differs from the one recorded before).
    func note(_ time: SignerStore.PollTime) {
        pending.withLock { pending in
            var time = time
            if time.result == nil { time.result = pending[time.zone]?.result }
            pending[time.zone] = time
        }
    }

    /// Hands what is due to `write` (the store's `recordPollTimes`, one transaction): a new result text,
    /// a zone never written, or a stored time `quietWriteInterval` old; everything with `all` (the daemon
    /// stops). When `write` throws the times are kept for the next try (unless a newer one arrived
    /// meanwhile).
    func flush(all: Bool = false, _ write: ([SignerStore.PollTime]) throws -> Void) throws {
        let last = written.withLock { $0 }
        let batch = pending.withLock { pending -> [SignerStore.PollTime] in
            var due: [SignerStore.PollTime] = []
            for (zone, time) in pending {
                guard all || time.result != nil || last[zone].map({ time.lastPollAt - $0 >= Self.quietWriteInterval }) ?? true else { continue }
                due.append(time)
                pending[zone] = nil
            }
            return due
        }
        guard !batch.isEmpty else { return }
        do {
            try write(batch)
            written.withLock { written in
                for time in batch { written[time.zone] = time.lastPollAt }
            }
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
