import Foundation

/// Wakes one sleeping loop early: a zone's worker sleeps until its next deadline (Knot's per-zone event
/// times) instead of ticking four times a second, and a NOTIFY, a settings change or an operator request
/// cuts the sleep short. A wake-up that comes while nobody sleeps is kept for the next `wait`, so none
/// is lost between two sleeps.
final class WakeupSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func wake() {
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume()
        } else {
            pending = true
            lock.unlock()
        }
    }

    /// Returns after `seconds`, at the first `wake()`, or when the task is cancelled.
    func wait(seconds: Double) async {
        guard seconds > 0 else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(min(seconds, 86_400) * 1e9))
            if !Task.isCancelled { self?.wake() }
        }
        await next()
        timer.cancel()
    }

    private func next() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if pending || Task.isCancelled {
                    pending = false
                    lock.unlock()
                    continuation.resume()
                    return
                }
                waiter = continuation
                lock.unlock()
            }
        } onCancel: {
            lock.lock()
            let waiting = waiter
            waiter = nil
            lock.unlock()
            waiting?.resume()
        }
    }
}
