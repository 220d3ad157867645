/// NAPTR: a rewrite rule of the Dynamic Delegation Discovery System (RFC 3403 §4.1).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                     ORDER                     |
/// |                   PREFERENCE                  |
/// /                     FLAGS                     /
/// /                   SERVICES                    /
/// /                    REGEXP                     /
/// /                  REPLACEMENT                  /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct NAPTR: RDataType {
    public static let recordType = RecordType.NAPTR
    public static let lowercasesNames = true
    public var order: UInt16
    public var preference: UInt16
    public var flags: [UInt8]
    public var services: [UInt8]
    public var regexp: [UInt8]
    public var replacement: DomainName

    public init(order: UInt16, preference: UInt16, flags: [UInt8], services: [UInt8], regexp: [UInt8], replacement: DomainName) {
        self.order = order
        self.preference = preference
        self.flags = flags
        self.services = services
        self.regexp = regexp
        self.replacement = replacement
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        order = try reader.readUInt16("NAPTR order")
        preference = try reader.readUInt16("NAPTR preference")
        flags = try reader.readCharacterString("NAPTR flags")
        services = try reader.readCharacterString("NAPTR services")
        regexp = try reader.readCharacterString("NAPTR regexp")
        replacement = try reader.readName()
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(order)
        writer.write(preference)
        writer.writeCharacterString(flags)
        writer.writeCharacterString(services)
        writer.writeCharacterString(regexp)
        write(replacement, to: &writer, canonical: canonical)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        order = try parser.uint16("order")
        preference = try parser.uint16("preference")
        flags = try parser.characterString("flags")
        services = try parser.characterString("services")
        regexp = try parser.characterString("regexp")
        replacement = try parser.name("replacement")
        try parser.finish()
    }

    public var presentation: String {
        "\(order) \(preference) \(CharacterString.quoted(flags)) \(CharacterString.quoted(services)) "
            + "\(CharacterString.quoted(regexp)) \(replacement)"
    }

    public var rdata: RData { .naptr(self) }
}
