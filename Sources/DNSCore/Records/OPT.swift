/// OPT: the EDNS(0) pseudo-record's RDATA, a list of options (RFC 6891 §6.1.2). The payload size,
/// extended RCODE, version and DO bit live in the record's CLASS and TTL; `Message` reads them.
///
/// ```
/// +0 (MSB)                            +1 (LSB)
/// +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// |                          OPTION-CODE                          |
/// |                         OPTION-LENGTH                         |
/// /                          OPTION-DATA                          /
/// +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// ```
public struct OPT: RDataType {
    public struct Option: Sendable, Hashable {
        public var code: UInt16
        public var data: [UInt8]
        public init(code: UInt16, data: [UInt8]) {
            self.code = code
            self.data = data
        }

        public static let cookie: UInt16 = 10
        public static let padding: UInt16 = 12
    }

    public static let recordType = RecordType.OPT
    public var options: [Option]

    public init(options: [Option] = []) { self.options = options }

    public init(wire reader: inout WireReader) throws(WireError) {
        var options: [Option] = []
        while !reader.isAtEnd {
            let code = try reader.readUInt16("EDNS option code")
            let length = Int(try reader.readUInt16("EDNS option length"))
            options.append(Option(code: code, data: try reader.readBytes(length, "EDNS option data")))
        }
        self.options = options
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        for option in options {
            writer.write(option.code)
            writer.write(UInt16(option.data.count))
            writer.write(bytes: option.data)
        }
    }

    /// OPT never appears in zone files; presentation is a list of `code:hex` for logs only.
    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        throw parser.error("is a pseudo-record and cannot appear in a zone file", at: parser.peek())
    }

    public var presentation: String {
        options.map { "\($0.code):\(Base16.encode($0.data))" }.joined(separator: " ")
    }

    public var rdata: RData { .opt(self) }
}
