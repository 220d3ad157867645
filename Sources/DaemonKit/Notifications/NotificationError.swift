/// Why a notification channel could not be set up or a delivery failed: the channel, the stage (which
/// transport, or the configuration) and a reason an operator can act on. Delivery failures are also kept,
/// as text, in `outbox_deliveries.last_error`.
package struct NotificationError: Error, Equatable, Sendable, CustomStringConvertible {
    package enum Stage: String, Sendable {
        case configuration, webhook, smtp, sendmail, store
    }

    /// The channel's name; nil before one is known (a bad flag).
    package var channel: String?
    package var stage: Stage
    package var reason: String

    package init(channel: String?, stage: Stage, reason: String) {
        self.channel = channel
        self.stage = stage
        self.reason = reason
    }

    package var description: String {
        (channel.map { "channel '\($0)': " } ?? "") + "\(stage.rawValue): \(reason)"
    }
}
