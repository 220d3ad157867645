/// Why a DNSSEC key could not be generated, loaded, used or accepted. Every case names the algorithm,
/// file or zone involved so the operator can tell which key is at fault.
public enum DNSSECError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The algorithm is known but this build cannot do `operation` with it (or it is unassigned).
    case unsupportedAlgorithm(DNSSECAlgorithm, operation: String)
    /// RSA keys below the minimum size (2048 bits for signing, RFC 8624 guidance; 1024 for verifying).
    case rsaKeySize(bits: Int, minimum: Int)
    /// Public key bytes (DNSKEY field, or a key file's) that do not form a key of the algorithm.
    case invalidPublicKey(DNSSECAlgorithm, reason: String)
    /// Private key material that does not form a key of the algorithm.
    case invalidPrivateKey(DNSSECAlgorithm, reason: String)
    /// The crypto library refused to produce a signature or key.
    case cryptoFailure(DNSSECAlgorithm, operation: String, reason: String)
    /// A PEM document that is not a PKCS#8 (or PKCS#1 / SEC 1) private key we can read.
    case pem(reason: String)
    /// A BIND key file (`K*.private` or `K*.key`) that cannot be read; line 0 means the whole file.
    case bindKeyFile(file: String, line: Int, reason: String)
    /// The private key and its `.key` file (or DNSKEY) describe different keys.
    case keyMismatch(file: String, reason: String)
    /// A DS digest type we cannot compute (1 SHA-1, 2 SHA-256 and 4 SHA-384 are supported).
    case unsupportedDigestType(UInt8)
    /// Two keys of one zone share a key tag: validators would try both for every signature, and
    /// several tools (and this signer) identify keys by tag, so the second key must be regenerated.
    case duplicateKeyTag(zone: DomainName, keyTag: UInt16, keys: [String])
    /// A key without the Zone Key flag (RFC 4034 §2.1.1) cannot sign zone data.
    case notAZoneKey(keyTag: UInt16, flags: UInt16)
    /// A key set whose per-key usage does not fit its keys.
    case invalidKeyUsage(zone: DomainName, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedAlgorithm(algorithm, operation):
            "DNSSEC algorithm \(algorithm.rawValue) (\(algorithm)) is not supported for \(operation); "
                + "use one of " + DNSSECAlgorithm.supported.map { "\($0.rawValue) \($0)" }.joined(separator: ", ")
        case let .rsaKeySize(bits, minimum):
            "RSA key of \(bits) bits is smaller than the \(minimum) bits required"
        case let .invalidPublicKey(algorithm, reason): "invalid \(algorithm) public key: \(reason)"
        case let .invalidPrivateKey(algorithm, reason): "invalid \(algorithm) private key: \(reason)"
        case let .cryptoFailure(algorithm, operation, reason): "\(algorithm) \(operation) failed: \(reason)"
        case let .pem(reason): "unreadable PEM private key: \(reason)"
        case let .bindKeyFile(file, line, reason):
            line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
        case let .keyMismatch(file, reason): "\(file): key does not match: \(reason)"
        case let .unsupportedDigestType(type):
            "DS digest type \(type) is not supported (use 2 SHA-256 or 4 SHA-384)"
        case let .duplicateKeyTag(zone, keyTag, keys):
            "zone \(zone) has more than one key with key tag \(keyTag) (\(keys.joined(separator: "; "))); "
                + "generate a new key to replace one of them"
        case let .notAZoneKey(keyTag, flags):
            "key \(keyTag) has flags \(flags) without the Zone Key bit (256); it cannot sign zone data"
        case let .invalidKeyUsage(zone, reason):
            "zone \(zone): key usage does not fit the keys: \(reason)"
        }
    }
}
