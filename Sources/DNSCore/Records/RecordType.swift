/// An RR TYPE code. Open: any 16-bit value is a type, and unknown ones print as `TYPE12345` (RFC 3597).
public struct RecordType: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let A = RecordType(1)
    public static let NS = RecordType(2)
    public static let CNAME = RecordType(5)
    public static let SOA = RecordType(6)
    public static let PTR = RecordType(12)
    public static let HINFO = RecordType(13)
    public static let MX = RecordType(15)
    public static let TXT = RecordType(16)
    public static let AAAA = RecordType(28)
    public static let SRV = RecordType(33)
    public static let NAPTR = RecordType(35)
    public static let DNAME = RecordType(39)
    public static let OPT = RecordType(41)
    public static let DS = RecordType(43)
    public static let SSHFP = RecordType(44)
    public static let RRSIG = RecordType(46)
    public static let NSEC = RecordType(47)
    public static let DNSKEY = RecordType(48)
    public static let NSEC3 = RecordType(50)
    public static let NSEC3PARAM = RecordType(51)
    public static let TLSA = RecordType(52)
    public static let CDS = RecordType(59)
    public static let CDNSKEY = RecordType(60)
    public static let SVCB = RecordType(64)
    public static let HTTPS = RecordType(65)
    public static let SPF = RecordType(99)
    public static let TSIG = RecordType(250)
    public static let IXFR = RecordType(251)
    public static let AXFR = RecordType(252)
    public static let ANY = RecordType(255)
    public static let CAA = RecordType(257)
    /// PowerDNS's private-use code for ALIAS; it never leaves the primary unexpanded.
    public static let ALIAS = RecordType(65401)

    static let mnemonics: [UInt16: String] = [
        1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT", 28: "AAAA",
        33: "SRV", 35: "NAPTR", 39: "DNAME", 41: "OPT", 43: "DS", 44: "SSHFP", 46: "RRSIG", 47: "NSEC",
        48: "DNSKEY", 50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 59: "CDS", 60: "CDNSKEY", 64: "SVCB",
        65: "HTTPS", 99: "SPF", 250: "TSIG", 251: "IXFR", 252: "AXFR", 255: "ANY", 257: "CAA", 65401: "ALIAS",
    ]
    static let byMnemonic: [String: UInt16] = Dictionary(uniqueKeysWithValues: mnemonics.map { ($1, $0) })

    /// Parses `AAAA`, `aaaa` or `TYPE28`.
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let code = RecordType.byMnemonic[upper] {
            self.rawValue = code
        } else if upper.hasPrefix("TYPE"), let code = UInt16(upper.dropFirst(4)) {
            self.rawValue = code
        } else {
            return nil
        }
    }

    public var description: String { RecordType.mnemonics[rawValue] ?? "TYPE\(rawValue)" }

    /// Meta and question-only types (RFC 6895 §3.1) cannot appear as data in a zone.
    public var isMeta: Bool { rawValue == 41 || (rawValue >= 128 && rawValue <= 255) }

    public static func < (lhs: RecordType, rhs: RecordType) -> Bool { lhs.rawValue < rhs.rawValue }
}
