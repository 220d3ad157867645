/// Where operator events go, and which of them: a webhook, an SMTP submission server or a local
/// `sendmail`, with filters by severity and zone, and whether `zone.resigned` events go one by one or as
/// a digest.
///
/// A channel is known by its `name` (the config file's `[webhook NAME]`): delivery progress and a
/// disabled endpoint are stored under it, so a renamed channel starts afresh.
package struct NotificationChannel: Sendable, Equatable, CustomStringConvertible {
    package enum Transport: Sendable, Equatable {
        case webhook(WebhookTarget)
        case smtp(SMTPTarget)
        case sendmail(SendmailTarget)
    }

    package var name: String
    package var transport: Transport
    /// Events below this severity are not sent here.
    package var minSeverity: OperatorEvent.Severity
    /// Only these zones (absolute, lowercased); empty means every zone. Daemon-wide events (no zone)
    /// always pass.
    package var zones: Set<String>
    /// 0: each `zone.resigned` event on its own; N: one digest of them every N seconds.
    package var digestInterval: Int64

    package init(name: String, transport: Transport, minSeverity: OperatorEvent.Severity = .info,
                 zones: [String] = [], digestInterval: Int64 = 0) {
        self.name = name
        self.transport = transport
        self.minSeverity = minSeverity
        self.zones = Set(zones.map(NotificationChannel.normalizedZone))
        self.digestInterval = max(0, digestInterval)
    }

    /// Whether the filters let `event` through.
    package func accepts(_ event: OperatorEvent) -> Bool {
        guard event.severity >= minSeverity else { return false }
        guard let zone = event.zone, !zones.isEmpty else { return true }
        return zones.contains(NotificationChannel.normalizedZone(zone))
    }

    /// Email channels hear about webhook endpoints that were disabled.
    package var isEmail: Bool {
        switch transport {
        case .webhook: false
        case .smtp, .sendmail: true
        }
    }

    /// Where the channel delivers, without secrets: the URL, `smtp://host:port → a, b`, or the command.
    /// A disabled endpoint is enabled again when this changes (the operator fixed the configuration).
    package var target: String {
        switch transport {
        case let .webhook(webhook): webhook.url
        case let .smtp(smtp): "smtp://\(smtp.host):\(smtp.port) → \(smtp.to.joined(separator: ", "))"
        case let .sendmail(sendmail): "\(sendmail.command.joined(separator: " ")) → \(sendmail.to.joined(separator: ", "))"
        }
    }

    package var kindName: String {
        switch transport {
        case .webhook: "webhook"
        case .smtp: "smtp"
        case .sendmail: "sendmail"
        }
    }

    package var description: String { "\(kindName) '\(name)' (\(target))" }

    /// `Example.COM` → `example.com.`.
    package static func normalizedZone(_ zone: String) -> String {
        let lower = zone.lowercased()
        return lower.hasSuffix(".") ? lower : lower + "."
    }

    /// Refuses what cannot work, naming the channel: a bad URL, an email without recipients, a password
    /// that would travel without TLS, header injection through an address.
    package func validate() throws(NotificationError) {
        func refuse(_ reason: String) -> NotificationError {
            NotificationError(channel: name, stage: .configuration, reason: reason)
        }
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\n" }) else {
            throw refuse("a channel name must be one word")
        }
        switch transport {
        case let .webhook(webhook):
            let lower = webhook.url.lowercased()
            guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), webhook.url.count > 8,
                  !webhook.url.contains(where: { $0 == " " || $0 == "\n" || $0 == "\r" }) else {
                throw refuse("webhook URL '\(webhook.url)' must be an http:// or https:// URL")
            }
            guard webhook.timeout >= 1 else { throw refuse("webhook timeout must be at least 1 second") }
        case let .smtp(smtp):
            guard !smtp.host.isEmpty, (1...65_535).contains(smtp.port) else { throw refuse("SMTP server needs a host and a port 1-65535") }
            try validateMail(from: smtp.from, to: smtp.to, refuse)
            if smtp.credentials != nil && smtp.security == .none {
                throw refuse("a password is only sent over TLS: use STARTTLS (starttls yes, --smtp-starttls) or implicit TLS")
            }
        case let .sendmail(sendmail):
            guard let program = sendmail.command.first, program.hasPrefix("/") else {
                throw refuse("sendmail command must start with an absolute path (e.g. /usr/sbin/sendmail -t -i)")
            }
            try validateMail(from: sendmail.from, to: sendmail.to, refuse)
        }
    }

    private func validateMail(from: String, to: [String], _ refuse: (String) -> NotificationError) throws(NotificationError) {
        if let problem = EmailMessage.checkMailbox(from) { throw refuse("from: \(problem)") }
        guard !to.isEmpty else { throw refuse("an email channel needs at least one recipient (to)") }
        for recipient in to {
            if let problem = EmailMessage.checkMailbox(recipient) { throw refuse("to: \(problem)") }
        }
    }
}

/// A Standard Webhooks endpoint.
package struct WebhookTarget: Sendable, Equatable {
    package var url: String
    package var secret: WebhookSecret
    /// Seconds for the whole request (Standard Webhooks suggests 15–30).
    package var timeout: Int64

    package init(url: String, secret: WebhookSecret, timeout: Int64 = 15) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
    }
}

/// An SMTP submission server.
package struct SMTPTarget: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var security: SMTPClientMachine.Security
    package var credentials: SMTPClientMachine.Credentials?
    /// `From:` (`Countersign <dns@example.com>` or a bare address); the envelope sender is its address.
    package var from: String
    package var to: [String]
    /// A PEM file of CA certificates to trust instead of the system's (a private CA, a test certificate).
    package var caFile: String?
    /// The name given with EHLO; this host's name when nil.
    package var clientName: String?
    /// Seconds for the whole dialogue.
    package var timeout: Int64

    package init(host: String, port: Int = 587, security: SMTPClientMachine.Security = .startTLS,
                 credentials: SMTPClientMachine.Credentials? = nil, from: String, to: [String], caFile: String? = nil,
                 clientName: String? = nil, timeout: Int64 = 60) {
        self.host = host
        self.port = port
        self.security = security
        self.credentials = credentials
        self.from = from
        self.to = to
        self.caFile = caFile
        self.clientName = clientName
        self.timeout = timeout
    }
}

/// A local `sendmail`-compatible command that reads the message on stdin and takes the recipients from
/// its headers (`-t`), not stopping at a line holding only a dot (`-i`).
package struct SendmailTarget: Sendable, Equatable {
    package static let defaultCommand = ["/usr/sbin/sendmail", "-t", "-i"]

    package var command: [String]
    package var from: String
    package var to: [String]
    package var timeout: Int64

    package init(command: [String] = SendmailTarget.defaultCommand, from: String, to: [String], timeout: Int64 = 60) {
        self.command = command
        self.from = from
        self.to = to
        self.timeout = timeout
    }
}
