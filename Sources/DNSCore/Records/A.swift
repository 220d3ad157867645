/// A: an IPv4 host address (RFC 1035 §3.4.1).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                    ADDRESS                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct A: RDataType {
    public static let recordType = RecordType.A
    public var address: IPv4Address

    public init(_ address: IPv4Address) { self.address = address }

    public init(wire reader: inout WireReader) throws(WireError) {
        address = IPv4Address(bytes: try reader.readBytes(4, "A address"))!
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(bytes: address.bytes)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        let token = try parser.next("address")
        guard let address = IPv4Address(token.string) else {
            throw parser.invalid("address", "expected a dotted-quad IPv4 address, found \"\(token.string)\"", at: token)
        }
        self.address = address
        try parser.finish()
    }

    public var presentation: String { address.description }
    public var rdata: RData { .a(self) }
}
