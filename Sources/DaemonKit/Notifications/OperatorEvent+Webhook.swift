import Foundation

extension OperatorEvent {
    /// The JSON a webhook receives: `id`, `type`, `zone` (null for daemon-wide events), `time` (ISO 8601,
    /// when it happened), `severity`, `summary` and `details`. Keys sorted and no insignificant
    /// whitespace, so the same event always gives the same bytes (a resend carries the same signature
    /// content apart from the attempt's timestamp).
    package func webhookBody() -> [UInt8] {
        struct Payload: Encodable {
            var event: OperatorEvent
            enum Keys: String, CodingKey { case id, type, zone, time, severity, summary, details }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(event.id, forKey: .id)
                try container.encode(event.kind.rawValue, forKey: .type)
                try container.encode(event.zone, forKey: .zone)
                try container.encode(NotificationTime.iso8601(event.time), forKey: .time)
                try container.encode(event.severity.rawValue, forKey: .severity)
                try container.encode(event.summary, forKey: .summary)
                try container.encode(event.details, forKey: .details)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and a [String: String] cannot fail.
        return Array((try? encoder.encode(Payload(event: self))) ?? Data("{}".utf8))
    }
}
