/// Hands the RDATA fields of one record to its type's presentation parser, with errors that point at
/// the offending field (`file:line:column: SOA serial: expected a number, found "x"`).
public struct RDataParser: Sendable {
    public let type: RecordType
    public let origin: DomainName?
    let tokens: [Token]
    var index: Int
    let file: String
    /// Where to point when a field is missing: just past the last token.
    let endLine: Int
    let endColumn: Int

    public init(type: RecordType, tokens: [Token], origin: DomainName?, file: String = "<input>") {
        self.type = type
        self.tokens = tokens
        self.index = 0
        self.origin = origin
        self.file = file
        let last = tokens.last
        self.endLine = last?.line ?? 1
        self.endColumn = (last.map { $0.column + $0.text.count + ($0.quoted ? 2 : 0) }) ?? 1
    }

    public var isAtEnd: Bool { index >= tokens.count }
    public var remainingCount: Int { tokens.count - index }

    /// An error at `token` (or at the end of the record when nil).
    public func error(_ message: String, at token: Token? = nil) -> ZoneFileError {
        ZoneFileError(
            file: file, line: token?.line ?? endLine, column: token?.column ?? endColumn,
            message: "\(type) \(message)")
    }

    public mutating func next(_ field: String) throws(ZoneFileError) -> Token {
        guard index < tokens.count else { throw error("\(field): missing") }
        defer { index += 1 }
        return tokens[index]
    }

    public func peek() -> Token? { index < tokens.count ? tokens[index] : nil }

    /// Fails when fields are left over.
    public func finish() throws(ZoneFileError) {
        if index < tokens.count {
            throw error("unexpected extra field \"\(tokens[index].string)\"", at: tokens[index])
        }
    }

    public mutating func name(_ field: String) throws(ZoneFileError) -> DomainName {
        let token = try next(field)
        do {
            return try DomainName.parse(token.text, origin: origin)
        } catch {
            throw self.error("\(field): \(error)", at: token)
        }
    }

    public mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_ field: String, as: T.Type = T.self) throws(ZoneFileError) -> T {
        let token = try next(field)
        guard !token.text.isEmpty, token.text.allSatisfy(DomainName.isDigit), let value = T(token.string) else {
            throw error("\(field): expected a number from 0 to \(T.max), found \"\(token.string)\"", at: token)
        }
        return value
    }

    public mutating func uint8(_ field: String) throws(ZoneFileError) -> UInt8 { try integer(field) }
    public mutating func uint16(_ field: String) throws(ZoneFileError) -> UInt16 { try integer(field) }
    public mutating func uint32(_ field: String) throws(ZoneFileError) -> UInt32 { try integer(field) }

    /// A TTL-like duration: seconds, or units `1w2d3h4m5s` (BIND's extension, used in SOA fields too).
    public mutating func duration(_ field: String) throws(ZoneFileError) -> UInt32 {
        let token = try next(field)
        guard let value = TTLText.parse(token.text) else {
            throw error("\(field): expected seconds or a duration like 1h30m, found \"\(token.string)\"", at: token)
        }
        return value
    }

    /// One `<character-string>`, at most 255 bytes after unescaping.
    public mutating func characterString(_ field: String) throws(ZoneFileError) -> [UInt8] {
        let token = try next(field)
        guard let bytes = token.unescaped() else { throw error("\(field): bad escape in \"\(token.string)\"", at: token) }
        guard bytes.count <= 255 else {
            throw error("\(field): character-string of \(bytes.count) bytes is longer than 255", at: token)
        }
        return bytes
    }

    /// The remaining fields joined and read as hexadecimal (whitespace inside is allowed, RFC 4034).
    public mutating func hexRest(_ field: String, allowEmpty: Bool = false) throws(ZoneFileError) -> [UInt8] {
        let first = peek()
        var joined: [UInt8] = []
        while let token = peek() {
            joined.append(contentsOf: token.text)
            index += 1
        }
        if joined == [UInt8(ascii: "-")] && allowEmpty { return [] }
        guard !joined.isEmpty || allowEmpty else { throw error("\(field): missing") }
        guard let bytes = Base16.decode(joined[...]) else {
            throw error("\(field): not hexadecimal", at: first)
        }
        return bytes
    }

    /// The remaining fields joined and read as base64.
    public mutating func base64Rest(_ field: String) throws(ZoneFileError) -> [UInt8] {
        let first = peek()
        var joined: [UInt8] = []
        while let token = peek() {
            joined.append(contentsOf: token.text)
            index += 1
        }
        guard !joined.isEmpty else { throw error("\(field): missing") }
        guard let bytes = Base64.decode(joined[...]) else { throw error("\(field): not base64", at: first) }
        return bytes
    }

    /// Builds an error for a value that parsed but is not allowed.
    public func invalid(_ field: String, _ reason: String, at token: Token?) -> ZoneFileError {
        error("\(field): \(reason)", at: token)
    }
}
