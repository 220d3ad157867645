/// PTR: a pointer to another part of the name space (RFC 1035 §3.3.12).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   PTRDNAME                    /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct PTR: SingleNameRData {
    public static let recordType = RecordType.PTR
    public static let lowercasesNames = true
    public static let compressible = true
    public var target: DomainName
    public init(target: DomainName) { self.target = target }
    public var rdata: RData { .ptr(self) }
}
