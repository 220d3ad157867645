/// DNAME: a redirection of the whole subtree below the owner (RFC 6672 §2.1); never compressed on the wire.
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   DNAME                       /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct DNAME: SingleNameRData {
    public static let recordType = RecordType.DNAME
    public static let lowercasesNames = true
    public static let compressible = false
    public var target: DomainName
    public init(target: DomainName) { self.target = target }
    public var rdata: RData { .dname(self) }
}
