/// Reads RFC 1035 master files (§5.1) into records.
///
/// Supports `$ORIGIN`, `$TTL` (RFC 2308), `$INCLUDE` (only through the `include` closure, so DNSCore never
/// touches files), `@`, relative names, a blank owner meaning the previous owner, TTL and class in either
/// order and both optional, TTL units (`1h30m`), `TYPE123` and the RFC 3597 `\#` form for any type.
///
/// A record without a TTL takes `$TTL` (or `defaultTTL`); failing that the last TTL stated in the file
/// (RFC 1035's rule, which BIND also follows), or for the SOA its own MINIMUM field. Both fallbacks add a
/// warning, once per file, because RFC 2308 made `$TTL` the way to say it.
public struct ZoneFileParser {
    /// Problems that did not stop parsing, with their location.
    public private(set) var warnings: [ZoneFileError] = []
    /// How deep `$INCLUDE`s may nest (a file including itself stops here).
    public var maxIncludeDepth = 8

    let include: ((String) throws -> String)?
    var origin: DomainName?
    var file: String
    /// `$TTL`, or the caller's default.
    var defaultTTL: UInt32?
    /// The last TTL given explicitly (or taken from the SOA), for files without `$TTL`.
    var lastTTL: UInt32?
    var lastOwner: DomainName?
    /// Text of the last explicit owner and the origin it was read against, to skip re-parsing repeats.
    var lastOwnerText: ArraySlice<UInt8> = []
    var zoneClass: DNSClass?
    var warnedPreviousTTL = false
    var warnedSOATTL = false

    public init(
        origin: DomainName?, file: String = "<input>", defaultTTL: UInt32? = nil,
        include: ((String) throws -> String)? = nil
    ) {
        self.origin = origin
        self.file = file
        self.defaultTTL = defaultTTL
        self.include = include
    }

    /// Parses a whole file; directives carry over to later calls on the same parser.
    public mutating func parse(_ text: String) throws(ZoneFileError) -> [ResourceRecord] {
        try parse(bytes: Array(text.utf8))
    }

