import ArgumentParser
import Foundation

/// The simple notification channels as flags, taken (`@OptionGroup`) by `serve` and `notify test` of
/// both daemons. Each gives one channel, named after its flag (`webhook`, `smtp`, `sendmail`); a
/// config-file channel of the same name is replaced by it (flags override the file).
package struct NotificationChannelsOptions: ParsableArguments {
    @Option(name: .customLong("webhook"), help: "POST each event as signed JSON (Standard Webhooks) to this URL.")
    package var webhook: String?

    @Option(name: .customLong("webhook-secret"), help: "The webhook signing secret: whsec_<base64>, or any text used as is.")
    package var webhookSecret: String?

    @Option(name: .customLong("webhook-secret-file"), help: "Read the webhook signing secret from this file (keeps it out of ps).")
    package var webhookSecretFile: String?

    @Option(name: .customLong("smtp"), help: "Email each event through this SMTP submission server, HOST[:PORT] (default port 587, 465 with --smtp-tls).")
    package var smtp: String?

    @Flag(name: .customLong("smtp-starttls"), help: "Upgrade the SMTP connection with STARTTLS before anything else (refuse servers that cannot).")
    package var smtpStartTLS = false

    @Flag(name: .customLong("smtp-tls"), help: "Speak TLS from the first byte (SMTPS, port 465).")
    package var smtpTLS = false

    @Option(name: .customLong("smtp-user"), help: "Authenticate (AUTH PLAIN or LOGIN, only over TLS) as this user.")
    package var smtpUser: String?

    @Option(name: .customLong("smtp-password-file"), help: "The SMTP password, read from this file.")
    package var smtpPasswordFile: String?

    @Option(name: .customLong("smtp-ca-file"), help: "Trust the CA certificates in this PEM file for the SMTP server instead of the system's.")
    package var smtpCAFile: String?

    @Option(name: .customLong("sendmail"), help: "Email each event with this local command, e.g. \"/usr/sbin/sendmail -t -i\".")
    package var sendmail: String?

    @Option(name: .customLong("mail-from"), help: "The From: of notification emails, e.g. \"Countersign <dns@example.com>\".")
    package var mailFrom: String?

    @Option(name: .customLong("mail-to"), help: "A recipient of notification emails. Repeatable.")
    package var mailTo: [String] = []

    @Option(name: .customLong("notify-min-severity"), help: "Send the flag channels only events of at least this severity: info, warning, critical.")
    package var minSeverity: String?

    @Option(name: .customLong("notify-digest-minutes"), help: "Send zone.resigned events on the flag channels as one digest every N minutes (0: each at once).")
    package var digestMinutes: Int = 0

    package init() {}

    package func validate() throws {
        if webhook == nil && (webhookSecret != nil || webhookSecretFile != nil) {
            throw ValidationError("--webhook-secret needs --webhook URL")
        }
        if webhook != nil && (webhookSecret == nil) == (webhookSecretFile == nil) {
            throw ValidationError("--webhook needs one of --webhook-secret or --webhook-secret-file (receivers verify the signature)")
        }
        if smtp == nil && (smtpStartTLS || smtpTLS || smtpUser != nil || smtpPasswordFile != nil || smtpCAFile != nil) {
            throw ValidationError("--smtp-starttls, --smtp-tls, --smtp-user, --smtp-password-file and --smtp-ca-file need --smtp HOST[:PORT]")
        }
        if smtpStartTLS && smtpTLS { throw ValidationError("give --smtp-starttls or --smtp-tls, not both") }
        if (smtpUser == nil) != (smtpPasswordFile == nil) {
            throw ValidationError("--smtp-user and --smtp-password-file go together")
        }
        if smtp == nil && sendmail == nil && (mailFrom != nil || !mailTo.isEmpty) {
            throw ValidationError("--mail-from and --mail-to need --smtp HOST[:PORT] or --sendmail COMMAND")
        }
        if (smtp != nil || sendmail != nil) && (mailFrom == nil || mailTo.isEmpty) {
            throw ValidationError("email notifications need --mail-from ADDRESS and at least one --mail-to ADDRESS")
        }
        if let minSeverity, OperatorEvent.Severity(rawValue: minSeverity) == nil {
            throw ValidationError("--notify-min-severity \(minSeverity): use info, warning or critical")
        }
        guard (0...1440).contains(digestMinutes) else { throw ValidationError("--notify-digest-minutes must be 0...1440") }
    }

    /// True when no channel flag was given.
    package var isEmpty: Bool { webhook == nil && smtp == nil && sendmail == nil }

    /// The channels the flags describe (secret and password files are read here).
    package func channels() throws -> [NotificationChannel] {
        let severity = minSeverity.flatMap(OperatorEvent.Severity.init(rawValue:)) ?? .info
        let digest = Int64(digestMinutes) * 60
        var channels: [NotificationChannel] = []
        if let webhook {
            let secretText = try webhookSecretFile.map(NotificationSettings.readSecretFile) ?? webhookSecret ?? ""
            let secret = try WebhookSecret(secretText)
            channels.append(NotificationChannel(name: "webhook", transport: .webhook(WebhookTarget(url: webhook, secret: secret)),
                                                minSeverity: severity, digestInterval: digest))
        }
        if let smtp {
            let security: SMTPClientMachine.Security = smtpTLS ? .implicitTLS : smtpStartTLS ? .startTLS : .none
            let (host, port) = try Self.hostAndPort(smtp, defaultPort: smtpTLS ? 465 : 587)
            let credentials = try smtpUser.map { user in
                SMTPClientMachine.Credentials(username: user, password: try NotificationSettings.readSecretFile(smtpPasswordFile ?? ""))
            }
            channels.append(NotificationChannel(
                name: "smtp",
                transport: .smtp(SMTPTarget(host: host, port: port, security: security, credentials: credentials,
                                            from: mailFrom ?? "", to: mailTo, caFile: smtpCAFile)),
                minSeverity: severity, digestInterval: digest))
        }
        if let sendmail {
            let command = sendmail.split(separator: " ").map(String.init)
            channels.append(NotificationChannel(
                name: "sendmail", transport: .sendmail(SendmailTarget(command: command, from: mailFrom ?? "", to: mailTo)),
                minSeverity: severity, digestInterval: digest))
        }
        for channel in channels { try channel.validate() }
        return channels
    }

    /// The config file's channels with the flags' laid over them.
    package func settings(config: ConfigFile) throws -> NotificationSettings {
        try NotificationSettings(config: config).overriding(with: channels())
    }

    /// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
    package static func hostAndPort(_ text: String, defaultPort: Int) throws -> (String, Int) {
        func port(_ digits: Substring) throws -> Int {
            guard let value = Int(digits), (1...65_535).contains(value) else {
                throw ValidationError("--smtp \(text): the port must be 1-65535")
            }
            return value
        }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.hasPrefix(":") else { throw ValidationError("--smtp \(text): expected [ADDRESS]:PORT") }
            return (host, try port(rest.dropFirst()))
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") {
            return (String(text[..<colon]), try port(text[text.index(after: colon)...]))
        }
        guard !text.isEmpty else { throw ValidationError("--smtp needs a host") }
        return (text, defaultPort)
    }
}
