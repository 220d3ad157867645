/// DS: a digest of the child zone's key-signing key, published in the parent (RFC 4034 §5.1).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |           Key Tag             |  Algorithm    |  Digest Type  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                            Digest                             /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
public struct DS: DigestRData {
    public static let recordType = RecordType.DS
    public var keyTag: UInt16
    public var algorithm: UInt8
    public var digestType: UInt8
    public var digest: [UInt8]

    public init(keyTag: UInt16, algorithm: UInt8, digestType: UInt8, digest: [UInt8]) {
        self.keyTag = keyTag
        self.algorithm = algorithm
        self.digestType = digestType
        self.digest = digest
    }

    public var rdata: RData { .ds(self) }
}

/// Types laid out like DS (DS, CDS).
public protocol DigestRData: RDataType {
    var keyTag: UInt16 { get }
    var algorithm: UInt8 { get }
    var digestType: UInt8 { get }
    var digest: [UInt8] { get }
    init(keyTag: UInt16, algorithm: UInt8, digestType: UInt8, digest: [UInt8])
}

extension DigestRData {
    public init(wire reader: inout WireReader) throws(WireError) {
        let keyTag = try reader.readUInt16("\(Self.recordType) key tag")
        let algorithm = try reader.readUInt8("\(Self.recordType) algorithm")
        let digestType = try reader.readUInt8("\(Self.recordType) digest type")
        let digest = reader.readRest()
        guard !digest.isEmpty else {
            throw .invalidValue(type: Self.recordType, field: "digest", reason: "empty")
        }
        self.init(keyTag: keyTag, algorithm: algorithm, digestType: digestType, digest: digest)
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(keyTag)
        writer.write(algorithm)
        writer.write(digestType)
        writer.write(bytes: digest)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        let keyTag = try parser.uint16("key tag")
        let algorithm = try parser.uint8("algorithm")
        let digestType = try parser.uint8("digest type")
        let digest = try parser.hexRest("digest")
        self.init(keyTag: keyTag, algorithm: algorithm, digestType: digestType, digest: digest)
    }

    public var presentation: String { "\(keyTag) \(algorithm) \(digestType) \(Base16.encode(digest))" }
}
