/// The config file's channel sections, read into `NotificationChannel`s:
///
///     [webhook ops]
///     url https://hooks.example.com/countersign
///     secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
///     min-severity warning          # info (default), warning, critical
///     zones example.com. example.org.   # default: every zone
///
///     [smtp oncall]
///     host smtp.example.com
///     port 587                      # default 587
///     starttls yes                  # default yes; 'no' only for a relay on a trusted network
///     username countersign
///     password-file /etc/countersign/smtp-password
///     from "Countersign <dns@example.com>"
///     to oncall@example.com ops@example.com
///     digest-minutes 15             # zone.resigned as one email every 15 minutes (default 0: each)
///
///     [sendmail local]
///     command /usr/sbin/sendmail -t -i   # the default
///     from dns@example.com
///     to root@localhost
///
extension NotificationSettings {
    package init(config: ConfigFile) throws(ConfigError) {
        var channels: [NotificationChannel] = []
        for section in config.sections {
            let channel: NotificationChannel
            switch section.kind {
            case "webhook": channel = try Self.webhook(section)
            case "smtp": channel = try Self.smtp(section)
            case "sendmail": channel = try Self.sendmail(section)
            default: continue
            }
            do {
                try channel.validate()
            } catch {
                throw ConfigError(file: section.file, line: section.line, reason: "[\(section.kind) \(section.name)]: \(error.reason)")
            }
            if let earlier = channels.first(where: { $0.name == channel.name }) {
                throw ConfigError(file: section.file, line: section.line,
                                  reason: "a channel named '\(channel.name)' is already defined (as \(earlier.kindName))")
            }
            channels.append(channel)
        }
        do {
            try self.init(channels: channels)
        } catch {
            throw ConfigError(file: config.file, line: nil, reason: error.description)
        }
    }

    private static func webhook(_ section: ConfigFile.Section) throws(ConfigError) -> NotificationChannel {
        let secretValue = try section.required("secret")
        let secret: WebhookSecret
        do {
            secret = try WebhookSecret(try secretValue.word())
        } catch let error as NotificationError {
            throw secretValue.error(error.reason)
        } catch {
            throw secretValue.error("\(error)")
        }
        let timeout = try section.single("timeout")?.seconds(in: 1...300) ?? 15
        return try common(section, .webhook(WebhookTarget(url: try section.required("url").word(), secret: secret,
                                                           timeout: Int64(timeout))))
    }

    private static func smtp(_ section: ConfigFile.Section) throws(ConfigError) -> NotificationChannel {
        let starttls = try section.single("starttls")?.boolean() ?? true
        var credentials: SMTPClientMachine.Credentials?
        let username = try section.single("username")?.word()
        let passwordFile = try section.single("password-file")
        switch (username, passwordFile) {
        case let (user?, file?):
            let path = try file.word()
            do {
                credentials = SMTPClientMachine.Credentials(username: user, password: try NotificationSettings.readSecretFile(path))
            } catch {
                throw file.error(error.reason)
            }
        case (nil, nil):
            break
        default:
            throw ConfigError(file: section.file, line: section.line,
                              reason: "[smtp \(section.name)] needs both 'username' and 'password-file', or neither")
        }
        let target = SMTPTarget(
            host: try section.required("host").word(),
            port: try section.single("port")?.integer(in: 1...65_535) ?? 587,
            security: starttls ? .startTLS : .none, credentials: credentials,
            from: try section.required("from").text, to: try recipients(section),
            caFile: try section.single("ca-file")?.word(),
            timeout: Int64(try section.single("timeout")?.seconds(in: 1...600) ?? 60))
        return try common(section, .smtp(target))
    }

    private static func sendmail(_ section: ConfigFile.Section) throws(ConfigError) -> NotificationChannel {
        let command = try section.single("command")?.words ?? SendmailTarget.defaultCommand
        let target = SendmailTarget(command: command, from: try section.required("from").text, to: try recipients(section))
        return try common(section, .sendmail(target))
    }

    /// `to` may list several addresses on one line and may be repeated.
    private static func recipients(_ section: ConfigFile.Section) throws(ConfigError) -> [String] {
        let values = section.values("to")
        guard !values.isEmpty else { _ = try section.required("to"); return [] }
        return values.flatMap(\.words)
    }

    /// The keys every channel takes: `min-severity`, `zones`, `digest-minutes`.
    private static func common(_ section: ConfigFile.Section, _ transport: NotificationChannel.Transport) throws(ConfigError) -> NotificationChannel {
        let severity = try section.single("min-severity")?.choice(OperatorEvent.Severity.allCases.map(\.rawValue))
        let zones = section.values("zones").flatMap(\.words)
        let digestMinutes = try section.single("digest-minutes")?.integer(in: 0...1440) ?? 0
        return NotificationChannel(
            name: section.name, transport: transport,
            minSeverity: severity.flatMap(OperatorEvent.Severity.init(rawValue:)) ?? .info,
            zones: zones, digestInterval: Int64(digestMinutes) * 60)
    }
}

extension NotificationWorker.Options {
    /// The worker's options from the config file's top-level `notification-history-days N` (how long
    /// settled events are kept; default 30, 0 keeps them all), the rest at their defaults.
    package init(config: ConfigFile) throws(ConfigError) {
        let days = try config.single("notification-history-days")?.integer(in: 0...3650)
        self.init(historySeconds: days.map { Int64($0) * 86_400 } ?? Self.defaultHistorySeconds)
    }
}
