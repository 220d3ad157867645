import Foundation
import Logging

/// The daemons' swift-log handler: formats each event as one text or JSON line and hands it to `write`.
package struct CountersignLogHandler: LogHandler {
    package let label: String
    package let format: LogFormat
    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let write: @Sendable (String) -> Void
    private let clock: @Sendable () -> Date

    /// `clock` is for tests that want a fixed time in the line.
    package init(label: String, format: LogFormat, level: Logger.Level = .info,
                 metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
                 clock: @escaping @Sendable () -> Date = { Date() }, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.clock = clock
        self.write = write
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        let line = LogLine(time: clock(), level: event.level, label: label, message: event.message.description, metadata: merged)
        write(format == .json ? line.json : line.text)
    }
}
