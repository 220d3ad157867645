/// Which ALIAS lookups run, at most `limit` at once (`dns-primary serve --alias-concurrency`). Pure: the
/// caller starts the keys it is handed and reports each one back with `finished`, which hands out the
/// next ones at once.
///
/// Why a queue and not "start what fits every pass": a lookup takes a round trip (well under a
/// millisecond to a resolver on the host, tens of milliseconds to a distant one), while the publisher's
/// pass comes every quarter of a second. Starting lookups only in passes ran a thousand ALIAS records
/// at 32 lookups per pass, 2,000 lookups in 63 passes: 16 s before the zone could be served, whatever
/// the resolver's speed. Here a finished lookup is replaced by the next waiting one in the same step, so
/// the slots stay full and the time is the resolver's: lookups ÷ limit × round trip.
public struct AliasLookupQueue: Sendable, Equatable {
    /// Lookups running at once, at most (at least 1).
    public let limit: Int
    /// Keys waiting for a slot, oldest first; `head` is the next one.
    private var waiting: [AliasKey] = []
    private var head = 0
    private var queued: Set<AliasKey> = []
    /// Keys handed out and not yet finished.
    public private(set) var running: Set<AliasKey> = []

    public init(limit: Int) {
        precondition(limit >= 1, "an ALIAS lookup queue needs room for one lookup")
        self.limit = limit
    }

    /// Nothing waiting and nothing running: every lookup asked for has its answer.
    public var isIdle: Bool { running.isEmpty && queued.isEmpty }

    /// Keys waiting for a slot.
    public var waitingCount: Int { queued.count }

    /// `key` is waiting or running.
    public func contains(_ key: AliasKey) -> Bool { queued.contains(key) || running.contains(key) }

    /// Queues the keys that are neither waiting nor running, in the order given; returns those to start now.
    public mutating func enqueue(_ keys: some Sequence<AliasKey>) -> [AliasKey] {
        for key in keys where !running.contains(key) && queued.insert(key).inserted { waiting.append(key) }
        return fill()
    }

    /// `key`'s lookup ended (answer or failure): returns the keys to start in its place.
    public mutating func finished(_ key: AliasKey) -> [AliasKey] {
        running.remove(key)
        return fill()
    }

    /// Drops waiting keys that are not in `needed` (their ALIAS records were deleted); running ones finish.
    public mutating func retain(_ needed: Set<AliasKey>) {
        guard queued.contains(where: { !needed.contains($0) }) else { return }
        waiting = waiting[head...].filter { needed.contains($0) }
        head = 0
        queued = Set(waiting)
    }

    private mutating func fill() -> [AliasKey] {
        var start: [AliasKey] = []
        while running.count < limit, head < waiting.count {
            let key = waiting[head]
            head += 1
            queued.remove(key)
            running.insert(key)
            start.append(key)
        }
        // Compact once the consumed prefix dominates, so a long-running daemon's array stays small.
        if head > 64 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        return start
    }
}
