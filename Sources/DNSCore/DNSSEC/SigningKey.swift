import Crypto
import _CryptoExtras

/// A DNSSEC private key (RSASHA256, ECDSAP256SHA256, ECDSAP384SHA384 or ED25519) with the DNSKEY flags
/// it is published with.
///
/// The public key in DNSKEY wire format and the key tag are computed once at creation: the zone signer
/// asks for them for every RRSIG it writes. The struct is `Sendable`, so one key can sign on all cores.
/// All cryptography is swift-crypto's; this type only converts between its formats and DNSSEC's.
public struct SigningKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let material: Material
    public let algorithm: DNSSECAlgorithm
    /// DNSKEY flags: 256 for a zone-signing key, 257 (SEP bit set) for a key-signing key.
    public let flags: UInt16
    /// The DNSKEY Public Key field: RFC 3110 for RSA, x‖y for ECDSA (RFC 6605 §4), the 32 raw bytes
    /// for Ed25519 (RFC 8080 §3).
    public let publicKeyBytes: [UInt8]
    /// RFC 4034 Appendix B key tag of `dnskey`.
    public let keyTag: UInt16

    /// Flags of a zone-signing key (Zone Key bit).
    public static let zoneSigningFlags: UInt16 = 256
    /// Flags of a key-signing key (Zone Key and Secure Entry Point bits).
    public static let keySigningFlags: UInt16 = 257
    /// The smallest RSA modulus we generate, import or sign with.
    public static let minimumRSABits = 2048

    init(material: Material, flags: UInt16) throws(DNSSECError) {
        self.material = material
        self.flags = flags
        switch material {
        case .rsa(let key):
            algorithm = .RSASHA256
            guard key.keySizeInBits >= SigningKey.minimumRSABits else {
                throw .rsaKeySize(bits: key.keySizeInBits, minimum: SigningKey.minimumRSABits)
            }
            let primitives: _RSA.Signing.PublicKey.Primitives
            do {
                primitives = try key.publicKey.getKeyPrimitives()
            } catch {
                throw .invalidPrivateKey(.RSASHA256, reason: "cannot read the public modulus and exponent: \(error)")
            }
            publicKeyBytes = DNSSECPublicKey.rsaWireFormat(
                exponent: Array(primitives.publicExponent), modulus: Array(primitives.modulus))
        case .p256(let key):
            algorithm = .ECDSAP256SHA256
            publicKeyBytes = Array(key.publicKey.rawRepresentation)
        case .p384(let key):
            algorithm = .ECDSAP384SHA384
            publicKeyBytes = Array(key.publicKey.rawRepresentation)
        case .ed25519(let key):
            algorithm = .ED25519
            publicKeyBytes = Array(key.publicKey.rawRepresentation)
        }
        keyTag = DNSKEY(flags: flags, algorithm: algorithm.rawValue, publicKey: publicKeyBytes).keyTag
    }

    /// Generates a fresh key. `rsaBits` applies to RSASHA256 only (2048 and up, a multiple of 8).
    public static func generate(
        algorithm: DNSSECAlgorithm = .ECDSAP256SHA256, flags: UInt16 = zoneSigningFlags, rsaBits: Int = 2048
    ) throws(DNSSECError) -> SigningKey {
        switch algorithm {
        case .ECDSAP256SHA256: return try SigningKey(material: .p256(P256.Signing.PrivateKey()), flags: flags)
        case .ECDSAP384SHA384: return try SigningKey(material: .p384(P384.Signing.PrivateKey()), flags: flags)
        case .ED25519: return try SigningKey(material: .ed25519(Curve25519.Signing.PrivateKey()), flags: flags)
        case .RSASHA256:
            guard rsaBits >= minimumRSABits, rsaBits % 8 == 0, rsaBits <= 16384 else {
                throw .rsaKeySize(bits: rsaBits, minimum: minimumRSABits)
            }
            do {
                let key = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: rsaBits))
                return try SigningKey(material: .rsa(key), flags: flags)
            } catch let error as DNSSECError {
                throw error
            } catch {
                throw .cryptoFailure(.RSASHA256, operation: "key generation", reason: "\(error)")
            }
        default:
            throw .unsupportedAlgorithm(algorithm, operation: "key generation")
        }
    }

    /// The same key published with other flags (for example turning a ZSK into a CSK's 257).
    public func withFlags(_ flags: UInt16) -> SigningKey {
        // The material already passed the checks in init, so only the key tag changes.
        try! SigningKey(material: material, flags: flags)
    }

    /// The DNSKEY record data for this key (protocol 3, RFC 4034 §2.1.2).
    public var dnskey: DNSKEY {
        DNSKEY(flags: flags, protocol: 3, algorithm: algorithm.rawValue, publicKey: publicKeyBytes)
    }

    /// True when the SEP bit is set: by convention a KSK, which signs the DNSKEY RRset.
    public var isKeySigningKey: Bool { flags & DNSKEY.sepFlag != 0 }
    public var isZoneKey: Bool { flags & DNSKEY.zoneKeyFlag != 0 }

    /// RSA modulus size; the curve's size for the others.
    public var keySizeInBits: Int {
        switch material {
        case .rsa(let key): key.keySizeInBits
        case .p256: 256
        case .p384: 384
        case .ed25519: 256
        }
    }

    /// The public half, for verifying what this key signed.
    public var publicKey: DNSSECPublicKey {
        switch material {
        case .rsa(let key): DNSSECPublicKey(material: .rsa(key.publicKey), algorithm: algorithm)
        case .p256(let key): DNSSECPublicKey(material: .p256(key.publicKey), algorithm: algorithm)
        case .p384(let key): DNSSECPublicKey(material: .p384(key.publicKey), algorithm: algorithm)
        case .ed25519(let key): DNSSECPublicKey(material: .ed25519(key.publicKey), algorithm: algorithm)
        }
    }

    /// Signs `data` (the RRSIG RDATA prefix and canonical RRset, RFC 4034 §3.1.8.1) and returns the
    /// RRSIG Signature field: PKCS#1 v1.5 over SHA-256 for RSA (RFC 5702 §3), r‖s of 32 or 48 bytes each
    /// for ECDSA (RFC 6605 §4), the 64-byte Ed25519 signature (RFC 8080 §4).
    public func sign(_ data: [UInt8]) throws(DNSSECError) -> [UInt8] {
        do {
            switch material {
            case .rsa(let key):
                return Array(try key.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation)
            case .p256(let key):
                return Array(try key.signature(for: data).rawRepresentation)
            case .p384(let key):
                return Array(try key.signature(for: data).rawRepresentation)
            case .ed25519(let key):
                return Array(try key.signature(for: data))
            }
        } catch {
            throw .cryptoFailure(algorithm, operation: "signing", reason: "\(error)")
        }
    }

    /// `ECDSAP256SHA256 KSK 12345`: how keys are named in messages and listings.
    public var summary: String {
        "\(algorithm) \(isKeySigningKey ? "KSK" : "ZSK") \(keyTag)"
    }
}
