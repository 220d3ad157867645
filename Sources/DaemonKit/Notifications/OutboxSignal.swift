import DNSEdge

/// Says "events were just committed to the outbox" from the store that records them to the daemon's
/// notification worker, so an alert goes out at once instead of at the worker's next idle pass (which
/// would still find it: the signal is for speed, never for correctness). In-process only; an event
/// recorded by another process waits for that pass.
package final class OutboxSignal: Sendable {
    private let handler = Locked<(@Sendable () -> Void)?>(nil)

    package init() {}

    /// Calls `body` after each commit that recorded events (the daemon passes its worker's `wake`).
    package func onEventsCommitted(_ body: @escaping @Sendable () -> Void) {
        handler.withLock { $0 = body }
    }

    /// Called by a store after a transaction that recorded at least one event has committed.
    package func eventsCommitted() {
        handler.current?()
    }
}
