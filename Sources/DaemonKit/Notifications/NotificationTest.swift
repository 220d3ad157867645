import ArgumentParser
import Foundation

/// What `dns-signer notify test` and `dns-primary notify test` do once each has read its own config file:
/// one test event to every channel — the file's sections with the flags laid over them, as `serve` would
/// use them — with each channel's result on its own line. Nothing is recorded in the outbox and nothing
/// is retried: this is the check an operator runs after editing the configuration. Exits 1 (after
/// naming how many failed) when any channel failed.
package enum NotificationTest {
    /// One channel's result; `--json` prints a list of these.
    package struct Result: Sendable, Equatable, Encodable {
        package var channel: String
        package var kind: String
        package var target: String
        package var delivered: Bool
        /// The outcome as text: `delivered (HTTP 204)`, `failed: connection refused`, ...
        package var result: String

        /// The line printed for the channel: `webhook 'ops' (https://...): delivered (HTTP 204)`.
        package var line: String { "\(kind) '\(channel)' (\(target)): \(result)" }
    }

    /// Runs the test for `daemon` (`dns-signer`, `dns-primary`: named in the event and in errors) and
    /// prints the results, as text lines as they come or as one JSON list at the end.
    package static func run(config: ConfigFile, flags: NotificationChannelsOptions, daemon: String, json: Bool = false) async throws {
        let settings = try flags.settings(config: config)
        guard !settings.isEmpty else {
            throw ValidationError("no notification channels: give --config FILE with [webhook NAME], [smtp NAME] or "
                                  + "[sendmail NAME] sections, or --webhook, --smtp or --sendmail")
        }
        let host = ProcessInfo.processInfo.hostName
        var results: [Result] = []
        for channel in settings.channels {
            let result = await test(channel, daemon: daemon, host: host, now: NotificationWorker.systemNow())
            if !json { print(result.line) }
            results.append(result)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
        let failed = results.filter { !$0.delivered }.count
        if failed > 0 {
            FileHandle.standardError.write(Data("\(daemon): \(failed) of \(results.count) notification channel(s) failed\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Sends one test event over `channel` (the real transport) and describes what came of it.
    package static func test(_ channel: NotificationChannel, daemon: String, host: String, now: Int64) async -> Result {
        let event = OperatorEvent(
            kind: .test, severity: .info, zone: nil, time: now,
            summary: "test notification from \(daemon) on \(host) to the channel '\(channel.name)'",
            details: ["channel": channel.name, "host": host, "daemon": daemon])
        let outcome = await NotificationSender.send(event, via: channel, now: now)
        return Result(channel: channel.name, kind: channel.kindName, target: channel.target, delivered: outcome.isDelivered,
                      result: outcome.description)
    }
}
