import Foundation

/// Sends one event over one channel's transport, once, and says how it went. No retries here: the
/// worker decides those (and `dns-signer notify test` reports the single attempt).
package enum NotificationSender {
    /// `now` is the attempt's time (the webhook timestamp); the event keeps its own time.
    package static func send(_ event: OperatorEvent, via channel: NotificationChannel, now: Int64) async -> DeliveryOutcome {
        switch channel.transport {
        case let .webhook(target):
            return await WebhookClient.post(event, to: target, now: now)
        case let .smtp(target):
            let message = EmailMessage.forEvent(event, from: target.from, to: target.to, channel: channel.name)
            let configuration = SMTPClientMachine.Configuration(
                clientName: target.clientName ?? localHostName(), security: target.security,
                credentials: target.credentials, mailFrom: EmailMessage.address(in: target.from),
                recipients: target.to.map(EmailMessage.address(in:)), message: message.rendered())
            let result = await SMTPConnection.submit(host: target.host, port: target.port, configuration: configuration,
                                                     caFile: target.caFile, timeout: target.timeout)
            switch result {
            case let .delivered(reply): return .delivered("SMTP \(reply)")
            case .failed: return .failed("SMTP \(target.host):\(target.port): \(result)")
            }
        case let .sendmail(target):
            let message = EmailMessage.forEvent(event, from: target.from, to: target.to, channel: channel.name)
            return await SendmailRunner.run(message, target: target)
        }
    }

    /// This host's name for EHLO; RFC 5321 wants a name or an address literal, never an empty string.
    static func localHostName() -> String {
        let name = ProcessInfo.processInfo.hostName
        let clean = name.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        return clean.isEmpty ? "[127.0.0.1]" : clean
    }
}
