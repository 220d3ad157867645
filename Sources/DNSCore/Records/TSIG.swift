/// TSIG: a transaction signature, always the last record of a message (RFC 8945 §4.2).
///
/// ```
/// /                     Algorithm Name                            /
/// |          Time Signed (48 bits)                                |
/// |            Fudge              |          MAC Size             |
/// /                             MAC                               /
/// |          Original ID          |            Error              |
/// |          Other Len            |                               /
/// /                           Other Data                          /
/// ```
/// Presentation (as BIND prints it): `algorithm time fudge macsize mac origid error otherlen [other]`.
public struct TSIG: RDataType {
    public static let recordType = RecordType.TSIG
    public var algorithm: DomainName
    public var timeSigned: UInt64
    public var fudge: UInt16
    public var mac: [UInt8]
    public var originalID: UInt16
    public var error: UInt16
    public var otherData: [UInt8]

    public init(
        algorithm: DomainName, timeSigned: UInt64, fudge: UInt16, mac: [UInt8], originalID: UInt16, error: UInt16,
        otherData: [UInt8] = []
    ) {
        self.algorithm = algorithm
        self.timeSigned = timeSigned
        self.fudge = fudge
        self.mac = mac
        self.originalID = originalID
        self.error = error
        self.otherData = otherData
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        algorithm = try reader.readName()
        timeSigned = try reader.readUInt48("TSIG time signed")
        fudge = try reader.readUInt16("TSIG fudge")
        let macSize = Int(try reader.readUInt16("TSIG MAC size"))
        mac = try reader.readBytes(macSize, "TSIG MAC")
        originalID = try reader.readUInt16("TSIG original ID")
        error = try reader.readUInt16("TSIG error")
        let otherLength = Int(try reader.readUInt16("TSIG other length"))
        otherData = try reader.readBytes(otherLength, "TSIG other data")
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        // RFC 8945 §4.2: the algorithm name is not compressed.
        writer.write(algorithm, canonical: canonical)
        writer.writeUInt48(timeSigned)
        writer.write(fudge)
        writer.write(UInt16(mac.count))
        writer.write(bytes: mac)
        writer.write(originalID)
        writer.write(error)
        writer.write(UInt16(otherData.count))
        writer.write(bytes: otherData)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        algorithm = try parser.name("algorithm")
        let timeToken = try parser.next("time signed")
        guard let time = UInt64(timeToken.string), time < 1 << 48 else {
            throw parser.invalid("time signed", "expected a 48-bit number", at: timeToken)
        }
        timeSigned = time
        fudge = try parser.uint16("fudge")
        let macSize = try parser.uint16("MAC size")
        mac = macSize == 0 ? [] : try TSIG.base64Field(&parser, "MAC")
        guard mac.count == Int(macSize) else { throw parser.invalid("MAC", "length is not \(macSize)", at: nil) }
        originalID = try parser.uint16("original ID")
        error = try parser.uint16("error")
        let otherLength = try parser.uint16("other length")
        otherData = otherLength == 0 ? [] : try TSIG.base64Field(&parser, "other data")
        guard otherData.count == Int(otherLength) else {
            throw parser.invalid("other data", "length is not \(otherLength)", at: nil)
        }
        try parser.finish()
    }

    static func base64Field(_ parser: inout RDataParser, _ field: String) throws(ZoneFileError) -> [UInt8] {
        let token = try parser.next(field)
        guard let bytes = Base64.decode(token.text) else { throw parser.invalid(field, "not base64", at: token) }
        return bytes
    }

    public var presentation: String {
        var text = "\(algorithm) \(timeSigned) \(fudge) \(mac.count)"
        if !mac.isEmpty { text += " " + Base64.encode(mac) }
        text += " \(originalID) \(error) \(otherData.count)"
        if !otherData.isEmpty { text += " " + Base64.encode(otherData) }
        return text
    }

    public var rdata: RData { .tsig(self) }
}
