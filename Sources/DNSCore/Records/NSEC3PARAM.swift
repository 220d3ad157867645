/// NSEC3PARAM: the NSEC3 parameters an authoritative server uses for this zone (RFC 5155 §4.2).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Hash Alg.   |     Flags     |          Iterations           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Salt Length  |                     Salt                      /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct NSEC3PARAM: RDataType {
    public static let recordType = RecordType.NSEC3PARAM
    public var hashAlgorithm: UInt8
    public var flags: UInt8
    public var iterations: UInt16
    public var salt: [UInt8]

    public init(hashAlgorithm: UInt8 = 1, flags: UInt8 = 0, iterations: UInt16 = 0, salt: [UInt8] = []) {
        self.hashAlgorithm = hashAlgorithm
        self.flags = flags
        self.iterations = iterations
        self.salt = salt
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        hashAlgorithm = try reader.readUInt8("NSEC3PARAM hash algorithm")
        flags = try reader.readUInt8("NSEC3PARAM flags")
        iterations = try reader.readUInt16("NSEC3PARAM iterations")
        salt = try reader.readCharacterString("NSEC3PARAM salt")
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(hashAlgorithm)
        writer.write(flags)
        writer.write(iterations)
        writer.writeCharacterString(salt)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        hashAlgorithm = try parser.uint8("hash algorithm")
        flags = try parser.uint8("flags")
        iterations = try parser.uint16("iterations")
        salt = try NSEC3PARAM.parseSalt(&parser)
        try parser.finish()
    }

    /// `-` for an empty salt, else hex (at most 255 bytes).
    static func parseSalt(_ parser: inout RDataParser) throws(ZoneFileError) -> [UInt8] {
        let token = try parser.next("salt")
        if token.text.elementsEqual("-".utf8) { return [] }
        guard let salt = Base16.decode(token.text), salt.count <= 255 else {
            throw parser.invalid("salt", "expected hex or -, found \"\(token.string)\"", at: token)
        }
        return salt
    }

    static func saltText(_ salt: [UInt8]) -> String { salt.isEmpty ? "-" : Base16.encode(salt) }

    public var presentation: String { "\(hashAlgorithm) \(flags) \(iterations) \(NSEC3PARAM.saltText(salt))" }
    public var rdata: RData { .nsec3param(self) }
}
