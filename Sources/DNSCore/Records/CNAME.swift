/// CNAME: the canonical name for an alias (RFC 1035 §3.3.1).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   CNAME                       /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct CNAME: SingleNameRData {
    public static let recordType = RecordType.CNAME
    public static let lowercasesNames = true
    public static let compressible = true
    public var target: DomainName
    public init(target: DomainName) { self.target = target }
    public var rdata: RData { .cname(self) }
}
