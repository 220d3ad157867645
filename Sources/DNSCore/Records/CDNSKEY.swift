/// CDNSKEY: the DNSKEY the child wants its parent to make a DS from (RFC 7344 §3.2); `0 3 0 AA==`
/// asks for removal (RFC 8078 §4). Same layout as DNSKEY:
///
/// ```
/// | Flags (16) | Protocol (8) | Algorithm (8) | Public Key ... |
/// ```
public struct CDNSKEY: KeyRData {
    public static let recordType = RecordType.CDNSKEY
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

    public var rdata: RData { .cdnskey(self) }
}
