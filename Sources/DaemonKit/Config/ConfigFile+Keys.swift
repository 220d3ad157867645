/// The keys each daemon accepts, in one place: `validate` uses them, and a test checks every key documented
/// in deploy/*.conf.example against them (and the other way round).
extension ConfigFile {
    /// `dns-primary serve --config`.
    package static let primaryKeys: Set<String> = [
        "database", "listen", "resolver", "refresh", "retry", "threads", "allow-transfer", "log-format", "metrics-listen",
        "notification-history-days", "api-listen", "api-tls-certificate", "api-tls-key",
        "alias-require-authentic", "alias-concurrency", "journal-max-versions", "journal-max-bytes",
    ]

    /// `dns-signer serve --config`, top level.
    package static let signerKeys: Set<String> = [
        "database", "listen", "threads", "metrics-listen", "log-format", "notification-history-days", "parent-resolver",
        "journal-max-versions", "journal-max-bytes",
    ]

    /// Keys every notification channel takes: which events (`min-severity`, `zones`) and how often
    /// `zone.resigned` events are sent (`digest-minutes`: 0 sends each at once, N batches them into one
    /// message every N minutes).
    package static let channelKeys: Set<String> = ["min-severity", "zones", "digest-minutes"]

    /// The signer's notification channels: `[webhook NAME]`, `[smtp NAME]`, `[sendmail NAME]`.
    package static let signerSections: [String: Set<String>] = [
        "webhook": channelKeys.union(["url", "secret", "timeout"]),
        "smtp": channelKeys.union(["host", "port", "starttls", "username", "password-file", "ca-file", "timeout", "from", "to"]),
        "sendmail": channelKeys.union(["command", "from", "to"]),
    ]

    /// The primary's notification channels: the same sections as the signer's.
    package static let primarySections = signerSections

    /// `log-format` values.
    package static let logFormats = ["text", "json"]
}
