/// An RR CLASS code, open like `RecordType`; unknown classes print as `CLASS123` (RFC 3597).
public struct DNSClass: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let IN = DNSClass(1)
    public static let CH = DNSClass(3)
    public static let HS = DNSClass(4)
    public static let NONE = DNSClass(254)
    public static let ANY = DNSClass(255)

    static let mnemonics: [UInt16: String] = [1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"]

    public init?(mnemonic: String) {
        let upper = mnemonic.uppercased()
        if let match = DNSClass.mnemonics.first(where: { $0.value == upper }) {
            self.rawValue = match.key
        } else if upper.hasPrefix("CLASS"), let code = UInt16(upper.dropFirst(5)) {
            self.rawValue = code
        } else {
            return nil
        }
    }

    public var description: String { DNSClass.mnemonics[rawValue] ?? "CLASS\(rawValue)" }
}
