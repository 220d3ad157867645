/// CAA: which certification authorities may issue for the owner (RFC 8659 §4.1).
///
/// ```
/// +0-1-2-3-4-5-6-7-|0-1-2-3-4-5-6-7-|
/// | Flags          | Tag Length = n |
/// +----------------+----------------+...+---------------+
/// | Tag char 0     | Tag char 1     |...| Tag char n-1  |
/// +----------------+----------------+...+---------------+
/// | Value byte 0 ... (to the end of RDATA)              |
/// +-----------------------------------------------------+
/// ```
public struct CAA: RDataType {
    public static let recordType = RecordType.CAA
    public var flags: UInt8
    /// 1–15 ASCII letters and digits (RFC 8659 §4.1).
    public var tag: [UInt8]
    public var value: [UInt8]

    public init(flags: UInt8, tag: [UInt8], value: [UInt8]) {
        self.flags = flags
        self.tag = tag
        self.value = value
    }

    static func validTag(_ tag: [UInt8]) -> Bool {
        (1...15).contains(tag.count) && tag.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) }
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        flags = try reader.readUInt8("CAA flags")
        tag = try reader.readCharacterString("CAA tag")
        guard CAA.validTag(tag) else {
            throw .invalidValue(type: .CAA, field: "tag", reason: "must be 1 to 15 letters or digits")
        }
        value = reader.readRest()
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(flags)
        writer.writeCharacterString(tag)
        writer.write(bytes: value)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        flags = try parser.uint8("flags")
        let tagToken = parser.peek()
        tag = try parser.characterString("tag")
        guard CAA.validTag(tag) else { throw parser.invalid("tag", "must be 1 to 15 letters or digits", at: tagToken) }
        let valueToken = try parser.next("value")
        guard let value = valueToken.unescaped() else {
            throw parser.invalid("value", "bad escape", at: valueToken)
        }
        self.value = value
        try parser.finish()
    }

    public var presentation: String {
        "\(flags) \(String(decoding: tag, as: UTF8.self)) \(CharacterString.quoted(value))"
    }

    public var rdata: RData { .caa(self) }
}
