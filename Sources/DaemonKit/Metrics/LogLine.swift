import Foundation
import Logging

/// One log event rendered as a single line, in text or JSON. Pure, so the format is tested directly.
package struct LogLine: Sendable {
    package var time: Date
    package var level: Logger.Level
    package var label: String
    package var message: String
    package var metadata: Logger.Metadata

    package init(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }

    /// Keys shown first in text, in this order: what operators grep for.
    static let leadingKeys = ["zone", "reason"]
    /// Fields of the JSON object that metadata may not overwrite; a clashing key gets a `meta.` prefix.
    static let reservedKeys: Set<String> = ["time", "level", "logger", "message"]

    /// `TIME LEVEL LABEL: MESSAGE key=value ...`; values with spaces, quotes, `=` or nothing are quoted,
    /// and line breaks are escaped so an event is always one line.
    package var text: String {
        var out = "\(LogLine.timestamp(time)) \(level) \(label): \(LogLine.escapeLineBreaks(message))"
        for key in orderedKeys {
            out += " \(key)=\(LogLine.quoteIfNeeded(LogLine.flatText(metadata[key]!)))"
        }
        return out
    }

    /// `{"time":…,"level":…,"logger":…,"message":…, metadata…}` with sorted keys; nested metadata stays
    /// nested (dictionaries as objects, arrays as arrays).
    package var json: String {
        var object: [String: Any] = [
            "time": LogLine.timestamp(time), "level": level.rawValue, "logger": label, "message": message,
        ]
        for (key, value) in metadata {
            object[LogLine.reservedKeys.contains(key) ? "meta.\(key)" : key] = LogLine.jsonValue(value)
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"level":"error","message":"log line could not be encoded"}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    private var orderedKeys: [String] {
        let leading = LogLine.leadingKeys.filter { metadata[$0] != nil }
        return leading + metadata.keys.filter { !LogLine.leadingKeys.contains($0) }.sorted()
    }

    static func flatText(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case let .string(text): text
        case let .stringConvertible(item): item.description
        case let .array(items): "[" + items.map(flatText).joined(separator: ",") + "]"
        case let .dictionary(entries):
            "{" + entries.keys.sorted().map { "\($0)=\(flatText(entries[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case let .string(text): text
        case let .stringConvertible(item): item.description
        case let .array(items): items.map(jsonValue)
        case let .dictionary(entries): entries.mapValues(jsonValue)
        }
    }

    static func quoteIfNeeded(_ value: String) -> String {
        let plain = !value.isEmpty && !value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.isNewline || $0 == "\t" }
        guard !plain else { return value }
        var out = "\""
        for character in value {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    static func escapeLineBreaks(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `2024-05-01T12:00:00.123Z` (UTC, milliseconds).
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        let millis = Int((interval - interval.rounded(.down)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }
}
