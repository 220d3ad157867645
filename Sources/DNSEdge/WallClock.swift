import Foundation
import NIOCore

/// Clock reads for the edge: wall-clock seconds for TSIG, monotonic milliseconds for timers.
/// Injected so tests can move time (a TSIG BADTIME test, a NOTIFY retry test).
public struct WallClock: Sendable {
    public var seconds: @Sendable () -> UInt64
    public var milliseconds: @Sendable () -> UInt64

    public init(seconds: @escaping @Sendable () -> UInt64, milliseconds: @escaping @Sendable () -> UInt64) {
        self.seconds = seconds
        self.milliseconds = milliseconds
    }

    public static let system = WallClock(
        seconds: { UInt64(max(0, Date().timeIntervalSince1970)) },
        milliseconds: { NIODeadline.now().uptimeNanoseconds / 1_000_000 })
}
