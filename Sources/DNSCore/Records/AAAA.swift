/// AAAA: an IPv6 host address (RFC 3596 §2.2): 16 octets in network order.
public struct AAAA: RDataType {
    public static let recordType = RecordType.AAAA
    public var address: IPv6Address

    public init(_ address: IPv6Address) { self.address = address }

    public init(wire reader: inout WireReader) throws(WireError) {
        address = IPv6Address(bytes: try reader.readBytes(16, "AAAA address"))!
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) { writer.write(bytes: address.bytes) }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        let token = try parser.next("address")
        guard let address = IPv6Address(token.string) else {
            throw parser.invalid("address", "expected an IPv6 address, found \"\(token.string)\"", at: token)
        }
        self.address = address
        try parser.finish()
    }

    public var presentation: String { address.description }
    public var rdata: RData { .aaaa(self) }
}
