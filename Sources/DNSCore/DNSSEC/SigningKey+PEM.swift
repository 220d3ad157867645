import Crypto
import _CryptoExtras

extension SigningKey {
    /// The private key as an unencrypted PKCS#8 PEM document (`-----BEGIN PRIVATE KEY-----`), the form
    /// `openssl pkey` reads and writes. The flags are not part of it; keep them next to the file.
    public var pemRepresentation: String {
        let pem: String
        switch material {
        case .rsa(let key): pem = key.pkcs8PEMRepresentation
        case .p256(let key): pem = key.pemRepresentation
        case .p384(let key): pem = key.pemRepresentation
        case .ed25519(let key): pem = key.pemRepresentation
        }
        return pem.hasSuffix("\n") ? pem : pem + "\n"
    }

    /// Loads a PEM private key: PKCS#8 `PRIVATE KEY` for every algorithm, and for convenience the older
    /// `EC PRIVATE KEY` (SEC 1) and `RSA PRIVATE KEY` (PKCS#1) forms. The algorithm comes from the key;
    /// `flags` says how it is published (256 ZSK, 257 KSK).
    public init(pem text: String, flags: UInt16 = SigningKey.zoneSigningFlags) throws(DNSSECError) {
        let (label, der) = try SigningKey.decodePEM(text)
        let material: Material
        switch label {
        case "PRIVATE KEY":
            material = try SigningKey.pkcs8Material(der)
        case "EC PRIVATE KEY":
            if let key = try? P256.Signing.PrivateKey(derRepresentation: der) {
                material = .p256(key)
            } else if let key = try? P384.Signing.PrivateKey(derRepresentation: der) {
                material = .p384(key)
            } else {
                throw .pem(reason: "EC PRIVATE KEY is not a P-256 or P-384 key")
            }
        case "RSA PRIVATE KEY":
            material = try SigningKey.rsaMaterial(der)
        case "ENCRYPTED PRIVATE KEY":
            throw .pem(reason: "the key is encrypted; decrypt it first (openssl pkey -in FILE -out FILE)")
        default:
            throw .pem(reason: "\"\(label)\" is not a private key")
        }
        try self.init(material: material, flags: flags)
    }

    /// The label and DER bytes of the first PEM block in `text`.
    static func decodePEM(_ text: String) throws(DNSSECError) -> (label: String, der: [UInt8]) {
        let lines = text.split(whereSeparator: \.isNewline).map(SigningKey.trimmed)
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else {
            throw .pem(reason: "no -----BEGIN line")
        }
        let label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[(begin + 1)...].firstIndex(of: "-----END \(label)-----") else {
            throw .pem(reason: "no -----END \(label)----- line")
        }
        var body: [UInt8] = []
        for line in lines[(begin + 1)..<end] {
            // RFC 7468 allows (and old OpenSSL wrote) header lines in some blocks; keys have none we read.
            guard !line.contains(":") else { throw .pem(reason: "PEM headers (\(line)) are not supported") }
            body.append(contentsOf: line.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") })
        }
        guard let der = Base64.decode(body[...]), !der.isEmpty else {
            throw .pem(reason: "the body of the \(label) block is not base64")
        }
        return (label, der)
    }

    static func pkcs8Material(_ der: [UInt8]) throws(DNSSECError) -> Material {
        let algorithm: (algorithm: [UInt8], parameter: [UInt8]?)
        do { algorithm = try DER.pkcs8Algorithm(der) } catch { throw .pem(reason: "not PKCS#8: \(error)") }
        switch (algorithm.algorithm, algorithm.parameter) {
        case (DER.OID.ed25519, _):
            do { return .ed25519(try Curve25519.Signing.PrivateKey(derRepresentation: der)) } catch {
                throw .invalidPrivateKey(.ED25519, reason: "\(error)")
            }
        case (DER.OID.ecPublicKey, DER.OID.prime256v1?):
            do { return .p256(try P256.Signing.PrivateKey(derRepresentation: der)) } catch {
                throw .invalidPrivateKey(.ECDSAP256SHA256, reason: "\(error)")
            }
        case (DER.OID.ecPublicKey, DER.OID.secp384r1?):
            do { return .p384(try P384.Signing.PrivateKey(derRepresentation: der)) } catch {
                throw .invalidPrivateKey(.ECDSAP384SHA384, reason: "\(error)")
            }
        case (DER.OID.ecPublicKey, _):
            throw .pem(reason: "EC key on a curve other than P-256 or P-384")
        case (DER.OID.rsaEncryption, _):
            return try rsaMaterial(der)
        default:
            throw .pem(reason: "PKCS#8 key of an algorithm DNSSEC signing here does not use")
        }
    }

    /// RSA from PKCS#8 or PKCS#1 DER, with the size rule reported as such.
    static func rsaMaterial(_ der: [UInt8]) throws(DNSSECError) -> Material {
        if let key = try? _RSA.Signing.PrivateKey(derRepresentation: der) { return .rsa(key) }
        if let small = try? _RSA.Signing.PrivateKey(unsafeDERRepresentation: der) {
            throw .rsaKeySize(bits: small.keySizeInBits, minimum: minimumRSABits)
        }
        throw .invalidPrivateKey(.RSASHA256, reason: "not an RSA private key")
    }
}

extension SigningKey {
    /// `line` without surrounding spaces, tabs and carriage returns (key files may have CRLF endings).
    static func trimmed(_ line: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(String(line.drop(while: isSpace).reversed().drop(while: isSpace)).reversed())
    }
}
