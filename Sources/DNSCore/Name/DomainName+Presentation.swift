extension DomainName {
    /// Parses a name in presentation format (RFC 1035 §5.1): `\.` and `\DDD` escapes, a trailing dot for
    /// absolute names. A relative name is completed with `origin`; `@` means the origin itself.
    public init(_ text: String, origin: DomainName? = nil) throws(NameError) {
        self = try DomainName.parse(Array(text.utf8)[...], origin: origin)
    }

    /// Parses a name from raw presentation bytes (what the zone-file tokenizer hands over).
    public static func parse(_ text: ArraySlice<UInt8>, origin: DomainName?) throws(NameError) -> DomainName {
        if text.isEmpty { throw .empty }
        if text.count == 1 && text.first == UInt8(ascii: "@") {
            guard let origin else { throw .relativeWithoutOrigin(String(decoding: text, as: UTF8.self)) }
            return origin
        }
        if text.count == 1 && text.first == UInt8(ascii: ".") { return .root }
        var bytes: [UInt8] = [0]
        bytes.reserveCapacity(text.count + 2)
        var labelStart = 0
        var absolute = false
        var i = text.startIndex
        func closeLabel() throws(NameError) {
            let length = bytes.count - labelStart - 1
            if length == 0 { throw .emptyLabel }
            if length > maxLabelLength { throw .labelTooLong(length: length) }
            bytes[labelStart] = UInt8(length)
        }
        while i < text.endIndex {
            let c = text[i]
            if c == UInt8(ascii: ".") {
                try closeLabel()
                if i == text.endIndex - 1 {
                    absolute = true
                } else {
                    labelStart = bytes.count
                    bytes.append(0)
                }
                i += 1
                continue
            }
            if c == UInt8(ascii: "\\") {
                i += 1
                guard i < text.endIndex else { throw .badEscape(String(decoding: text, as: UTF8.self)) }
                if isDigit(text[i]) {
                    guard i + 2 < text.endIndex, isDigit(text[i + 1]), isDigit(text[i + 2]) else {
                        throw .badEscape(String(decoding: text, as: UTF8.self))
                    }
                    let value = Int(text[i] - 48) * 100 + Int(text[i + 1] - 48) * 10 + Int(text[i + 2] - 48)
                    guard value <= 255 else { throw .badEscape(String(decoding: text, as: UTF8.self)) }
                    bytes.append(UInt8(value))
                    i += 3
                } else {
                    bytes.append(text[i])
                    i += 1
                }
                continue
            }
            bytes.append(c)
            i += 1
        }
        if !absolute { try closeLabel() }
        bytes.append(0)
        let name = DomainName(trustedWire: bytes)
        if absolute {
            guard bytes.count <= maxLength else { throw .nameTooLong(length: bytes.count) }
            return name
        }
        guard let origin else { throw .relativeWithoutOrigin(String(decoding: text, as: UTF8.self)) }
        return try name.appending(origin)
    }

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Presentation form, absolute with a trailing dot, escaping what a zone file could not read back.
    public var text: String {
        if isRoot { return "." }
        var out: [UInt8] = []
        out.reserveCapacity(wire.count + 2)
        var i = 0
        while wire[i] != 0 {
            let length = Int(wire[i])
            for byte in wire[(i + 1)...(i + length)] {
                DomainName.appendEscaped(byte, to: &out)
            }
            out.append(UInt8(ascii: "."))
            i += length + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Presentation form relative to `origin` when below it (`@` for the origin itself).
    public func text(relativeTo origin: DomainName) -> String {
        if self == origin { return "@" }
        guard isSubdomain(of: origin) else { return text }
        let full = text
        let suffixLength = origin.isRoot ? 1 : origin.text.utf8.count + 1
        return String(full.dropLast(suffixLength))
    }

    static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ";"), UInt8(ascii: "@"), UInt8(ascii: "$"):
            out.append(UInt8(ascii: "\\"))
            out.append(byte)
        case 0x21...0x7E:
            out.append(byte)
        default:
            out.append(UInt8(ascii: "\\"))
            out.append(0x30 + byte / 100)
            out.append(0x30 + (byte / 10) % 10)
            out.append(0x30 + byte % 10)
        }
    }
}

extension DomainName: CustomStringConvertible, ExpressibleByStringLiteral {
    public var description: String { text }

    /// For tests and constants: a literal must be a valid absolute name.
    public init(stringLiteral value: String) {
        do {
            self = try DomainName(value, origin: .root)
        } catch {
            preconditionFailure("invalid domain name literal \(value): \(error)")
        }
    }
}
