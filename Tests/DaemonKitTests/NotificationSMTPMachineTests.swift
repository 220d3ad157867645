import Foundation
import Testing
@testable import DaemonKit

/// The SMTP dialogue as a pure machine: what the client says to each server reply, including hostile and
/// broken servers. No sockets; the real server test is in NotificationEmailTests.
@Suite struct NotificationSMTPMachineTests {
    static func configuration(security: SMTPClientMachine.Security = .startTLS, credentials: Bool = true,
                              recipients: [String] = ["ops@example.com", "oncall@example.net"],
                              message: String = "Subject: hi\r\n\r\nbody\r\n") -> SMTPClientMachine.Configuration {
        SMTPClientMachine.Configuration(
            clientName: "signer.example.com", security: security,
            credentials: credentials ? SMTPClientMachine.Credentials(username: "countersign", password: "s3cret pass") : nil,
            mailFrom: "dns@example.com", recipients: recipients, message: Array(message.utf8))
    }

    /// Feeds server text; returns what the client sent in answer.
    struct Dialogue {
        var machine: SMTPClientMachine
        var last = SMTPClientMachine.Action()

        init(_ configuration: SMTPClientMachine.Configuration) { machine = SMTPClientMachine(configuration: configuration) }

        @discardableResult
        mutating func server(_ text: String) -> String {
            last = machine.event(.received(Array(text.utf8)))
            return String(decoding: last.send, as: UTF8.self)
        }

        mutating func tlsUp() -> String {
            last = machine.event(.tlsEstablished)
            return String(decoding: last.send, as: UTF8.self)
        }
    }

    @Test func submitsOverSTARTTLSWithAuthPlain() {
        var d = Dialogue(Self.configuration())
        // A multi-line greeting split mid-line across two reads.
        #expect(d.server("220-smtp.example.com ESMTP\r\n22") == "")
        #expect(d.server("0 ready\r\n") == "EHLO signer.example.com\r\n")
        #expect(d.server("250-smtp.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n") == "STARTTLS\r\n")
        #expect(d.server("220 2.0.0 Ready to start TLS\r\n") == "")
        #expect(d.last.startTLS)
        #expect(d.tlsUp() == "EHLO signer.example.com\r\n")
        let plain = Data("\0countersign\0s3cret pass".utf8).base64EncodedString()
        #expect(d.server("250-smtp.example.com\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n") == "AUTH PLAIN \(plain)\r\n")
        #expect(d.server("235 2.7.0 Authentication successful\r\n") == "MAIL FROM:<dns@example.com>\r\n")
        #expect(d.server("250 2.1.0 Ok\r\n") == "RCPT TO:<ops@example.com>\r\n")
        #expect(d.server("250 2.1.5 Ok\r\n") == "RCPT TO:<oncall@example.net>\r\n")
        #expect(d.server("251 2.1.5 will forward\r\n") == "DATA\r\n")
        #expect(d.server("354 End data with <CR><LF>.<CR><LF>\r\n") == "Subject: hi\r\n\r\nbody\r\n.\r\n")
        #expect(d.last.result == nil)
        #expect(d.server("250 2.0.0 Ok: queued as ABC123\r\n") == "QUIT\r\n")
        #expect(d.last.result == .delivered(SMTPReply(code: 250, lines: ["2.0.0 Ok: queued as ABC123"])))
        d.server("221 2.0.0 Bye\r\n")
        #expect(d.last.close && d.machine.isFinished)
        // The password never appears in what is kept for logs.
        #expect(!d.machine.commandsSent.joined().contains(plain))
        #expect(d.machine.commandsSent.contains("AUTH PLAIN <redacted>"))
    }

    @Test func fallsBackToAuthLogin() {
        var d = Dialogue(Self.configuration(security: .implicitTLS, recipients: ["ops@example.com"]))
        d.server("220 hi\r\n")
        #expect(d.server("250-hi\r\n250 AUTH=LOGIN\r\n") == "AUTH LOGIN\r\n")
        #expect(d.server("334 VXNlcm5hbWU6\r\n") == Data("countersign".utf8).base64EncodedString() + "\r\n")
        #expect(d.server("334 UGFzc3dvcmQ6\r\n") == Data("s3cret pass".utf8).base64EncodedString() + "\r\n")
        #expect(d.server("235 ok\r\n") == "MAIL FROM:<dns@example.com>\r\n")
        #expect(!d.machine.commandsSent.joined().contains(Data("s3cret pass".utf8).base64EncodedString()))
    }

