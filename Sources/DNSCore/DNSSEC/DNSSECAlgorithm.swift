/// A DNSSEC algorithm number (RFC 8624 registry). Open like `RecordType`: any octet is a value, so a
/// DNSKEY of an algorithm we cannot sign with still round-trips and prints.
public struct DNSSECAlgorithm: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let RSASHA1 = DNSSECAlgorithm(5)
    public static let RSASHA1NSEC3SHA1 = DNSSECAlgorithm(7)
    /// RFC 5702. Signing needs 2048 bits or more here.
    public static let RSASHA256 = DNSSECAlgorithm(8)
    public static let RSASHA512 = DNSSECAlgorithm(10)
    /// RFC 6605, the default (what Route 53 and most operators use).
    public static let ECDSAP256SHA256 = DNSSECAlgorithm(13)
    /// RFC 6605.
    public static let ECDSAP384SHA384 = DNSSECAlgorithm(14)
    /// RFC 8080.
    public static let ED25519 = DNSSECAlgorithm(15)
    public static let ED448 = DNSSECAlgorithm(16)

    /// The algorithms this build can generate, sign and verify with.
    public static let supported: [DNSSECAlgorithm] = [.RSASHA256, .ECDSAP256SHA256, .ECDSAP384SHA384, .ED25519]

    static let mnemonics: [UInt8: String] = [
        1: "RSAMD5", 3: "DSA", 5: "RSASHA1", 6: "NSEC3DSA", 7: "NSEC3RSASHA1", 8: "RSASHA256", 10: "RSASHA512",
        12: "ECC-GOST", 13: "ECDSAP256SHA256", 14: "ECDSAP384SHA384", 15: "ED25519", 16: "ED448",
    ]

    public var isSupported: Bool { DNSSECAlgorithm.supported.contains(self) }

    /// `ECDSAP256SHA256`, `ecdsap256sha256` or `13` (BIND and ldns accept both spellings).
    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let match = DNSSECAlgorithm.mnemonics.first(where: { $0.value == upper }) {
            self.rawValue = match.key
        } else if upper == "NSEC3RSASHA1" || upper == "RSASHA1-NSEC3-SHA1" {
            self.rawValue = 7
        } else if let code = UInt8(upper) {
            self.rawValue = code
        } else {
            return nil
        }
    }

    /// The mnemonic, or the number for an algorithm without one.
    public var mnemonic: String { DNSSECAlgorithm.mnemonics[rawValue] ?? String(rawValue) }

    public var description: String { mnemonic }

    public static func < (lhs: DNSSECAlgorithm, rhs: DNSSECAlgorithm) -> Bool { lhs.rawValue < rhs.rawValue }
}
