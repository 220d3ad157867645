import Foundation
import Logging

/// How log lines are written: `text` for people (`journalctl`), `json` for log shippers.
package enum LogFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case text, json
    package var description: String { rawValue }
}

/// Connects swift-log to standard error in the daemon's format, once per process.
///
/// One line per event either way. Text: `2024-05-01T12:00:00.123Z warning countersign.signer: transfer
/// refused zone=example.com. reason="shrunk by 80%"` — `zone` and `reason` first, then the other metadata
/// by key. JSON: one object per line with `time`, `level`, `logger`, `message` and every metadata key.
package enum LogSetup {
    private static let once = NSLock()
    nonisolated(unsafe) private static var done = false

    /// The first call bootstraps swift-log; later calls change nothing and return false (swift-log
    /// allows one bootstrap per process, and tests share the process).
    @discardableResult
    package static func bootstrap(format: LogFormat, level: Logger.Level = .info) -> Bool {
        once.lock()
        defer { once.unlock() }
        guard !done else { return false }
        done = true
        LoggingSystem.bootstrap { label in
            CountersignLogHandler(label: label, format: format, level: level, write: StandardError.write)
        }
        return true
    }
}

/// Writes whole lines to standard error, one `write(2)` each, so lines from several threads never mix.
enum StandardError {
    @Sendable static func write(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(2, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
