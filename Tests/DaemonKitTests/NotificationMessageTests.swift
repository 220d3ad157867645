import Foundation
import Testing
@testable import DaemonKit

/// What a receiver sees: the webhook signature (checked against the Standard Webhooks test vector), the
/// JSON body, the email as a mail reader parses it (Python's email package as the judge), and the
/// channel settings an operator writes.
@Suite struct NotificationMessageTests {
    static let event = OperatorEvent(
        id: "0b4e8f7a-3c1d-4e2f-9a8b-7c6d5e4f3a2b", kind: .zoneResigned, severity: .info, zone: "example.com.",
        time: 1_700_000_000, summary: "example.com.: re-signed, serial 1700000000 → 1700000060, 2 RRsets changed",
        details: ["old-serial": "1700000000", "new-serial": "1700000060",
                  "examples": "example.com. A 192.0.2.1 → 192.0.2.7\nexample.com. A 192.0.2.2 → 192.0.2.8"])

    @Test func signsLikeTheStandardWebhooksTestVector() throws {
        // The vector the Standard Webhooks reference libraries test against.
        let secret = try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                              body: Array(#"{"test": 2432232314}"#.utf8), secret: secret)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func acceptsSecretsInBothForms() throws {
        #expect(try WebhookSecret("whsec_aGVsbG8=").key == Array("hello".utf8))
        #expect(try WebhookSecret("plain text secret").key == Array("plain text secret".utf8))
        #expect(throws: NotificationError.self) { try WebhookSecret("whsec_***") }
        #expect(throws: NotificationError.self) { try WebhookSecret("") }
        #expect(!"\(try WebhookSecret("whsec_aGVsbG8="))".contains("aGVsbG8"))
    }

    @Test func webhookBodyCarriesTheEventStably() throws {
        let body = Self.event.webhookBody()
        #expect(body == Self.event.webhookBody())
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(json["id"] as? String == Self.event.id)
        #expect(json["type"] as? String == "zone.resigned")
        #expect(json["zone"] as? String == "example.com.")
        #expect(json["time"] as? String == "2023-11-14T22:13:20Z")
        #expect(json["severity"] as? String == "info")
        #expect(json["summary"] as? String == Self.event.summary)
        #expect((json["details"] as? [String: String])?["new-serial"] == "1700000060")
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix(#"{"details":{"#), "sorted keys: \(text)")
        var daemonWide = Self.event
        daemonWide.zone = nil
        #expect(String(decoding: daemonWide.webhookBody(), as: UTF8.self).contains(#""zone":null"#))
    }

    @Test func subjectNamesTheZoneOnceAndStaysShort() {
        #expect(Self.event.emailSubject == "[countersign] example.com: re-signed, serial 1700000000 → 1700000060, 2 RRsets changed")
        var other = Self.event
        other.summary = "primary 192.0.2.53 unreachable for 3 polls"
        #expect(other.emailSubject == "[countersign] example.com: primary 192.0.2.53 unreachable for 3 polls")
        other.zone = nil
        other.summary = "webhook 'ops' disabled"
        #expect(other.emailSubject == "[countersign] webhook 'ops' disabled")
        other.summary = String(repeating: "long ", count: 100) + "\nsecond line"
        #expect(other.emailSubject.count < 170 && !other.emailSubject.contains("\n"))
    }

    /// Python's email package reads the message back: headers decoded, body de-quoted-printabled.
    @Test func emailParsesBackInAMailReader() throws {
        guard ExternalTool.require("python3") else { return }
        let message = EmailMessage.forEvent(Self.event, from: "Countersign <dns@example.com>",
                                            to: ["ops@example.com", "oncall@example.net"], channel: "oncall")
        let rendered = message.rendered()
        let text = String(decoding: rendered, as: UTF8.self)
        #expect(rendered.allSatisfy { $0 < 0x80 }, "the message must be 7-bit")
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 }, "lines must stay within 78 characters")
        let directory = try NotificationFixtures.temporaryDirectory("email")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("message.eml")
        try Data(rendered).write(to: file)
        let script = """
            import email, email.policy, json, sys
            m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
            print(json.dumps({'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']),
                              'message_id': str(m['message-id']), 'date': str(m['date']),
                              'auto': str(m['auto-submitted']), 'body': m.get_content(), 'defects': len(m.defects)}))
            """
        let output = try ExternalTool.run("python3", ["-c", script, file.path])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(parsed["subject"] as? String == Self.event.emailSubject)
        #expect(parsed["from"] as? String == "Countersign <dns@example.com>")
        #expect(parsed["to"] as? String == "ops@example.com, oncall@example.net")
        #expect(parsed["message_id"] as? String == "<\(Self.event.id)@example.com>")
        #expect(parsed["date"] as? String == "Tue, 14 Nov 2023 22:13:20 +0000")
        #expect(parsed["auto"] as? String == "auto-generated")
        #expect(parsed["defects"] as? Int == 0)
        let body = try #require(parsed["body"] as? String).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(body.hasPrefix(Self.event.summary + "\n"))
        #expect(body.contains("Zone:     example.com.\n"))
        #expect(body.contains("When:     2023-11-14 22:13 UTC\n"))
        #expect(body.contains("examples:\n  example.com. A 192.0.2.1 → 192.0.2.7\n  example.com. A 192.0.2.2 → 192.0.2.8\n"))
        #expect(body.contains("new-serial: 1700000060\n"))
        #expect(body.contains("Event id: \(Self.event.id)"))
    }

