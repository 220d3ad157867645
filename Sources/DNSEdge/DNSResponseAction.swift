/// What the server does with a request: send one message, stream several (zone transfers, TCP only),
/// or send nothing.
public enum DNSResponseAction: Sendable {
    case reply([UInt8])
    case stream(DNSResponseStream)
    case drop
}

/// The messages of a multi-message response, produced one at a time as the connection can take them,
/// so a large zone is never encoded all at once. Used on one event loop only.
public final class DNSResponseStream: @unchecked Sendable {
    private let produce: () -> [UInt8]?
    private let onFinish: (_ completed: Bool) -> Void
    private var finished = false

    /// `next` returns nil after the last message; `onFinish` runs once, with true when every message
    /// was produced and written, false when the connection went away first.
    public init(next: @escaping () -> [UInt8]?, onFinish: @escaping (_ completed: Bool) -> Void = { _ in }) {
        self.produce = next
        self.onFinish = onFinish
    }

    public func next() -> [UInt8]? {
        guard !finished else { return nil }
        return produce()
    }

    public func finish(completed: Bool) {
        guard !finished else { return }
        finished = true
        onFinish(completed)
    }
}
