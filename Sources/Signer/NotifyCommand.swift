import ArgumentParser
import DaemonKit
import Foundation

/// `dns-signer notify`: the notification channels.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Operator notifications (webhooks, email).", subcommands: [NotifyTestCommand.self])
}

/// `dns-signer notify test`: one test event to every channel of the config file and the flags, each
/// channel's result on its own line; exits 1 when any failed (DaemonKit's `NotificationTest`, shared
/// with `dns-primary notify test`).
struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Send a test event to every notification channel and report each result.")

    @Option(help: "The daemon's config file (default: as `serve` finds it: $DNS_SIGNER_CONFIG, else /etc/countersign/signer.conf when it exists); its [webhook NAME], [smtp NAME] and [sendmail NAME] sections are tested.")
    var config: String?

    @OptionGroup var notifications: NotificationChannelsOptions

    func run() async throws {
        // The same file `serve` would read, so the test covers the channels the daemon uses.
        let file = try SignerServeSettings.loadConfig(config, environment: ProcessInfo.processInfo.environment)
        try await NotificationTest.run(config: file, flags: notifications, daemon: "dns-signer")
    }
}
