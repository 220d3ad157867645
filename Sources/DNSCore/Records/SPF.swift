/// SPF: type 99, TXT-formatted sender policy (RFC 4408 §3.1.1; deprecated by RFC 7208 but still served).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   SPF-DATA                    /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct SPF: CharacterStringsRData {
    public static let recordType = RecordType.SPF
    public var strings: [[UInt8]]
    public init(strings: [[UInt8]]) { self.strings = strings }
    public var rdata: RData { .spf(self) }
}
