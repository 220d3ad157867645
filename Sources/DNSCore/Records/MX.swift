/// MX: a mail exchange for the owner (RFC 1035 §3.3.9).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                  PREFERENCE                   |
/// /                   EXCHANGE                    /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct MX: RDataType {
    public static let recordType = RecordType.MX
    public static let lowercasesNames = true
    public var preference: UInt16
    public var exchange: DomainName

    public init(preference: UInt16, exchange: DomainName) {
        self.preference = preference
        self.exchange = exchange
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        preference = try reader.readUInt16("MX preference")
        exchange = try reader.readName()
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(preference)
        write(exchange, to: &writer, canonical: canonical, compressible: true)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        preference = try parser.uint16("preference")
        exchange = try parser.name("exchange")
        try parser.finish()
    }

    public var presentation: String { "\(preference) \(exchange)" }
    public var rdata: RData { .mx(self) }
}
