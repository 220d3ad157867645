/// One reply from an SMTP server: a three-digit code and its text lines (RFC 5321 §4.2).
package struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    package var code: Int
    package var lines: [String]

    package init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 4yz: try again later; 5yz: this will not work as sent.
    package var isTransient: Bool { (400..<500).contains(code) }

    package var description: String {
        lines.isEmpty ? "\(code)" : lines.map { "\(code) \($0)" }.joined(separator: " / ")
    }
}

/// Splits the server's byte stream into replies, multi-line ones (`250-...` continued, `250 ...` last)
/// joined. The server is not trusted: lines and replies are bounded, codes must be three digits 2xx–5xx,
/// and a continuation must keep its reply's code.
package struct SMTPReplyParser: Sendable {
    /// RFC 5321 §4.5.3.1.5 allows 512; servers' banners are sometimes longer, never this long.
    package static let maxLineLength = 2048
    package static let maxLines = 128

    private var buffer: [UInt8] = []
    private var pendingCode: Int?
    private var pendingLines: [String] = []

    package init() {}

    /// Bytes received but not yet a whole reply.
    package var hasBufferedBytes: Bool { !buffer.isEmpty || pendingCode != nil }

    package mutating func feed(_ bytes: [UInt8]) throws(NotificationError) -> [SMTPReply] {
        buffer += bytes
        var replies: [SMTPReply] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(buffer[..<newline])
            buffer.removeSubrange(...newline)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if let reply = try accept(line) { replies.append(reply) }
        }
        guard buffer.count <= SMTPReplyParser.maxLineLength else {
            throw failure("a reply line longer than \(SMTPReplyParser.maxLineLength) bytes")
        }
        return replies
    }

    private mutating func accept(_ line: [UInt8]) throws(NotificationError) -> SMTPReply? {
        guard line.count <= SMTPReplyParser.maxLineLength else {
            throw failure("a reply line longer than \(SMTPReplyParser.maxLineLength) bytes")
        }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard line.count >= 3, line[0] >= UInt8(ascii: "2"), line[0] <= UInt8(ascii: "5"), isDigit(line[1]), isDigit(line[2])
        else {
            throw failure("not an SMTP reply: \(printable(line))")
        }
        let code = Int(line[0] - 48) * 100 + Int(line[1] - 48) * 10 + Int(line[2] - 48)
        let separator = line.count > 3 ? line[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw failure("not an SMTP reply: \(printable(line))")
        }
        if let pendingCode, pendingCode != code {
            throw failure("a multi-line reply changed its code from \(pendingCode) to \(code)")
        }
        pendingCode = code
        pendingLines.append(line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : "")
        guard pendingLines.count <= SMTPReplyParser.maxLines else {
            throw failure("a reply of more than \(SMTPReplyParser.maxLines) lines")
        }
        guard separator == UInt8(ascii: " ") else { return nil }
        let reply = SMTPReply(code: code, lines: pendingLines)
        self.pendingCode = nil
        pendingLines = []
        return reply
    }

    private func printable(_ line: [UInt8]) -> String {
        let text = String(decoding: line.prefix(80), as: UTF8.self)
        return "'" + String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }) + "'"
    }

    private func failure(_ reason: String) -> NotificationError {
        NotificationError(channel: nil, stage: .smtp, reason: reason)
    }
}
