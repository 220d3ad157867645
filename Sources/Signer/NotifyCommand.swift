import ArgumentParser
import DaemonKit
import Foundation

/// `dns-signer notify`: the notification channels.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Operator notifications (webhooks, email).", subcommands: [NotifyTestCommand.self])
}

/// `dns-signer notify test`: one test event to every channel — from the config file and the flags, as
/// `serve` would use them — with each channel's result on its own line. Nothing is recorded in the
/// outbox and nothing is retried: this is the check an operator runs after editing the configuration.
/// Exits 1 when any channel failed.
struct NotifyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Send a test event to every notification channel and report each result.")

    @Option(help: "The daemon's config file; its [webhook NAME], [smtp NAME] and [sendmail NAME] sections are tested.")
    var config: String?

    @OptionGroup var notifications: NotificationChannelsOptions

    func run() async throws {
        let file = try config.map { path in
            let file = try ConfigFile.load(path: path)
            try file.validate(allowedKeys: ConfigFile.signerKeys, sections: ConfigFile.signerSections)
            return file
        } ?? .empty
        let settings = try notifications.settings(config: file)
        guard !settings.isEmpty else {
            throw ValidationError("no notification channels: give --config FILE with [webhook NAME], [smtp NAME] or "
                                  + "[sendmail NAME] sections, or --webhook, --smtp or --sendmail")
        }
        let host = ProcessInfo.processInfo.hostName
        let now = Int64(Date().timeIntervalSince1970)
        var failed = 0
        for channel in settings.channels {
            let event = OperatorEvent(
                kind: .test, severity: .info, zone: nil, time: now,
                summary: "test notification from dns-signer on \(host) to the channel '\(channel.name)'",
                details: ["channel": channel.name, "host": host])
            let outcome = await NotificationSender.send(event, via: channel, now: now)
            print("\(channel): \(outcome)")
            if !outcome.isDelivered { failed += 1 }
        }
        if failed > 0 {
            SignerOptions.note("\(failed) of \(settings.channels.count) notification channel(s) failed")
            throw ExitCode(1)
        }
    }
}
