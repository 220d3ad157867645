/// One message submitted over SMTP (RFC 5321), with STARTTLS (RFC 3207) and AUTH PLAIN or LOGIN
/// (RFC 4954, 4616), as a pure state machine: bytes and TLS progress come in as events, and each event
/// returns what to send, whether to start TLS or close, and the result once there is one. The socket, TLS
/// and the clock belong to the driver (`SMTPConnection`), so every dialogue is testable without a server.
///
/// Safe by default: with `.startTLS` a server that does not offer it is refused rather than talked to in
/// the clear; a password is never sent without TLS; bytes the server sends after its `220` to STARTTLS
/// (before the handshake) are refused, since they could be injected by whoever sits on the path (RFC 3207
/// §5 and the 2011 STARTTLS command-injection bugs). Nothing is pipelined: one command, one reply.
package struct SMTPClientMachine: Sendable {
    package enum Security: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP (a relay on localhost or a trusted network).
        case none
        /// Plain TCP upgraded with STARTTLS before anything else is said (submission, port 587).
        case startTLS = "starttls"
        /// TLS from the first byte (port 465).
        case implicitTLS = "tls"
    }

    package struct Credentials: Sendable, Equatable, CustomStringConvertible {
        package var username: String
        package var password: String
        package init(username: String, password: String) {
            self.username = username
            self.password = password
        }
        package var description: String { "\(username):…" }
    }

    package struct Configuration: Sendable {
        /// The name given with EHLO: this host's name.
        package var clientName: String
        package var security: Security
        package var credentials: Credentials?
        /// Envelope sender and recipients: bare addresses (`dns@example.com`).
        package var mailFrom: String
        package var recipients: [String]
        /// The rendered message; dot-stuffing and the final `.` are added here.
        package var message: [UInt8]

        package init(clientName: String, security: Security, credentials: Credentials?, mailFrom: String,
                     recipients: [String], message: [UInt8]) {
            self.clientName = clientName
            self.security = security
            self.credentials = credentials
            self.mailFrom = mailFrom
            self.recipients = recipients
            self.message = message
        }
    }

    package enum Event: Sendable {
        /// Bytes from the server (any split: partial lines and several lines are fine).
        case received([UInt8])
        /// The TLS handshake asked for with `startTLS` completed and the peer was verified.
        case tlsEstablished
        /// The connection is gone.
        case closed
    }

    package struct Action: Sendable, Equatable {
        package var send: [UInt8] = []
        /// Put TLS on the connection now (after sending `send`, which is then empty).
        package var startTLS = false
        package var close = false
        /// Set once, by the event that decides it; the dialogue may continue (QUIT) after it.
        package var result: Result?
    }

    package enum Result: Sendable, Equatable, CustomStringConvertible {
        /// The server took the message: its reply to the end of DATA.
        case delivered(SMTPReply)
        /// Nothing was handed over. `stage` is the command (or "greeting", "TLS") that went wrong.
        case failed(stage: String, reply: SMTPReply?, reason: String)

        package var description: String {
            switch self {
            case let .delivered(reply): "accepted: \(reply)"
            case let .failed(stage, reply, reason):
                "\(stage): \(reason)" + (reply.map { " (server said \($0))" } ?? "")
            }
        }
    }

    enum State: Equatable {
        case greeting, ehlo, helo, startTLS, tlsHandshake
        case authPlain, authLoginUser, authLoginPassword, authLoginResult
        case mailFrom, recipient(Int), data, message, quit, done

        var stage: String {
            switch self {
            case .greeting: "greeting"
            case .ehlo: "EHLO"
            case .helo: "HELO"
            case .startTLS: "STARTTLS"
            case .tlsHandshake: "TLS"
            case .authPlain, .authLoginUser, .authLoginPassword, .authLoginResult: "AUTH"
            case .mailFrom: "MAIL FROM"
            case .recipient: "RCPT TO"
            case .data: "DATA"
            case .message: "message"
            case .quit: "QUIT"
            case .done: "closed"
            }
        }
    }

    package let configuration: Configuration
    private(set) var state: State = .greeting
    private var parser = SMTPReplyParser()
    private(set) var tlsActive: Bool
    /// EHLO keywords the server offered (uppercased), and its AUTH mechanisms.
    private(set) var extensions: Set<String> = []
    private(set) var authMechanisms: Set<String> = []
    package private(set) var result: Result?
    /// The commands sent, in order, with credentials replaced by `<redacted>` (for logs and tests).
    package private(set) var commandsSent: [String] = []

    package init(configuration: Configuration) {
        self.configuration = configuration
        tlsActive = configuration.security == .implicitTLS
    }

    package var isFinished: Bool { state == .done }

    package mutating func event(_ event: Event) -> Action {
        var action = Action()
        switch event {
        case let .received(bytes):
            guard state != .done else { break }
            let replies: [SMTPReply]
            do {
                replies = try parser.feed(bytes)
            } catch {
                fail(reason: error.reason, reply: nil, quit: false, into: &action)
                break
            }
            if replies.count > 1 && state != .quit {
                fail(reason: "the server sent \(replies.count) replies to one command", reply: replies.last,
                     quit: false, into: &action)
                break
            }
            if let reply = replies.first { handle(reply, into: &action) }
        case .tlsEstablished:
            guard state == .tlsHandshake else {
                fail(reason: "TLS came up when it was not asked for", reply: nil, quit: false, into: &action)
                break
            }
            tlsActive = true
            // RFC 3207 §4.2: forget everything learnt before TLS and ask again.
            extensions = []
            authMechanisms = []
            command("EHLO \(configuration.clientName)", next: .ehlo, into: &action)
        case .closed:
            if result == nil {
                result = .failed(stage: state.stage, reply: nil, reason: "the server closed the connection")
                action.result = result
            }
            state = .done
        }
        return action
    }

    private mutating func handle(_ reply: SMTPReply, into action: inout Action) {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return fail(reason: "the server refused the session", reply: reply, into: &action) }
            command("EHLO \(configuration.clientName)", next: .ehlo, into: &action)
        case .ehlo:
            if reply.code == 250 {
                learnExtensions(reply)
                afterHello(into: &action)
            } else if (500...504).contains(reply.code) && configuration.security == .none && configuration.credentials == nil {
                command("HELO \(configuration.clientName)", next: .helo, into: &action)
            } else {
                fail(reason: "EHLO refused", reply: reply, into: &action)
            }
        case .helo:
            guard reply.code == 250 else { return fail(reason: "HELO refused", reply: reply, into: &action) }
            mailFrom(into: &action)
        case .startTLS:
            guard reply.code == 220 else { return fail(reason: "STARTTLS refused", reply: reply, into: &action) }
            guard !parser.hasBufferedBytes else {
                return fail(reason: "the server sent data after agreeing to STARTTLS (possible injection); not starting TLS",
                            reply: reply, quit: false, into: &action)
            }
            state = .tlsHandshake
            action.startTLS = true
        case .tlsHandshake:
            fail(reason: "the server sent plaintext during the TLS handshake", reply: reply, quit: false, into: &action)
        case .authPlain, .authLoginResult:
            guard reply.code == 235 else { return fail(reason: "authentication failed", reply: reply, into: &action) }
            mailFrom(into: &action)
        case .authLoginUser:
            guard reply.code == 334 else { return fail(reason: "AUTH LOGIN refused", reply: reply, into: &action) }
            secret(EmailMessage.base64(Array((configuration.credentials?.username ?? "").utf8)), next: .authLoginPassword, into: &action)
        case .authLoginPassword:
            guard reply.code == 334 else { return fail(reason: "AUTH LOGIN refused the user name", reply: reply, into: &action) }
            secret(EmailMessage.base64(Array((configuration.credentials?.password ?? "").utf8)), next: .authLoginResult, into: &action)
        case .mailFrom:
            guard reply.code == 250 else { return fail(reason: "sender \(configuration.mailFrom) refused", reply: reply, into: &action) }
            recipient(0, into: &action)
        case let .recipient(index):
            guard reply.code == 250 || reply.code == 251 else {
                return fail(reason: "recipient \(configuration.recipients[index]) refused", reply: reply, into: &action)
            }
            if index + 1 < configuration.recipients.count {
                recipient(index + 1, into: &action)
            } else {
                command("DATA", next: .data, into: &action)
            }
        case .data:
            guard reply.code == 354 else { return fail(reason: "DATA refused", reply: reply, into: &action) }
            action.send = SMTPClientMachine.dotStuffed(configuration.message)
            commandsSent.append("<message, \(configuration.message.count) bytes>")
            state = .message
        case .message:
            guard reply.code == 250 else { return fail(reason: "message refused", reply: reply, into: &action) }
            result = .delivered(reply)
            action.result = result
            command("QUIT", next: .quit, into: &action)
        case .quit:
            state = .done
            action.close = true
        case .done:
            break
        }
    }

    /// After a successful EHLO (or HELO): TLS first, then authentication, then the mail.
    private mutating func afterHello(into action: inout Action) {
        if configuration.security == .startTLS && !tlsActive {
            guard extensions.contains("STARTTLS") else {
                return fail(reason: "the server does not offer STARTTLS; refusing to send in the clear", reply: nil, into: &action)
            }
            return command("STARTTLS", next: .startTLS, into: &action)
        }
        guard let credentials = configuration.credentials else { return mailFrom(into: &action) }
        guard tlsActive else {
            return fail(reason: "refusing to send the password over a connection without TLS", reply: nil, into: &action)
        }
        if authMechanisms.contains("PLAIN") {
            let token = EmailMessage.base64([0] + Array(credentials.username.utf8) + [0] + Array(credentials.password.utf8))
            secret("AUTH PLAIN \(token)", shown: "AUTH PLAIN <redacted>", next: .authPlain, into: &action)
        } else if authMechanisms.contains("LOGIN") {
            command("AUTH LOGIN", next: .authLoginUser, into: &action)
        } else {
            let offered = authMechanisms.isEmpty ? "none" : authMechanisms.sorted().joined(separator: " ")
            fail(reason: "the server offers no AUTH PLAIN or LOGIN (offers: \(offered))", reply: nil, into: &action)
        }
    }

    private mutating func learnExtensions(_ reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" }).map { $0.uppercased() }
            guard let keyword = words.first else { continue }
            extensions.insert(keyword)
            if keyword == "AUTH" { authMechanisms.formUnion(words.dropFirst()) }
        }
    }

    private mutating func mailFrom(into action: inout Action) {
        command("MAIL FROM:<\(configuration.mailFrom)>", next: .mailFrom, into: &action)
    }

    private mutating func recipient(_ index: Int, into action: inout Action) {
        command("RCPT TO:<\(configuration.recipients[index])>", next: .recipient(index), into: &action)
    }

    private mutating func command(_ line: String, next: State, into action: inout Action) {
        commandsSent.append(line)
        action.send = Array((line + "\r\n").utf8)
        state = next
    }

    private mutating func secret(_ line: String, shown: String = "<redacted>", next: State, into action: inout Action) {
        commandsSent.append(shown)
        action.send = Array((line + "\r\n").utf8)
        state = next
    }

    /// Records the failure; says QUIT when the connection is still in a state to hear it, else closes.
    private mutating func fail(reason: String, reply: SMTPReply?, quit: Bool = true, into action: inout Action) {
        if result == nil {
            result = .failed(stage: state.stage, reply: reply, reason: reason)
            action.result = result
        }
        if quit && state != .quit && state != .done {
            command("QUIT", next: .quit, into: &action)
        } else {
            state = .done
            action.send = []
            action.close = true
        }
    }

    /// The DATA payload: CRLF line endings, a leading `.` doubled (RFC 5321 §4.5.2), a final CRLF, then `.`.
    package static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 40 + 8)
        var atLineStart = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                out += [13, 10]
                if byte == UInt8(ascii: "\r"), index + 1 < message.count, message[index + 1] == UInt8(ascii: "\n") { index += 1 }
                atLineStart = true
            } else {
                if atLineStart && byte == UInt8(ascii: ".") { out.append(byte) }
                out.append(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }
}
