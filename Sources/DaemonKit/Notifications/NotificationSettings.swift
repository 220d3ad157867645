import Foundation

/// The notification channels a daemon delivers to: the config file's `[webhook NAME]`, `[smtp NAME]` and
/// `[sendmail NAME]` sections (`NotificationSettings(config:)`), with the command-line channels laid
/// over them (`overriding(with:)`).
package struct NotificationSettings: Sendable, Equatable {
    package private(set) var channels: [NotificationChannel]

    /// Checks every channel and refuses two with one name.
    package init(channels: [NotificationChannel] = []) throws(NotificationError) {
        self.channels = []
        for channel in channels {
            try channel.validate()
            guard !self.channels.contains(where: { $0.name == channel.name }) else {
                throw NotificationError(channel: channel.name, stage: .configuration, reason: "two channels have this name")
            }
            self.channels.append(channel)
        }
    }

    package var isEmpty: Bool { channels.isEmpty }

    /// These settings with `flags`' channels added; a flag channel replaces a file channel of the same
    /// name (flags override the file).
    package func overriding(with flags: [NotificationChannel]) throws(NotificationError) -> NotificationSettings {
        var merged = channels.filter { channel in !flags.contains { $0.name == channel.name } }
        merged += flags
        return try NotificationSettings(channels: merged)
    }

    /// A password or secret kept in a file: its text without the final line break. The file should be
    /// readable by the daemon's user only; that is the operator's to set, and is not checked.
    package static func readSecretFile(_ path: String) throws(NotificationError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotificationError(channel: nil, stage: .configuration, reason: "cannot read \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else {
            throw NotificationError(channel: nil, stage: .configuration, reason: "\(path) is empty")
        }
        return text
    }
}
