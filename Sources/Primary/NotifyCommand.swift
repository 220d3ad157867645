import ArgumentParser
import DaemonKit
import Foundation

/// `dns-primary notify`: the operator notification channels (webhooks, email) — not DNS NOTIFY, which
/// is `zone notify`.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Operator notifications (webhooks, email); DNS NOTIFY targets are 'zone notify'.",
        subcommands: [NotifyTestCommand.self])
}

/// `dns-primary notify test`: one test event to every channel `serve` would deliver to — the config
/// file's (found as every command finds it: `--config`, `$DNS_PRIMARY_CONFIG`, the default path) with
/// the flags laid over them — each channel's result on its own line (`--json`: a list); exits 1 when
/// any failed. The same as `dns-signer notify test` (DaemonKit's `NotificationTest`). The database is
/// not opened.
struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Send a test event to every notification channel and report each result.")

    @OptionGroup var store: StoreOptions

    @OptionGroup(title: "Notification channels (simple cases; the config file holds the rest)")
    var notifications: NotificationChannelsOptions

    func run() async throws {
        try await NotificationTest.run(config: store.loadConfig(), flags: notifications, daemon: "dns-primary", json: store.json)
    }
}
