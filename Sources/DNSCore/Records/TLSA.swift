/// TLSA: a TLS certificate association for DANE (RFC 6698 §2.1).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Cert. Usage  |   Selector    | Matching Type |               /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+               /
/// /                 Certificate Association Data                  /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct TLSA: RDataType {
    public static let recordType = RecordType.TLSA
    public var usage: UInt8
    public var selector: UInt8
    public var matchingType: UInt8
    public var data: [UInt8]

    public init(usage: UInt8, selector: UInt8, matchingType: UInt8, data: [UInt8]) {
        self.usage = usage
        self.selector = selector
        self.matchingType = matchingType
        self.data = data
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        usage = try reader.readUInt8("TLSA usage")
        selector = try reader.readUInt8("TLSA selector")
        matchingType = try reader.readUInt8("TLSA matching type")
        data = reader.readRest()
        guard !data.isEmpty else { throw .invalidValue(type: .TLSA, field: "certificate association data", reason: "empty") }
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(usage)
        writer.write(selector)
        writer.write(matchingType)
        writer.write(bytes: data)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        usage = try parser.uint8("usage")
        selector = try parser.uint8("selector")
        matchingType = try parser.uint8("matching type")
        data = try parser.hexRest("certificate association data")
    }

    public var presentation: String { "\(usage) \(selector) \(matchingType) \(Base16.encode(data))" }
    public var rdata: RData { .tlsa(self) }
}
