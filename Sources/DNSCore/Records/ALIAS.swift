/// ALIAS: PowerDNS-style apex alias: answer A/AAAA with the target's addresses. Private type 65401; the primary expands it before it leaves, so it is never signed.
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   TARGET                      /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct ALIAS: SingleNameRData {
    public static let recordType = RecordType.ALIAS
    public static let lowercasesNames = false
    public static let compressible = false
    public var target: DomainName
    public init(target: DomainName) { self.target = target }
    public var rdata: RData { .alias(self) }
}