    public mutating func parse(bytes: [UInt8]) throws(ZoneFileError) -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        records.reserveCapacity(bytes.count / 40)
        try parse(bytes, depth: 0, into: &records)
        return records
    }

    mutating func parse(_ bytes: [UInt8], depth: Int, into records: inout [ResourceRecord]) throws(ZoneFileError) {
        var lexer = ZoneFileLexer(bytes: bytes, file: file)
        var tokens: [Token] = []
        tokens.reserveCapacity(16)
        while let (ownerBlank, _) = try lexer.next(into: &tokens) {
            try handle(tokens, ownerBlank: ownerBlank, depth: depth, into: &records)
        }
    }

    func error(_ message: String, at token: Token) -> ZoneFileError {
        ZoneFileError(file: file, line: token.line, column: token.column, message: message)
    }

    /// An error just past `token` (for something missing at the end of an entry).
    func error(_ message: String, after token: Token) -> ZoneFileError {
        ZoneFileError(
            file: file, line: token.line, column: token.column + token.text.count + (token.quoted ? 2 : 0),
            message: message)
    }

    mutating func handle(
        _ tokens: [Token], ownerBlank: Bool, depth: Int, into records: inout [ResourceRecord]
    ) throws(ZoneFileError) {
        var i = 0
        let owner: DomainName
        if ownerBlank {
            guard let lastOwner else {
                throw error("no owner name: the line starts with a blank but no record precedes it", at: tokens[0])
            }
            owner = lastOwner
        } else {
            let first = tokens[0]
            if !first.quoted && first.text.first == UInt8(ascii: "$") {
                try directive(tokens, depth: depth, into: &records)
                return
            }
            owner = try ownerName(first)
            i = 1
        }

        var ttl: UInt32?
        var dnsClass: DNSClass?
        var classToken: Token?
        while i < tokens.count && (ttl == nil || dnsClass == nil) {
            let token = tokens[i]
            if ttl == nil, !token.quoted, let c = token.text.first, DomainName.isDigit(c) {
                guard let value = TTLText.parse(token.text) else {
                    throw error(
                        "bad TTL \"\(token.string)\": expected seconds up to \(TTLText.max) or units like 1h30m",
                        at: token)
                }
                ttl = value
                i += 1
            } else if dnsClass == nil, let value = Self.classValue(token) {
                dnsClass = value
                classToken = token
                i += 1
            } else {
                break
            }
        }

        guard i < tokens.count else {
            throw error("expected a record type, found the end of the record", after: tokens[tokens.count - 1])
        }
        let typeToken = tokens[i]
        guard let type = Self.recordType(typeToken) else {
            throw error("expected a record type, found \"\(typeToken.string)\"", at: typeToken)
        }
        if type.isMeta {
            throw error("\(type) is a meta type (RFC 6895); it cannot appear in a zone file", at: typeToken)
        }

        if let dnsClass, let classToken {
            if dnsClass == .NONE || dnsClass == .ANY {
                throw error("\(dnsClass) is a meta class (RFC 6895); zone data needs a real class such as IN", at: classToken)
            }
            if let zoneClass, zoneClass != dnsClass {
                throw error("class \(dnsClass) differs from the class \(zoneClass) of earlier records", at: classToken)
            }
        }
        // The first record fixes the zone's class, stated or not (records without one are IN).
        if zoneClass == nil { zoneClass = dnsClass ?? .IN }

        let rdata: RData
        if type == .A, i + 2 == tokens.count, let address = Self.fastIPv4(tokens[i + 1]) {
            rdata = .a(A(address))
        } else {
            // The parser sees the whole entry, positioned after the type, so "missing field" errors point
            // just past the last token even when there is no RDATA at all.
            var parser = RDataParser(type: type, tokens: tokens, origin: origin, file: file)
            parser.index = i + 1
            rdata = try RData.parse(type: type, parser: &parser)
        }

        let finalTTL: UInt32
        if let ttl {
            finalTTL = ttl
            lastTTL = ttl
        } else if let defaultTTL {
            finalTTL = defaultTTL
        } else if let lastTTL {
            finalTTL = lastTTL
            if !warnedPreviousTTL {
                warnedPreviousTTL = true
                warnings.append(error(
                    "no TTL and no $TTL: using \(lastTTL) from an earlier record (RFC 1035); add $TTL", at: typeToken))
            }
        } else if case .soa(let soa) = rdata {
            finalTTL = soa.minimum
            lastTTL = soa.minimum
            if !warnedSOATTL {
                warnedSOATTL = true
                warnings.append(error(
                    "no TTL and no $TTL: using the SOA minimum \(soa.minimum) (RFC 2308); add $TTL", at: typeToken))
            }
        } else {
            throw error("no TTL for this record: give one, or set $TTL before it", at: typeToken)
        }

        records.append(ResourceRecord(name: owner, dnsClass: dnsClass ?? zoneClass ?? .IN, ttl: finalTTL, rdata: rdata))
        lastOwner = owner
    }

    mutating func ownerName(_ token: Token) throws(ZoneFileError) -> DomainName {
        if let lastOwner, !lastOwnerText.isEmpty, token.text.elementsEqual(lastOwnerText) {
            return lastOwner
        }
        let name = try name(token, what: "owner name")
        lastOwnerText = token.text
        return name
    }

    func name(_ token: Token, what: String) throws(ZoneFileError) -> DomainName {
        if let origin, let name = Self.fastRelativeName(token, origin: origin) { return name }
        if token.quoted {
            throw error("expected \(what), found a quoted string", at: token)
        }
        do {
            return try DomainName.parse(token.text, origin: origin)
        } catch {
            let hint = if case .relativeWithoutOrigin = error { " (set $ORIGIN or give the zone's origin)" } else { "" }
            throw self.error("\(what) \"\(token.string)\": \(error)\(hint)", at: token)
        }
    }

    /// `IN`, `CH`, `HS` or `CLASS123`; nil when the token is something else (NONE and ANY only mean
    /// something in updates and queries).
    static func classValue(_ token: Token) -> DNSClass? {
        guard !token.quoted else { return nil }
        if token.matches("IN") { return .IN }
        if token.matches("CH") { return .CH }
        if token.matches("HS") { return .HS }
        guard token.text.count > 5, token.text.count <= 10, token.text.prefix(5).elementsEqual("CLASS".utf8, by: {
            ($0 & 0xDF) == $1
        }) else { return nil }
        return DNSClass(mnemonic: token.string)
    }

    /// Mnemonics of up to 8 characters packed into an integer, so most type fields need no String.
    static let typesByPackedMnemonic: [UInt64: RecordType] = {
        var table: [UInt64: RecordType] = [:]
        for (code, mnemonic) in RecordType.mnemonics where mnemonic.utf8.count <= 8 {
            table[pack(Array(mnemonic.utf8)[...])!] = RecordType(code)
        }
        return table
    }()

    /// Up to 8 bytes, upper-cased, as one integer; nil when longer.
    @inline(__always)
    static func pack(_ text: ArraySlice<UInt8>) -> UInt64? {
        guard text.count <= 8 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            let upper = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
            value = value << 8 | UInt64(upper)
        }
        return value
    }

    static func recordType(_ token: Token) -> RecordType? {
        guard !token.quoted, !token.text.isEmpty, token.text.count <= 16 else { return nil }
        if let key = pack(token.text), let type = typesByPackedMnemonic[key] { return type }
        return RecordType(mnemonic: token.string)
    }

    /// A dotted quad read straight from bytes; nil (so the A parser reports it) for anything it does
    /// not accept: the same rules as `IPv4Address`, four decimal parts without leading zeros.
    @inline(__always)
    static func fastIPv4(_ token: Token) -> IPv4Address? {
        guard !token.quoted else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4)
        var value = 0
        var digits = 0
        var leadingZero = false
        for c in token.text {
            if c == UInt8(ascii: ".") {
                guard digits > 0, bytes.count < 3 else { return nil }
                bytes.append(UInt8(value))
                value = 0
                digits = 0
            } else if DomainName.isDigit(c) {
                if digits == 0 { leadingZero = c == 0x30 } else if leadingZero { return nil }
                value = value * 10 + Int(c - 0x30)
                digits += 1
                guard digits <= 3, value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, bytes.count == 3 else { return nil }
        bytes.append(UInt8(value))
        return IPv4Address(bytes: bytes)
    }

    /// The common owner-name case built in one allocation: a relative name of letters, digits, `-`, `_`
    /// and `*` (no escapes, no trailing dot). Nil sends anything else through `DomainName.parse`.
    @inline(__always)
    static func fastRelativeName(_ token: Token, origin: DomainName) -> DomainName? {
        let text = token.text
        guard !token.quoted, !text.isEmpty, text.count + origin.wire.count + 1 <= DomainName.maxLength else {
            return nil
        }
        var wire: [UInt8] = []
        wire.reserveCapacity(text.count + 1 + origin.wire.count)
        wire.append(0)
        var labelStart = 0
        for c in text {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "*"):
                wire.append(c)
            case UInt8(ascii: "."):
                let length = wire.count - labelStart - 1
                guard length > 0, length <= DomainName.maxLabelLength else { return nil }
                wire[labelStart] = UInt8(length)
                labelStart = wire.count
                wire.append(0)
            default:
                return nil
            }
        }
        let length = wire.count - labelStart - 1
        // A trailing dot (absolute name) leaves an empty last label: not this path's business.
        guard length > 0, length <= DomainName.maxLabelLength else { return nil }
        wire[labelStart] = UInt8(length)
        wire.append(contentsOf: origin.wire)
        return DomainName(trustedWire: wire)
    }

    mutating func directive(_ tokens: [Token], depth: Int, into records: inout [ResourceRecord]) throws(ZoneFileError) {
        let keyword = tokens[0]
        if keyword.matches("$ORIGIN") {
            guard tokens.count == 2 else {
                throw tokens.count < 2
                    ? error("$ORIGIN: expected a domain name", after: keyword)
                    : error("$ORIGIN: unexpected extra field \"\(tokens[2].string)\"", at: tokens[2])
            }
            origin = try name(tokens[1], what: "$ORIGIN")
            lastOwnerText = []
        } else if keyword.matches("$TTL") {
            guard tokens.count == 2 else {
                throw tokens.count < 2
                    ? error("$TTL: expected a TTL", after: keyword)
                    : error("$TTL: unexpected extra field \"\(tokens[2].string)\"", at: tokens[2])
            }
            guard let value = TTLText.parse(tokens[1].text), !tokens[1].quoted else {
                throw error(
                    "bad TTL \"\(tokens[1].string)\": expected seconds up to \(TTLText.max) or units like 1h30m",
                    at: tokens[1])
            }
            defaultTTL = value
        } else if keyword.matches("$INCLUDE") {
            try includeFile(tokens, depth: depth, into: &records)
        } else if keyword.matches("$GENERATE") {
            throw error("$GENERATE is not supported", at: keyword)
        } else {
            throw error("unknown directive \"\(keyword.string)\": expected $ORIGIN, $TTL or $INCLUDE", at: keyword)
        }
    }

    /// `$INCLUDE file [origin]`: the included text starts with the given origin (or the current one); the
    /// including file's origin and owner are restored afterwards (RFC 1035 §5.1). `$TTL` carries over.
    mutating func includeFile(_ tokens: [Token], depth: Int, into records: inout [ResourceRecord]) throws(ZoneFileError) {
        let keyword = tokens[0]
        guard let include else { throw error("$INCLUDE is disabled", at: keyword) }
        guard tokens.count >= 2 else { throw error("$INCLUDE: expected a file name", after: keyword) }
        guard tokens.count <= 3 else {
            throw error("$INCLUDE: unexpected extra field \"\(tokens[3].string)\"", at: tokens[3])
        }
        guard depth < maxIncludeDepth else {
            throw error("$INCLUDE nested more than \(maxIncludeDepth) deep (does a file include itself?)", at: keyword)
        }
        let fileToken = tokens[1]
        guard let path = fileToken.unescaped().map({ String(decoding: $0, as: UTF8.self) }), !path.isEmpty else {
            throw error("$INCLUDE: bad file name \"\(fileToken.string)\"", at: fileToken)
        }
        var includedOrigin = origin
        if tokens.count == 3 { includedOrigin = try name(tokens[2], what: "$INCLUDE origin") }
        let text: String
        do {
            text = try include(path)
        } catch {
            throw self.error("$INCLUDE \"\(path)\": \(error)", at: fileToken)
        }

        let saved = (origin, file, lastOwner, lastOwnerText, warnedPreviousTTL, warnedSOATTL)
        origin = includedOrigin
        file = path
        lastOwner = nil
        lastOwnerText = []
        defer {
            (origin, file, lastOwner, lastOwnerText) = (saved.0, saved.1, saved.2, saved.3)
        }
        warnedPreviousTTL = false
        warnedSOATTL = false
        try parse(Array(text.utf8), depth: depth + 1, into: &records)
        (warnedPreviousTTL, warnedSOATTL) = (saved.4 || warnedPreviousTTL, saved.5 || warnedSOATTL)
    }
}

extension Zone {
    /// Parses a master file and groups its records into a zone. Parser warnings are kept in
    /// `warnings` together with those from building the zone (such as TTL normalisation).
    public init(
        parsing text: String, origin: DomainName, file: String = "<input>", defaultTTL: UInt32? = nil,
        include: ((String) throws -> String)? = nil
    ) throws(ZoneFileError) {
        var parser = ZoneFileParser(origin: origin, file: file, defaultTTL: defaultTTL, include: include)
        let records = try parser.parse(text)
        self.init(records: records, origin: origin)
        warnings.insert(
            contentsOf: parser.warnings.map {
                ZoneProblem(severity: .warning, name: origin, type: nil, reason: $0.description)
            }, at: 0)
    }
}
