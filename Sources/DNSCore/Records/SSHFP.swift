/// SSHFP: an SSH host key fingerprint (RFC 4255 §3.1).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   algorithm   |    fp type    |                               /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               /
/// /                          fingerprint                          /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct SSHFP: RDataType {
    public static let recordType = RecordType.SSHFP
    public var algorithm: UInt8
    public var fingerprintType: UInt8
    public var fingerprint: [UInt8]

    public init(algorithm: UInt8, fingerprintType: UInt8, fingerprint: [UInt8]) {
        self.algorithm = algorithm
        self.fingerprintType = fingerprintType
        self.fingerprint = fingerprint
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        algorithm = try reader.readUInt8("SSHFP algorithm")
        fingerprintType = try reader.readUInt8("SSHFP fingerprint type")
        fingerprint = reader.readRest()
        guard !fingerprint.isEmpty else { throw .invalidValue(type: .SSHFP, field: "fingerprint", reason: "empty") }
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(algorithm)
        writer.write(fingerprintType)
        writer.write(bytes: fingerprint)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        algorithm = try parser.uint8("algorithm")
        fingerprintType = try parser.uint8("fingerprint type")
        fingerprint = try parser.hexRest("fingerprint")
    }

    public var presentation: String { "\(algorithm) \(fingerprintType) \(Base16.encode(fingerprint))" }
    public var rdata: RData { .sshfp(self) }
}
