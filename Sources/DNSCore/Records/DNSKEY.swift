/// DNSKEY: a public key of the zone (RFC 4034 §2.1).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |              Flags            |    Protocol   |   Algorithm   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                            Public Key                         /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct DNSKEY: KeyRData {
    public static let recordType = RecordType.DNSKEY
    public var flags: UInt16
    public var `protocol`: UInt8
    public var algorithm: UInt8
    public var publicKey: [UInt8]

    public init(flags: UInt16, protocol: UInt8 = 3, algorithm: UInt8, publicKey: [UInt8]) {
        self.flags = flags
        self.protocol = `protocol`
        self.algorithm = algorithm
        self.publicKey = publicKey
    }

    public var rdata: RData { .dnskey(self) }
}

/// Types laid out like DNSKEY (DNSKEY, CDNSKEY).
public protocol KeyRData: RDataType {
    var flags: UInt16 { get }
    var `protocol`: UInt8 { get }
    var algorithm: UInt8 { get }
    var publicKey: [UInt8] { get }
    init(flags: UInt16, protocol: UInt8, algorithm: UInt8, publicKey: [UInt8])
}

extension KeyRData {
    /// Zone Key flag (bit 7): set on every key that signs zone data.
    public static var zoneKeyFlag: UInt16 { 0x0100 }
    /// Secure Entry Point flag (bit 15): set on key-signing keys (flags 257).
    public static var sepFlag: UInt16 { 0x0001 }

    public var isZoneKey: Bool { flags & Self.zoneKeyFlag != 0 }
    public var isSecureEntryPoint: Bool { flags & Self.sepFlag != 0 }

    public init(wire reader: inout WireReader) throws(WireError) {
        let flags = try reader.readUInt16("\(Self.recordType) flags")
        let proto = try reader.readUInt8("\(Self.recordType) protocol")
        let algorithm = try reader.readUInt8("\(Self.recordType) algorithm")
        let publicKey = reader.readRest()
        guard !publicKey.isEmpty else {
            throw .invalidValue(type: Self.recordType, field: "public key", reason: "empty")
        }
        self.init(flags: flags, protocol: proto, algorithm: algorithm, publicKey: publicKey)
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(flags)
        writer.write(`protocol`)
        writer.write(algorithm)
        writer.write(bytes: publicKey)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        let flags = try parser.uint16("flags")
        let proto = try parser.uint8("protocol")
        let algorithm = try parser.uint8("algorithm")
        self.init(flags: flags, protocol: proto, algorithm: algorithm, publicKey: try parser.base64Rest("public key"))
    }

    public var presentation: String { "\(flags) \(`protocol`) \(algorithm) \(Base64.encode(publicKey))" }
}
