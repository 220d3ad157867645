/// SRV: the location of a service (RFC 2782). The target is never compressed.
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                   PRIORITY                    |
/// |                    WEIGHT                     |
/// |                     PORT                      |
/// /                    TARGET                     /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct SRV: RDataType {
    public static let recordType = RecordType.SRV
    public static let lowercasesNames = true
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: DomainName

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: DomainName) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        priority = try reader.readUInt16("SRV priority")
        weight = try reader.readUInt16("SRV weight")
        port = try reader.readUInt16("SRV port")
        target = try reader.readName()
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(priority)
        writer.write(weight)
        writer.write(port)
        write(target, to: &writer, canonical: canonical)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        priority = try parser.uint16("priority")
        weight = try parser.uint16("weight")
        port = try parser.uint16("port")
        target = try parser.name("target")
        try parser.finish()
    }

    public var presentation: String { "\(priority) \(weight) \(port) \(target)" }
    public var rdata: RData { .srv(self) }
}