    @Test func quotedPrintableKeepsLongAndAwkwardLines() {
        let line = String(repeating: "é=x ", count: 40) + " "
        let encoded = EmailMessage.quotedPrintable(line + "\n.\nend")
        #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
        #expect(!encoded.contains(" \r\n"), "trailing whitespace must be encoded")
        #expect(encoded.contains("=C3=A9=3Dx"))
    }

    @Test func filtersBySeverityAndZone() {
        let channel = NotificationFixtures.webhookChannel(url: "https://x.example/", minSeverity: .warning, zones: ["Example.COM"])
        var event = Self.event
        #expect(!channel.accepts(event), "info is below warning")
        event.severity = .critical
        #expect(channel.accepts(event))
        event.zone = "example.org."
        #expect(!channel.accepts(event))
        event.zone = nil
        #expect(channel.accepts(event), "daemon-wide events pass zone filters")
    }

    @Test func readsChannelsFromTheConfigFile() throws {
        let directory = try NotificationFixtures.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let password = directory.appendingPathComponent("password")
        try Data("hunter2\n".utf8).write(to: password)
        let text = """
            [webhook ops]
            url https://hooks.example.com/countersign
            secret whsec_aGVsbG8=
            min-severity warning
            zones example.com example.org.

            [smtp oncall]
            host smtp.example.com
            username countersign
            password-file \(password.path)
            from "Countersign <dns@example.com>"
            to a@example.com b@example.com
            to c@example.com
            digest-minutes 15

            [sendmail local]
            from dns@example.com
            to root@localhost
            """
        let config = try ConfigFile.parse(text, file: "signer.conf")
        try config.validate(allowedKeys: ConfigFile.signerKeys, sections: ConfigFile.signerSections)
        let settings = try NotificationSettings(config: config)
        #expect(settings.channels.map(\.name) == ["ops", "oncall", "local"])
        let ops = settings.channels[0]
        #expect(ops.minSeverity == .warning && ops.zones == ["example.com.", "example.org."])
        #expect(ops.transport == .webhook(WebhookTarget(url: "https://hooks.example.com/countersign", secret: WebhookSecret(key: Array("hello".utf8)))))
        guard case let .smtp(smtp) = settings.channels[1].transport else { Issue.record("not smtp"); return }
        #expect(smtp.port == 587 && smtp.security == .startTLS)
        #expect(smtp.credentials == SMTPClientMachine.Credentials(username: "countersign", password: "hunter2"))
        #expect(smtp.from == "Countersign <dns@example.com>" && smtp.to == ["a@example.com", "b@example.com", "c@example.com"])
        #expect(settings.channels[1].digestInterval == 900)
        #expect(settings.channels[2].transport == .sendmail(SendmailTarget(from: "dns@example.com", to: ["root@localhost"])))

        // Flags replace a file channel of the same name and add the others.
        let flag = NotificationFixtures.webhookChannel("ops", url: "https://other.example/")
        let merged = try settings.overriding(with: [flag, NotificationFixtures.webhookChannel("webhook", url: "https://third.example/")])
        #expect(merged.channels.map(\.name) == ["oncall", "local", "ops", "webhook"])
        #expect(merged.channels[2].target == "https://other.example/")
    }

    @Test func refusesChannelsThatCannotWork() throws {
        let cases: [(String, String)] = [
            ("[webhook a]\nurl https://x.example/\n", "needs 'secret'"),
            ("[webhook a]\nurl ftp://x.example/\nsecret s\n", "http:// or https://"),
            ("[smtp a]\nhost h\nfrom a@b.c\nto d@e.f\nusername u\n", "both 'username' and 'password-file'"),
            ("[smtp a]\nhost h\nfrom a@b.c\nto d@e.f\nusername u\npassword-file /nonexistent/pw\n", "cannot read"),
            ("[smtp a]\nhost h\nstarttls no\nfrom a@b.c\nto d@e.f\nusername u\npassword-file /etc/hostname\n", "only sent over TLS"),
            ("[smtp a]\nhost h\nfrom nobody\nto d@e.f\n", "not an email address"),
            ("[sendmail a]\ncommand sendmail -t\nfrom a@b.c\nto d@e.f\n", "absolute path"),
            ("[webhook a]\nurl https://x/\nsecret s\n[sendmail a]\nfrom a@b.c\nto d@e.f\n", "already defined"),
            ("[webhook a]\nurl https://x/\nsecret s\nmin-severity loud\n", "not one of"),
        ]
        for (text, expected) in cases {
            let config = try ConfigFile.parse(text, file: "n.conf")
            do {
                _ = try NotificationSettings(config: config)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.contains(expected), "\(error) for \(text)")
                #expect(error.line != nil, "no line for \(text)")
            }
        }
    }
}
