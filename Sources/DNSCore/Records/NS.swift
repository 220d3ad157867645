/// NS: an authoritative name server for the owner (RFC 1035 §3.3.11).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   NSDNAME                     /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct NS: SingleNameRData {
    public static let recordType = RecordType.NS
    public static let lowercasesNames = true
    public static let compressible = true
    public var target: DomainName
    public init(target: DomainName) { self.target = target }
    public var rdata: RData { .ns(self) }
}
