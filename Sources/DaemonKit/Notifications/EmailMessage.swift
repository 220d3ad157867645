/// An Internet message (RFC 5322) as Countersign sends it: 7-bit clean on the wire whatever the text
/// (UTF-8 subject as RFC 2047 encoded words, body quoted-printable), CRLF line endings, so any SMTP server
/// and any `sendmail` accept it without 8BITMIME or SMTPUTF8.
package struct EmailMessage: Sendable, Equatable {
    /// The `From:` header, e.g. `Countersign <dns@example.com>`.
    package var from: String
    package var to: [String]
    package var subject: String
    /// Without angle brackets: `event-id@example.com`.
    package var messageID: String
    package var date: Int64
    package var body: String
    /// Extra headers in order (name, value); values must be ASCII.
    package var extraHeaders: [(String, String)] = []

    package init(from: String, to: [String], subject: String, messageID: String, date: Int64, body: String,
                 extraHeaders: [(String, String)] = []) {
        self.from = from
        self.to = to
        self.subject = subject
        self.messageID = messageID
        self.date = date
        self.body = body
        self.extraHeaders = extraHeaders
    }

    package static func == (lhs: EmailMessage, rhs: EmailMessage) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.subject == rhs.subject && lhs.messageID == rhs.messageID
            && lhs.date == rhs.date && lhs.body == rhs.body
            && lhs.extraHeaders.map { "\($0.0):\($0.1)" } == rhs.extraHeaders.map { "\($0.0):\($0.1)" }
    }

    /// The email for one event: Message-ID from the event id (a resend after a crash is recognisably the
    /// same message), `Auto-Submitted: auto-generated` so vacation responders stay quiet (RFC 3834).
    package static func forEvent(_ event: OperatorEvent, from: String, to: [String], channel: String) -> EmailMessage {
        EmailMessage(
            from: from, to: to, subject: event.emailSubject,
            messageID: "\(event.id)@\(domain(of: from) ?? "countersign.invalid")", date: event.time,
            body: event.emailBody(channel: channel),
            extraHeaders: [("Auto-Submitted", "auto-generated"), ("X-Countersign-Event", event.kind.rawValue),
                           ("X-Countersign-Event-Id", event.id)])
    }

    /// The bytes to hand to SMTP DATA (before dot-stuffing) or to sendmail.
    package func rendered() -> [UInt8] {
        var headers: [String] = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(EmailMessage.encodedHeaderText(subject, nameLength: 9))",
            "Date: \(NotificationTime.rfc5322(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        headers += extraHeaders.map { "\($0.0): \($0.1)" }
        let text = headers.joined(separator: "\r\n") + "\r\n\r\n" + EmailMessage.quotedPrintable(body)
        return Array(text.utf8)
    }

    /// The address inside `Name <addr>`, or the text itself when it has no angle brackets.
    package static func address(in mailbox: String) -> String {
        if let open = mailbox.lastIndex(of: "<"), let close = mailbox.lastIndex(of: ">"), open < close {
            return String(mailbox[mailbox.index(after: open)..<close]).trimmingWhitespace()
        }
        return mailbox.trimmingWhitespace()
    }

    static func domain(of mailbox: String) -> String? {
        let address = address(in: mailbox)
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }

    /// Refuses what would let a value escape its header or its SMTP command: line breaks, and for the
    /// envelope an address that is not `local@domain` without spaces or brackets.
    package static func checkMailbox(_ mailbox: String) -> String? {
        if mailbox.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) { return "contains a line break" }
        let address = address(in: mailbox)
        guard let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex,
              !address.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0 == "\t" }) else {
            return "'\(mailbox)' is not an email address (local@domain, or Name <local@domain>)"
        }
        return nil
    }

    // MARK: Encodings

    /// The text itself when it is printable ASCII short enough for one 78-character line; otherwise
    /// RFC 2047 `=?utf-8?b?...?=` words, folded one per line. Characters are never split across words.
    static func encodedHeaderText(_ text: String, nameLength: Int) -> String {
        if text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) && text.count + nameLength <= 78 {
            return text
        }
        var words: [String] = []
        var chunk: [UInt8] = []
        // 42 bytes of text are 56 base64 characters, a 68-character word: with "Subject: " before it
        // the first line stays within 78 characters, and every word within RFC 2047's 75.
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 42 {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String { "=?utf-8?b?\(base64(bytes))?=" }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index], b1 = index + 1 < bytes.count ? bytes[index + 1] : 0, b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Quoted-printable (RFC 2045 §6.7): CRLF line breaks, lines at most 76 characters with soft breaks,
    /// `=`, non-ASCII and control bytes as `=XX`, trailing space or tab encoded.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        let lines = text.replacingCRLF.split(separator: "\n", omittingEmptySubsequences: false)
        for (lineIndex, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            var column = 0
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let plain = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                    || ((byte == 32 || byte == 9) && !isLast)
                let token: [UInt8] = plain ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                // Leave room for the soft break's '=' unless this is the line's last token.
                let limit = isLast ? 76 : 75
                if column + token.count > limit {
                    output += Array("=\r\n".utf8)
                    column = 0
                }
                output += token
                column += token.count
            }
            if lineIndex < lines.count - 1 { output += Array("\r\n".utf8) }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension String {
    /// Line breaks as bare LF (CRLF and lone CR both become LF).
    var replacingCRLF: String {
        var result = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                result.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            result.append(scalar)
        }
        return String(result)
    }
}
