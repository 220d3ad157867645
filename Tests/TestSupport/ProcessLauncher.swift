import Foundation

/// Starts child processes with an empty signal mask.
///
/// Swift Testing runs tests on worker threads whose signal mask blocks SIGTERM; a child started from
/// there inherits it, never sees SIGTERM, and can only be killed with SIGKILL (leaving NSD's children
/// behind). Launching from a fresh thread with every signal unblocked gives the child a normal mask.
public enum ProcessLauncher {
    public struct LaunchTimeout: Error, CustomStringConvertible {
        public var command: String
        public var description: String { "\(command) did not start within 10 s" }
    }

    public static func launch(_ process: Process) throws {
        final class Outcome: @unchecked Sendable { var error: (any Error)? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try process.run() } catch { outcome.error = error }
            done.signal()
        }
        thread.start()
        guard done.wait(timeout: .now() + 10) == .success else {
            throw LaunchTimeout(command: process.executableURL?.path ?? "?")
        }
        if let error = outcome.error { throw error }
    }
}
