import Crypto
import _CryptoExtras

/// BIND key files, so an operator can bring keys from `dnssec-keygen` (and give ours to BIND, ldns or
/// Knot's `keymgr import-bind` for side-by-side runs).
///
/// A key is two files: `K<zone>+<alg>+<tag>.private` ("Private-key-format: v1.3", one `Field: value`
/// per line, numbers in base64) holds the private key and timing metadata but no flags;
/// `K<zone>+<alg>+<tag>.key` holds the DNSKEY record, which gives the owner and the flags.
/// Only text goes in and out here; reading and writing the files is the caller's job.
extension SigningKey {
    /// A key read from a BIND key pair.
    public struct BINDKey: Sendable {
        /// The zone the key belongs to (owner of the DNSKEY in the `.key` file).
        public var owner: DomainName
        /// TTL written in the `.key` file, when there is one.
        public var ttl: UInt32?
        public var key: SigningKey
        /// Timing metadata from the `.private` file (`Created`, `Publish`, `Activate`, `Inactive`,
        /// `Delete`...), as `YYYYMMDDHHMMSS` text. Passed along for the key manager to interpret.
        public var timing: [String: String]
    }

    /// Imports a key from the contents of its `.private` and `.key` files (the names are used in errors).
    /// The two must describe the same key; algorithms 8, 13, 14 and 15 are accepted.
    public static func importBIND(
        privateFile: String, keyFile: String, privateFileName: String = "K.private", keyFileName: String = "K.key"
    ) throws(DNSSECError) -> BINDKey {
        let (owner, ttl, dnskey) = try parseBINDKeyFile(keyFile, fileName: keyFileName)
        let (material, timing) = try parseBINDPrivateFile(privateFile, fileName: privateFileName)
        let key = try SigningKey(material: material, flags: dnskey.flags)
        guard key.algorithm.rawValue == dnskey.algorithm else {
            throw .keyMismatch(
                file: keyFileName,
                reason: "\(privateFileName) is algorithm \(key.algorithm.rawValue), the DNSKEY says \(dnskey.algorithm)")
        }
        guard key.publicKeyBytes == dnskey.publicKey else {
            throw .keyMismatch(file: keyFileName, reason: "the DNSKEY public key is not the public half of \(privateFileName)")
        }
        return BINDKey(owner: owner, ttl: ttl, key: key, timing: timing)
    }

