/// SOA: start of a zone of authority (RFC 1035 §3.3.13).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                     MNAME                     /
/// /                     RNAME                     /
/// |                    SERIAL                     |
/// |                    REFRESH                    |
/// |                     RETRY                     |
/// |                    EXPIRE                     |
/// |                    MINIMUM                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct SOA: RDataType {
    public static let recordType = RecordType.SOA
    public static let lowercasesNames = true
    public var mname: DomainName
    public var rname: DomainName
    public var serial: SerialNumber
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    /// Negative-caching TTL (RFC 2308).
    public var minimum: UInt32

    public init(
        mname: DomainName, rname: DomainName, serial: SerialNumber, refresh: UInt32, retry: UInt32,
        expire: UInt32, minimum: UInt32
    ) {
        self.mname = mname
        self.rname = rname
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        mname = try reader.readName()
        rname = try reader.readName()
        serial = SerialNumber(try reader.readUInt32("SOA serial"))
        refresh = try reader.readUInt32("SOA refresh")
        retry = try reader.readUInt32("SOA retry")
        expire = try reader.readUInt32("SOA expire")
        minimum = try reader.readUInt32("SOA minimum")
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        write(mname, to: &writer, canonical: canonical, compressible: true)
        write(rname, to: &writer, canonical: canonical, compressible: true)
        writer.write(serial.rawValue)
        writer.write(refresh)
        writer.write(retry)
        writer.write(expire)
        writer.write(minimum)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        mname = try parser.name("mname")
        rname = try parser.name("rname")
        serial = SerialNumber(try parser.uint32("serial"))
        refresh = try parser.duration("refresh")
        retry = try parser.duration("retry")
        expire = try parser.duration("expire")
        minimum = try parser.duration("minimum")
        try parser.finish()
    }

    public var presentation: String {
        "\(mname) \(rname) \(serial) \(refresh) \(retry) \(expire) \(minimum)"
    }

    public var rdata: RData { .soa(self) }
}
