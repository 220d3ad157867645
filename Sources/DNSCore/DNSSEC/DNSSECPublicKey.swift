import Crypto
import _CryptoExtras

/// A DNSKEY's public key, parsed once, for checking RRSIG signatures.
///
/// A zone verifier checks thousands of signatures per key, so the DNSKEY bytes are turned into a
/// swift-crypto key up front. RSA keys down to 1024 bits are accepted for verification (zones signed
/// elsewhere still use them); signing needs 2048.
public struct DNSSECPublicKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    let material: Material
    public let algorithm: DNSSECAlgorithm

    /// The smallest RSA modulus accepted when verifying.
    public static let minimumRSAVerifyBits = 1024

    init(material: Material, algorithm: DNSSECAlgorithm) {
        self.material = material
        self.algorithm = algorithm
    }

    /// Parses the Public Key field of a DNSKEY of `algorithm`.
    public init(algorithm: DNSSECAlgorithm, publicKey bytes: [UInt8]) throws(DNSSECError) {
        self.algorithm = algorithm
        switch algorithm {
        case .ECDSAP256SHA256:
            guard bytes.count == 64 else {
                throw .invalidPublicKey(algorithm, reason: "\(bytes.count) bytes, expected 64 (x and y, RFC 6605)")
            }
            do { material = .p256(try P256.Signing.PublicKey(rawRepresentation: bytes)) } catch {
                throw .invalidPublicKey(algorithm, reason: "not a point on P-256")
            }
        case .ECDSAP384SHA384:
            guard bytes.count == 96 else {
                throw .invalidPublicKey(algorithm, reason: "\(bytes.count) bytes, expected 96 (x and y, RFC 6605)")
            }
            do { material = .p384(try P384.Signing.PublicKey(rawRepresentation: bytes)) } catch {
                throw .invalidPublicKey(algorithm, reason: "not a point on P-384")
            }
        case .ED25519:
            guard bytes.count == 32 else {
                throw .invalidPublicKey(algorithm, reason: "\(bytes.count) bytes, expected 32 (RFC 8080)")
            }
            do { material = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: bytes)) } catch {
                throw .invalidPublicKey(algorithm, reason: "not an Ed25519 public key")
            }
        case .RSASHA256:
            let (exponent, modulus) = try DNSSECPublicKey.rsaComponents(bytes, algorithm: algorithm)
            let bits = DNSSECPublicKey.bitLength(modulus)
            guard bits >= DNSSECPublicKey.minimumRSAVerifyBits else {
                throw .rsaKeySize(bits: bits, minimum: DNSSECPublicKey.minimumRSAVerifyBits)
            }
            let spki = DER.rsaSubjectPublicKeyInfo(modulus: modulus, exponent: exponent)
            do { material = .rsa(try _RSA.Signing.PublicKey(unsafeDERRepresentation: spki)) } catch {
                throw .invalidPublicKey(algorithm, reason: "modulus or exponent rejected: \(error)")
            }
        default:
            throw .unsupportedAlgorithm(algorithm, operation: "signature verification")
        }
    }

    /// Parses a DNSKEY's (or CDNSKEY's) key.
    public init<Key: KeyRData>(_ key: Key) throws(DNSSECError) {
        try self.init(algorithm: DNSSECAlgorithm(key.algorithm), publicKey: key.publicKey)
    }

    /// Whether `signature` (an RRSIG Signature field) is this key's signature over `data`. Malformed
    /// signatures (wrong length, r or s out of range) are simply invalid.
    public func isValidSignature(_ signature: [UInt8], over data: [UInt8]) -> Bool {
        switch material {
        case .rsa(let key):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: data),
                padding: .insecurePKCS1v1_5)
        case .p256(let key):
            guard signature.count == 64,
                  let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(parsed, for: data)
        case .p384(let key):
            guard signature.count == 96,
                  let parsed = try? P384.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(parsed, for: data)
        case .ed25519(let key):
            guard signature.count == 64 else { return false }
            return key.isValidSignature(signature, for: data)
        }
    }

    // MARK: RSA public key encoding (RFC 3110 §2)

    /// Splits an RSA DNSKEY key field into exponent and modulus (leading zero octets removed).
    static func rsaComponents(_ bytes: [UInt8], algorithm: DNSSECAlgorithm) throws(DNSSECError) -> (exponent: [UInt8], modulus: [UInt8]) {
        guard let first = bytes.first else { throw .invalidPublicKey(algorithm, reason: "empty key") }
        var offset = 1
        var exponentLength = Int(first)
        if first == 0 {
            guard bytes.count >= 3 else { throw .invalidPublicKey(algorithm, reason: "truncated exponent length") }
            exponentLength = Int(bytes[1]) << 8 | Int(bytes[2])
            offset = 3
        }
        guard exponentLength > 0, offset + exponentLength < bytes.count else {
            throw .invalidPublicKey(algorithm, reason: "exponent of \(exponentLength) bytes leaves no modulus")
        }
        let exponent = Array(bytes[offset..<(offset + exponentLength)].drop(while: { $0 == 0 }))
        let modulus = Array(bytes[(offset + exponentLength)...].drop(while: { $0 == 0 }))
        guard !exponent.isEmpty, !modulus.isEmpty else {
            throw .invalidPublicKey(algorithm, reason: "zero exponent or modulus")
        }
        return (exponent, modulus)
    }

    /// Exponent length (one octet, or zero and two octets above 255), exponent, modulus.
    static func rsaWireFormat(exponent: [UInt8], modulus: [UInt8]) -> [UInt8] {
        let e = Array(exponent.drop(while: { $0 == 0 }))
        let n = Array(modulus.drop(while: { $0 == 0 }))
        var out: [UInt8] = []
        out.reserveCapacity(3 + e.count + n.count)
        if e.count <= 255 {
            out.append(UInt8(e.count))
        } else {
            out.append(0)
            out.append(UInt8(e.count >> 8))
            out.append(UInt8(e.count & 0xFF))
        }
        out.append(contentsOf: e)
        out.append(contentsOf: n)
        return out
    }

    static func bitLength(_ magnitude: [UInt8]) -> Int {
        guard let first = magnitude.first(where: { $0 != 0 }),
              let index = magnitude.firstIndex(where: { $0 != 0 })
        else { return 0 }
        return (magnitude.count - index - 1) * 8 + (8 - first.leadingZeroBitCount)
    }
}
