/// CDS: the DS the child wants its parent to publish (RFC 7344 §3.1); `0 0 0 00` asks for
/// removal (RFC 8078 §4). Same layout as DS:
///
/// ```
/// | Key Tag (16) | Algorithm (8) | Digest Type (8) | Digest ... |
/// ```
public struct CDS: DigestRData {
    public static let recordType = RecordType.CDS
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

    public var rdata: RData { .cds(self) }
}