    @Test func refusesToContinueInTheClearWhenSTARTTLSIsMissing() {
        var d = Dialogue(Self.configuration())
        d.server("220 hi\r\n")
        #expect(d.server("250-hi\r\n250 AUTH PLAIN\r\n") == "QUIT\r\n")
        guard case let .failed(_, _, reason)? = d.last.result else { Issue.record("no failure"); return }
        #expect(reason.contains("STARTTLS"))
        #expect(!d.machine.commandsSent.contains { $0.hasPrefix("AUTH") || $0.hasPrefix("MAIL") })
    }

    @Test func neverSendsAPasswordWithoutTLS() {
        var d = Dialogue(Self.configuration(security: .none))
        d.server("220 hi\r\n")
        #expect(d.server("250-hi\r\n250 AUTH PLAIN LOGIN\r\n") == "QUIT\r\n")
        guard case let .failed(_, _, reason)? = d.last.result else { Issue.record("no failure"); return }
        #expect(reason.contains("without TLS"))
        #expect(!d.machine.commandsSent.contains { $0.hasPrefix("AUTH") })
    }

    @Test func refusesBytesInjectedAfterSTARTTLS() {
        for injected in ["220 go ahead\r\n250 injected\r\n", "220 go ahead\r\nMAIL FROM:<x@y>"] {
            var d = Dialogue(Self.configuration())
            d.server("220 hi\r\n")
            d.server("250-hi\r\n250 STARTTLS\r\n")
            d.server(injected)
            #expect(!d.last.startTLS, "\(injected)")
            #expect(d.last.close)
            guard case .failed? = d.last.result else { Issue.record("accepted \(injected)"); continue }
        }
    }

    @Test func aRefusedRecipientStopsBeforeData() {
        var d = Dialogue(Self.configuration(security: .none, credentials: false))
        d.server("220 hi\r\n")
        d.server("250 hi\r\n")
        d.server("250 ok\r\n")
        #expect(d.server("550 5.1.1 <ops@example.com>: Recipient address rejected: User unknown\r\n") == "QUIT\r\n")
        #expect(d.last.result == .failed(stage: "RCPT TO", reply: SMTPReply(code: 550, lines: ["5.1.1 <ops@example.com>: Recipient address rejected: User unknown"]),
                                         reason: "recipient ops@example.com refused"))
        #expect(!d.machine.commandsSent.contains("DATA"))
    }

    @Test func aTemporaryRefusalOfTheMessageIsTransient() {
        var d = Dialogue(Self.configuration(security: .none, credentials: false, recipients: ["ops@example.com"]))
        for reply in ["220 hi\r\n", "250 hi\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n"] { d.server(reply) }
        d.server("451 4.3.0 try later\r\n")
        guard case let .failed(stage, reply?, _)? = d.last.result else { Issue.record("no failure"); return }
        #expect(stage == "message" && reply.isTransient)
    }

    @Test func fallsBackToHELOForAnOldRelay() {
        var d = Dialogue(Self.configuration(security: .none, credentials: false))
        d.server("220 old relay\r\n")
        #expect(d.server("502 5.5.2 command not recognized\r\n") == "HELO signer.example.com\r\n")
        #expect(d.server("250 hello\r\n") == "MAIL FROM:<dns@example.com>\r\n")
    }

    @Test func garbageAndBrokenRepliesFailWithoutHanging() {
        let cases: [(String, String)] = [
            ("HTTP/1.1 400 Bad Request\r\n", "not an SMTP reply"),
            ("220-first\r\n250 second\r\n", "changed its code"),
            ("220 " + String(repeating: "x", count: 3000), "longer than"),
            ("999 what\r\n", "not an SMTP reply"),
            (String(repeating: "220-x\r\n", count: 200), "more than"),
        ]
        for (text, expected) in cases {
            var d = Dialogue(Self.configuration())
            d.server(text)
            guard case let .failed(_, _, reason)? = d.last.result else {
                Issue.record("accepted \(text.prefix(30))")
                continue
            }
            #expect(reason.contains(expected), "\(reason)")
            #expect(d.last.close && d.machine.isFinished)
        }
    }

    @Test func aClosedConnectionIsAFailureAtItsStage() {
        var d = Dialogue(Self.configuration(security: .none, credentials: false))
        d.server("220 hi\r\n")
        d.server("250 hi\r\n")
        let action = d.machine.event(.closed)
        #expect(action.result == .failed(stage: "MAIL FROM", reply: nil, reason: "the server closed the connection"))
    }

    @Test func dotStuffsTheMessage() {
        let stuffed = SMTPClientMachine.dotStuffed(Array("a\n.b\r\n..c\r.\nlast".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "a\r\n..b\r\n...c\r\n..\r\nlast\r\n.\r\n")
        #expect(String(decoding: SMTPClientMachine.dotStuffed(Array("x\r\n".utf8)), as: UTF8.self) == "x\r\n.\r\n")
    }
}
