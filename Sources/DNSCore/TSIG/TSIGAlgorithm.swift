/// A TSIG algorithm, identified on the wire by a domain name (RFC 8945 §6). Open: a request naming an
/// algorithm we do not implement still parses, and is answered with BADKEY.
public struct TSIGAlgorithm: Hashable, Sendable, CustomStringConvertible {
    /// The algorithm name as it travels in the TSIG record (lowercase, absolute).
    public let name: DomainName

    public init(name: DomainName) { self.name = name.lowercased() }

    /// The default (RFC 8945 §6: mandatory to implement).
    public static let hmacSHA256 = TSIGAlgorithm(name: "hmac-sha256.")
    public static let hmacSHA384 = TSIGAlgorithm(name: "hmac-sha384.")
    public static let hmacSHA512 = TSIGAlgorithm(name: "hmac-sha512.")
    /// For old peers only.
    public static let hmacSHA1 = TSIGAlgorithm(name: "hmac-sha1.")
    /// Deprecated (RFC 8945 §6); recognised so it can be refused by name.
    public static let hmacMD5 = TSIGAlgorithm(name: "hmac-md5.sig-alg.reg.int.")

    public static let supported: [TSIGAlgorithm] = [.hmacSHA256, .hmacSHA384, .hmacSHA512, .hmacSHA1]

    /// `hmac-sha256`, `HMAC-SHA256` or `hmac-sha256.` (as `dig -y`, `tsig-keygen` and `keymgr` write it),
    /// or `hmac-md5`. Nil for anything else.
    public init?(mnemonic: String) {
        var text = mnemonic.lowercased()
        if text.hasSuffix(".") { text.removeLast() }
        switch text {
        case "hmac-sha256": self = .hmacSHA256
        case "hmac-sha384": self = .hmacSHA384
        case "hmac-sha512": self = .hmacSHA512
        case "hmac-sha1": self = .hmacSHA1
        case "hmac-md5", "hmac-md5.sig-alg.reg.int": self = .hmacMD5
        default: return nil
        }
    }

    /// HMAC output length in bytes, or nil when this build cannot compute it.
    public var macLength: Int? {
        switch self {
        case .hmacSHA256: 32
        case .hmacSHA384: 48
        case .hmacSHA512: 64
        case .hmacSHA1: 20
        default: nil
        }
    }

    public var isSupported: Bool { macLength != nil }

    /// The short form without the trailing dot (`hmac-sha256`), as key files and `dig -y` use it.
    public var mnemonic: String {
        self == .hmacMD5 ? "hmac-md5" : String(name.text.dropLast())
    }

    public var description: String { mnemonic }
}
