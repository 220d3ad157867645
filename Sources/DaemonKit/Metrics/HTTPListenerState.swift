import Foundation
import NIOCore

/// An HTTP server's listener and its count of open connections, shared with the event loop that
/// accepts them: the operations server (/metrics, /healthz) and the primary's API server both cap
/// their connections with it.
package final class HTTPListenerState: @unchecked Sendable {
    package struct Value {
        package var channel: (any Channel)?
        package var connections = 0
    }

    private let lock = NSLock()
    private var value = Value()

    package init() {}

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// Counts `channel` in while fewer than `limit` are open (and out again when it closes); false: the
    /// caller closes it unserved.
    package func admit(_ channel: any Channel, limit: Int) -> Bool {
        let admitted = withLock { current -> Bool in
            guard current.connections < limit else { return false }
            current.connections += 1
            return true
        }
        if admitted { channel.closeFuture.whenComplete { [self] _ in withLock { $0.connections -= 1 } } }
        return admitted
    }
}