    /// Reads the DNSKEY record of a `.key` file: comment lines start with `;`, then
    /// `owner [TTL] [class] DNSKEY flags protocol algorithm key...`.
    public static func parseBINDKeyFile(_ text: String, fileName: String = "K.key") throws(DNSSECError) -> (owner: DomainName, ttl: UInt32?, dnskey: DNSKEY) {
        // Words of the first record, which may continue over lines inside parentheses (RFC 1035 §5.1).
        var words: [Substring] = []
        var depth = 0
        var firstLine = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if let comment = line.firstIndex(of: ";") { line = line[..<comment] }
            depth += line.filter { $0 == "(" }.count - line.filter { $0 == ")" }.count
            let lineWords = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "(" || $0 == ")" })
            if words.isEmpty && !lineWords.isEmpty { firstLine = index + 1 }
            words += lineWords
            if depth <= 0 && !words.isEmpty { break }
        }
        guard !words.isEmpty else { throw .bindKeyFile(file: fileName, line: 0, reason: "no DNSKEY record") }
        let lineNumber = firstLine
        func fail(_ reason: String) -> DNSSECError { .bindKeyFile(file: fileName, line: lineNumber, reason: reason) }
        let owner: DomainName
        do { owner = try DomainName(String(words[0]), origin: .root) } catch { throw fail("owner name: \(error)") }
        var i = 1
        var ttl: UInt32? = nil
        while i < words.count, words[i].uppercased() != "DNSKEY" {
            if let value = TTLText.parse(String(words[i])) {
                ttl = value
            } else if DNSClass(mnemonic: String(words[i])) == nil {
                throw fail("expected TTL, class or DNSKEY, found \"\(words[i])\"")
            }
            i += 1
        }
        guard i < words.count else { throw fail("no DNSKEY record") }
        var column = 1
        var tokens: [Token] = []
        for word in words[(i + 1)...] {
            tokens.append(Token(text: Array(word.utf8)[...], line: lineNumber, column: column))
            column += word.utf8.count + 1
        }
        var parser = RDataParser(type: .DNSKEY, tokens: tokens, origin: .root, file: fileName)
        do {
            return (owner, ttl, try DNSKEY(presentation: &parser))
        } catch {
            throw fail(error.message)
        }
    }

    /// Reads a `Private-key-format: v1.x` file into key material and its timing fields.
    static func parseBINDPrivateFile(_ text: String, fileName: String) throws(DNSSECError) -> (Material, [String: String]) {
        var fields: [String: (value: String, line: Int)] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = trimmed(rawLine)
            guard !line.isEmpty, !line.hasPrefix(";") else { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .bindKeyFile(file: fileName, line: index + 1, reason: "expected \"Field: value\", found \"\(line)\"")
            }
            let name = String(line[..<colon])
            let value = trimmed(line[line.index(after: colon)...])
            fields[name] = (value, index + 1)
        }
        func fail(_ reason: String, _ field: String? = nil) -> DNSSECError {
            .bindKeyFile(file: fileName, line: field.flatMap { fields[$0]?.line } ?? 0, reason: reason)
        }
        guard let format = fields["Private-key-format"] else { throw fail("no Private-key-format line: not a BIND private key") }
        guard format.value.hasPrefix("v1.") else {
            throw fail("Private-key-format \(format.value) is not supported (v1.2 and v1.3 are)", "Private-key-format")
        }
        guard let algorithmField = fields["Algorithm"],
              let number = algorithmField.value.split(separator: " ").first.flatMap({ UInt8($0) })
        else { throw fail("missing or unreadable Algorithm line", "Algorithm") }
        let algorithm = DNSSECAlgorithm(number)
        if fields["Engine"] != nil || fields["Label"] != nil {
            throw fail("the key lives in a hardware module (Engine/Label); only software keys can be imported", "Label")
        }
        func base64Field(_ name: String) throws(DNSSECError) -> [UInt8] {
            guard let field = fields[name] else { throw fail("\(algorithm) key has no \(name) line") }
            guard let bytes = Base64.decode(field.value), !bytes.isEmpty else {
                throw fail("\(name) is not base64", name)
            }
            return bytes
        }
        func padded(_ bytes: [UInt8], to length: Int) throws(DNSSECError) -> [UInt8] {
            let value = Array(bytes.drop(while: { $0 == 0 }))
            guard value.count <= length else {
                throw fail("PrivateKey is \(bytes.count) bytes, longer than the \(length) of \(algorithm)", "PrivateKey")
            }
            return [UInt8](repeating: 0, count: length - value.count) + value
        }
        let material: Material
        do {
            switch algorithm {
            case .ECDSAP256SHA256:
                material = .p256(try P256.Signing.PrivateKey(rawRepresentation: try padded(try base64Field("PrivateKey"), to: 32)))
            case .ECDSAP384SHA384:
                material = .p384(try P384.Signing.PrivateKey(rawRepresentation: try padded(try base64Field("PrivateKey"), to: 48)))
            case .ED25519:
                let seed = try base64Field("PrivateKey")
                guard seed.count == 32 else { throw fail("Ed25519 PrivateKey must be 32 bytes, found \(seed.count)", "PrivateKey") }
                material = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: seed))
            case .RSASHA256:
                let n = try base64Field("Modulus")
                let bits = DNSSECPublicKey.bitLength(n)
                guard bits >= minimumRSABits else { throw DNSSECError.rsaKeySize(bits: bits, minimum: minimumRSABits) }
                material = .rsa(
                    try _RSA.Signing.PrivateKey(
                        n: n, e: try base64Field("PublicExponent"), d: try base64Field("PrivateExponent"),
                        p: try base64Field("Prime1"), q: try base64Field("Prime2")))
            default:
                throw DNSSECError.unsupportedAlgorithm(algorithm, operation: "BIND key import")
            }
        } catch let error as DNSSECError {
            throw error
        } catch {
            throw fail("the private key was rejected: \(error)", "PrivateKey")
        }
        let timingNames = ["Created", "Publish", "Activate", "Revoke", "Inactive", "Delete", "SyncPublish", "SyncDelete"]
        var timing: [String: String] = [:]
        for name in timingNames { if let field = fields[name] { timing[name] = field.value } }
        return (material, timing)
    }

    // MARK: Export

    /// `K<zone>+<alg>+<tag>`, the base name BIND, ldns and Knot's importer expect (add `.key` / `.private`).
    public func bindBaseName(owner: DomainName) -> String {
        let alg = String(algorithm.rawValue)
        let tag = String(keyTag)
        return "K\(owner.lowercased().text)+" + String(repeating: "0", count: 3 - alg.count) + alg
            + "+" + String(repeating: "0", count: 5 - tag.count) + tag
    }

    /// The `.key` file: a comment saying what the key is, then its DNSKEY record.
    public func bindKeyFile(owner: DomainName, ttl: UInt32? = nil, created: UInt32) -> String {
        let role = isKeySigningKey ? "key-signing" : "zone-signing"
        var text = "; This is a \(role) key, keyid \(keyTag), for \(owner.lowercased().text)\n"
        text += "; Created: \(DNSTime.format(created))\n"
        text += "\(owner.lowercased().text) " + (ttl.map { "\($0) " } ?? "") + "IN DNSKEY \(dnskey.presentation)\n"
        return text
    }

    /// The `.private` file in format v1.3, published and active from `created`.
    public func bindPrivateFile(created: UInt32) -> String {
        var lines = ["Private-key-format: v1.3", "Algorithm: \(algorithm.rawValue) (\(algorithm))"]
        switch material {
        case .p256(let key): lines.append("PrivateKey: \(Base64.encode(Array(key.rawRepresentation)))")
        case .p384(let key): lines.append("PrivateKey: \(Base64.encode(Array(key.rawRepresentation)))")
        case .ed25519(let key): lines.append("PrivateKey: \(Base64.encode(Array(key.rawRepresentation)))")
        case .rsa(let key):
            // PKCS#1 RSAPrivateKey: version, n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p.
            var outer = DER.Reader(Array(key.derRepresentation))
            let names = ["Modulus", "PublicExponent", "PrivateExponent", "Prime1", "Prime2", "Exponent1", "Exponent2",
                         "Coefficient"]
            do {
                var sequence = try outer.nested("RSAPrivateKey")
                _ = try sequence.content(tag: DER.integer, "version")
                for name in names { lines.append("\(name): \(Base64.encode(try sequence.unsignedInteger(name)))") }
            } catch {
                // swift-crypto wrote this DER itself; failing to read it back is a bug, not an input problem.
                preconditionFailure("cannot read swift-crypto's own PKCS#1 encoding: \(error)")
            }
        }
        let stamp = DNSTime.format(created)
        lines += ["Created: \(stamp)", "Publish: \(stamp)", "Activate: \(stamp)"]
        return lines.joined(separator: "\n") + "\n"
    }
}
