/// NSEC3: hashed authenticated denial of existence (RFC 5155 §3.2).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Hash Alg.   |     Flags     |          Iterations           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Salt Length  |                     Salt                      /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Hash Length  |             Next Hashed Owner Name            /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                         Type Bit Maps                         /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct NSEC3: RDataType {
    public static let recordType = RecordType.NSEC3
    /// Opt-out flag (RFC 5155 §3.1.2.1).
    public static let optOutFlag: UInt8 = 0x01
    public var hashAlgorithm: UInt8
    public var flags: UInt8
    public var iterations: UInt16
    public var salt: [UInt8]
    public var nextHashedOwner: [UInt8]
    public var types: TypeBitmap

    public init(hashAlgorithm: UInt8 = 1, flags: UInt8, iterations: UInt16, salt: [UInt8], nextHashedOwner: [UInt8], types: TypeBitmap) {
        self.hashAlgorithm = hashAlgorithm
        self.flags = flags
        self.iterations = iterations
        self.salt = salt
        self.nextHashedOwner = nextHashedOwner
        self.types = types
    }

    public var isOptOut: Bool { flags & NSEC3.optOutFlag != 0 }

    public init(wire reader: inout WireReader) throws(WireError) {
        hashAlgorithm = try reader.readUInt8("NSEC3 hash algorithm")
        flags = try reader.readUInt8("NSEC3 flags")
        iterations = try reader.readUInt16("NSEC3 iterations")
        salt = try reader.readCharacterString("NSEC3 salt")
        nextHashedOwner = try reader.readCharacterString("NSEC3 next hashed owner")
        guard !nextHashedOwner.isEmpty else {
            throw .invalidValue(type: .NSEC3, field: "next hashed owner", reason: "empty")
        }
        types = try TypeBitmap(wire: &reader, owner: .NSEC3)
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(hashAlgorithm)
        writer.write(flags)
        writer.write(iterations)
        writer.writeCharacterString(salt)
        writer.writeCharacterString(nextHashedOwner)
        types.encode(to: &writer)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        hashAlgorithm = try parser.uint8("hash algorithm")
        flags = try parser.uint8("flags")
        iterations = try parser.uint16("iterations")
        salt = try NSEC3PARAM.parseSalt(&parser)
        let hashToken = try parser.next("next hashed owner")
        guard let hash = Base32Hex.decode(hashToken.text), !hash.isEmpty, hash.count <= 255 else {
            throw parser.invalid("next hashed owner", "expected base32hex, found \"\(hashToken.string)\"", at: hashToken)
        }
        nextHashedOwner = hash
        types = try TypeBitmap(presentation: &parser)
    }

    public var presentation: String {
        var text = "\(hashAlgorithm) \(flags) \(iterations) \(NSEC3PARAM.saltText(salt)) "
            + Base32Hex.encode(nextHashedOwner).uppercased()
        if !types.types.isEmpty { text += " " + types.presentation }
        return text
    }

    public var rdata: RData { .nsec3(self) }
}
