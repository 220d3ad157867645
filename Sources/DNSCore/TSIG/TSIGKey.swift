import Crypto

/// A TSIG shared secret: key name, HMAC algorithm and the secret bytes (RFC 8945 §3).
///
/// Secrets are exchanged as base64, the way `tsig-keygen`, `keymgr -t` and `dig -y` write them. The
/// description never shows the secret, so keys can be logged.
public struct TSIGKey: Hashable, Sendable, CustomStringConvertible {
    /// Compared case-insensitively, as on the wire; written lowercased into MACs (RFC 8945 §4.3.3).
    public let name: DomainName
    public let algorithm: TSIGAlgorithm
    public let secret: [UInt8]

    public init(name: DomainName, algorithm: TSIGAlgorithm = .hmacSHA256, secret: [UInt8]) throws(TSIGError) {
        guard algorithm.isSupported else {
            throw .invalidKey("algorithm \(algorithm) is not supported (use hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1)")
        }
        guard !secret.isEmpty else { throw .invalidKey("key \(name) has an empty secret") }
        self.name = name
        self.algorithm = algorithm
        self.secret = secret
    }

    /// A key from its name text (`transfer-key` or `transfer-key.`), algorithm and base64 secret.
    public init(name: String, algorithm: TSIGAlgorithm = .hmacSHA256, base64Secret: String) throws(TSIGError) {
        let keyName: DomainName
        do { keyName = try DomainName(name, origin: .root) } catch { throw .invalidKey("key name \"\(name)\": \(error)") }
        let compact = base64Secret.filter { !$0.isWhitespace }
        guard let secret = Base64.decode(compact) else {
            throw .invalidKey("secret of key \(keyName) is not base64")
        }
        try self.init(name: keyName, algorithm: algorithm, secret: secret)
    }

    /// The `dig -y` / `kdig -y` form: `[algorithm:]name:secret` (algorithm defaults to hmac-sha256).
    public init(spec: String) throws(TSIGError) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 2:
            try self.init(name: parts[0], base64Secret: parts[1])
        case 3:
            guard let algorithm = TSIGAlgorithm(mnemonic: parts[0]) else {
                throw .invalidKey("unknown TSIG algorithm \"\(parts[0])\" in \"\(parts[0]):\(parts[1]):…\"")
            }
            try self.init(name: parts[1], algorithm: algorithm, base64Secret: parts[2])
        default:
            throw .invalidKey("expected [algorithm:]name:secret, found \(parts.count) fields")
        }
    }

    /// A new random secret as long as the HMAC output (what `tsig-keygen` does).
    public static func generate(name: DomainName, algorithm: TSIGAlgorithm = .hmacSHA256) throws(TSIGError) -> TSIGKey {
        guard let length = algorithm.macLength else {
            throw .invalidKey("algorithm \(algorithm) is not supported")
        }
        let secret = SymmetricKey(size: SymmetricKeySize(bitCount: length * 8)).withUnsafeBytes { Array($0) }
        return try TSIGKey(name: name, algorithm: algorithm, secret: secret)
    }

    public var base64Secret: String { Base64.encode(secret) }

    /// `hmac-sha256:name:secret`, for `dig -y` and `kdig -y`.
    public var spec: String { "\(algorithm.mnemonic):\(String(name.text.dropLast())):\(base64Secret)" }

    /// A BIND `key` statement (what `tsig-keygen` prints), for named.conf or `nsupdate -k`.
    public var bindConfiguration: String {
        "key \"\(String(name.text.dropLast()))\" {\n\talgorithm \(algorithm.mnemonic);\n\tsecret \"\(base64Secret)\";\n};\n"
    }

    public var description: String { "TSIG key \(name) (\(algorithm))" }

    public static func == (lhs: TSIGKey, rhs: TSIGKey) -> Bool {
        lhs.name == rhs.name && lhs.algorithm == rhs.algorithm && lhs.secret == rhs.secret
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(algorithm)
    }
}
