import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT, the daemons' signal to stop: the listeners close and the process exits
/// cleanly instead of dying mid-write.
public enum SignalWait {
    public static func untilTerminated() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Locked(false)
            var sources: [DispatchSourceSignal] = []
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    let first = once.withLock { fired in
                        defer { fired = true }
                        return !fired
                    }
                    if first { continuation.resume() }
                }
                source.resume()
                sources.append(source)
            }
            // The sources must outlive this scope; they live as long as the process does.
            SignalWait.keepAlive.withLock { $0.append(contentsOf: sources) }
        }
    }

    private static let keepAlive = Locked<[DispatchSourceSignal]>([])
}
