/// One logical entry of a master file: the tokens of one line, or of several lines joined by parentheses.
public struct ZoneFileEntry: Sendable, Equatable {
    /// True when the entry's first line starts with a space or tab: the owner is the previous record's.
    public var ownerBlank: Bool
    /// Never empty: lines holding only blanks and comments produce no entry.
    public var tokens: [Token]
    /// Line where the entry starts.
    public var line: Int
}

/// Splits master-file text (RFC 1035 §5.1) into entries, working on UTF-8 bytes.
///
/// Comments (`;` to end of line) and parentheses are consumed here; a newline inside parentheses does
/// not end the entry. Quoted strings lose their quotes (`Token.quoted`), and backslash escapes stay in
/// the token text as written, so `\.` in a name or `\"` in a string reaches the field parser untouched;
/// an escaped blank, parenthesis, quote or semicolon does not end a token. Escapes are validated here
/// (`\DDD` needs three digits up to 255) so every field type reports a bad escape at its exact column.
/// Token texts are slices of the input, so tokenizing copies no bytes.
public struct ZoneFileLexer {
    let bytes: [UInt8]
    let file: String
    var position = 0
    var line = 1
    var lineStart = 0

    public init(bytes: [UInt8], file: String = "<input>") {
        self.bytes = bytes
        self.file = file
    }

    public init(_ text: String, file: String = "<input>") {
        self.init(bytes: Array(text.utf8), file: file)
    }

    /// All remaining entries (for tests and small inputs; the parser pulls them one at a time).
    public mutating func allEntries() throws(ZoneFileError) -> [ZoneFileEntry] {
        var entries: [ZoneFileEntry] = []
        while let entry = try next() { entries.append(entry) }
        return entries
    }

    /// The next entry, or nil at the end of the input.
    public mutating func next() throws(ZoneFileError) -> ZoneFileEntry? {
        var tokens: [Token] = []
        guard let (ownerBlank, line) = try next(into: &tokens) else { return nil }
        return ZoneFileEntry(ownerBlank: ownerBlank, tokens: tokens, line: line)
    }

    /// The next entry's tokens, written into `tokens` (emptied first, capacity kept: the parser reuses one
    /// buffer for the whole file). Returns the owner-blank flag and starting line, or nil at the end.
    public mutating func next(into tokens: inout [Token]) throws(ZoneFileError) -> (ownerBlank: Bool, line: Int)? {
        let count = bytes.count
        while position < count {
            let entryLine = line
            let ownerBlank = bytes[position] == 0x20 || bytes[position] == 0x09
            tokens.removeAll(keepingCapacity: true)
            var depth = 0
            var openLine = 0
            var openColumn = 0
            scan: while position < count {
                let c = bytes[position]
                switch c {
                case 0x20, 0x09, 0x0D:  // space, tab, CR (CRLF files)
                    position += 1
                case 0x0A:
                    position += 1
                    line += 1
                    lineStart = position
                    if depth == 0 { break scan }
                case 0x3B:  // ';' comment: skip to the newline, which the loop then handles
                    position += 1
                    while position < count && bytes[position] != 0x0A { position += 1 }
                case 0x28:  // '('
                    if depth == 0 {
                        openLine = line
                        openColumn = column(position)
                    }
                    depth += 1
                    position += 1
                case 0x29:  // ')'
                    guard depth > 0 else { throw error(at: position, "unbalanced ')': no '(' is open") }
                    depth -= 1
                    position += 1
                case 0x22:  // '"'
                    tokens.append(try quoted())
                default:
                    tokens.append(try plain())
                }
            }
            if depth > 0 {
                throw ZoneFileError(
                    file: file, line: openLine, column: openColumn,
                    message: "unbalanced '(': it is never closed with ')'")
            }
            if !tokens.isEmpty { return (ownerBlank, entryLine) }
        }
        return nil
    }

    @inline(__always)
    func column(_ offset: Int) -> Int { offset - lineStart + 1 }

    func error(at offset: Int, _ message: String) -> ZoneFileError {
        ZoneFileError(file: file, line: line, column: column(offset), message: message)
    }

    /// An unquoted token, ending at a blank, newline, `;`, `(`, `)` or `"` that is not escaped.
    mutating func plain() throws(ZoneFileError) -> Token {
        let start = position
        let count = bytes.count
        while position < count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0D, 0x0A, 0x3B, 0x28, 0x29, 0x22:
                return Token(text: bytes[start..<position], line: line, column: column(start))
            case 0x5C:
                try skipEscape()
            default:
                position += 1
            }
        }
        return Token(text: bytes[start..<position], line: line, column: column(start))
    }

    /// A quoted string; the token's column is the opening quote's, its text what lies between the quotes.
    mutating func quoted() throws(ZoneFileError) -> Token {
        let open = position
        position += 1
        let start = position
        let count = bytes.count
        while position < count {
            switch bytes[position] {
            case 0x22:
                let token = Token(text: bytes[start..<position], quoted: true, line: line, column: column(open))
                position += 1
                return token
            case 0x0A:
                throw error(at: open, "unterminated quoted string: missing '\"' before the end of the line")
            case 0x5C:
                try skipEscape()
            default:
                position += 1
            }
        }
        throw error(at: open, "unterminated quoted string: missing '\"' before the end of the input")
    }

    /// Steps over `\X` or `\DDD` at `position`, checking it.
    @inline(__always)
    mutating func skipEscape() throws(ZoneFileError) {
        let backslash = position
        position += 1
        guard position < bytes.count, bytes[position] != 0x0A, bytes[position] != 0x0D else {
            throw error(at: backslash, "bad escape: '\\' at the end of a line")
        }
        let c = bytes[position]
        guard DomainName.isDigit(c) else {
            position += 1
            return
        }
        guard position + 2 < bytes.count, DomainName.isDigit(bytes[position + 1]), DomainName.isDigit(bytes[position + 2])
        else {
            throw error(at: backslash, "bad escape: '\\' followed by a digit needs three digits (\\DDD)")
        }
        let value = Int(c - 48) * 100 + Int(bytes[position + 1] - 48) * 10 + Int(bytes[position + 2] - 48)
        guard value <= 255 else {
            throw error(at: backslash, "bad escape: \\\(value) is above 255")
        }
        position += 3
    }
}
