import Foundation
import Testing

@testable import DNSCore

/// DNSSEC keys: generation, signing and verification for algorithms 8, 13, 14 and 15, PEM and BIND key
/// files, key tags and DS/CDS/CDNSKEY. BIND (`dnssec-keygen`, `dnssec-dsfromkey`, `dnssec-signzone`,
/// `dnssec-verify`) and ldns (`ldns-key2ds`) are the judges of the formats and the numbers.
@Suite("DNSSEC keys")
struct DNSSECKeyTests {
    static let zone: DomainName = "example.test."
    static let algorithms: [DNSSECAlgorithm] = [.RSASHA256, .ECDSAP256SHA256, .ECDSAP384SHA384, .ED25519]

    // MARK: Sign and verify

    @Test("every algorithm signs, verifies its own signature, and rejects tampered data or signatures",
          arguments: algorithms)
    func signAndVerify(algorithm: DNSSECAlgorithm) throws {
        let key = try SigningKey.generate(algorithm: algorithm, flags: SigningKey.keySigningFlags)
        let data = Array("the canonical RRset form goes here".utf8)
        let signature = try key.sign(data)
        let expectedLength: Int = switch algorithm {
        case .RSASHA256: 256
        case .ECDSAP256SHA256: 64
        case .ECDSAP384SHA384: 96
        default: 64
        }
        #expect(signature.count == expectedLength)
        // Verification goes through the DNSKEY, as a validator's would.
        let publicKey = try DNSSECPublicKey(key.dnskey)
        #expect(publicKey.isValidSignature(signature, over: data))
        #expect(!publicKey.isValidSignature(signature, over: data + [0]))
        var flipped = signature
        flipped[flipped.count / 2] ^= 0x01
        #expect(!publicKey.isValidSignature(flipped, over: data))
        #expect(!publicKey.isValidSignature(Array(signature.dropLast()), over: data))
        // Another key of the same algorithm does not verify it.
        let other = try SigningKey.generate(algorithm: algorithm)
        #expect(!other.publicKey.isValidSignature(signature, over: data))
        #expect(key.dnskey.algorithm == algorithm.rawValue && key.dnskey.flags == 257 && key.dnskey.protocol == 3)
        #expect(key.keyTag == key.dnskey.keyTag)
    }

    @Test("DNSKEY public keys have the RFC sizes; RSA uses the RFC 3110 exponent-length encoding")
    func publicKeyFormats() throws {
        #expect(try SigningKey.generate(algorithm: .ECDSAP256SHA256).publicKeyBytes.count == 64)
        #expect(try SigningKey.generate(algorithm: .ECDSAP384SHA384).publicKeyBytes.count == 96)
        #expect(try SigningKey.generate(algorithm: .ED25519).publicKeyBytes.count == 32)
        let rsa = try SigningKey.generate(algorithm: .RSASHA256, rsaBits: 2048)
        // 65537 = 01 00 01: exponent length 3, then the exponent, then the 256-byte modulus.
        #expect(Array(rsa.publicKeyBytes.prefix(4)) == [3, 1, 0, 1])
        #expect(rsa.publicKeyBytes.count == 4 + 256)
        // A 256-byte exponent needs the three-byte length form (0, high, low).
        let longExponent = [UInt8](repeating: 1, count: 256)
        let encoded = DNSSECPublicKey.rsaWireFormat(exponent: longExponent, modulus: [0xC5, 0x01])
        #expect(Array(encoded.prefix(3)) == [0, 1, 0])
        let decoded = try DNSSECPublicKey.rsaComponents(encoded, algorithm: .RSASHA256)
        #expect(decoded.exponent == longExponent && decoded.modulus == [0xC5, 0x01])
    }

    @Test("unusable keys are refused with a reason: small RSA, unknown algorithms, malformed DNSKEYs")
    func refusals() throws {
        #expect(throws: DNSSECError.rsaKeySize(bits: 1024, minimum: 2048)) {
            try SigningKey.generate(algorithm: .RSASHA256, rsaBits: 1024)
        }
        #expect(throws: DNSSECError.unsupportedAlgorithm(.RSASHA1, operation: "key generation")) {
            try SigningKey.generate(algorithm: .RSASHA1)
        }
        #expect(throws: DNSSECError.unsupportedAlgorithm(.ED448, operation: "signature verification")) {
            try DNSSECPublicKey(algorithm: .ED448, publicKey: [UInt8](repeating: 1, count: 57))
        }
        #expect(throws: DNSSECError.invalidPublicKey(.ECDSAP256SHA256, reason: "63 bytes, expected 64 (x and y, RFC 6605)")) {
            try DNSSECPublicKey(algorithm: .ECDSAP256SHA256, publicKey: [UInt8](repeating: 1, count: 63))
        }
        // 64 bytes that are not a point on the curve.
        #expect(throws: DNSSECError.self) {
            try DNSSECPublicKey(algorithm: .ECDSAP256SHA256, publicKey: [UInt8](repeating: 0xFF, count: 64))
        }
        #expect(throws: DNSSECError.self) { try DNSSECPublicKey(algorithm: .RSASHA256, publicKey: [3, 1, 0, 1]) }
        #expect(throws: DNSSECError.self) { try DNSSECPublicKey(algorithm: .RSASHA256, publicKey: []) }
        #expect(DNSSECAlgorithm(mnemonic: "ecdsap256sha256") == .ECDSAP256SHA256)
        #expect(DNSSECAlgorithm(mnemonic: "15") == .ED25519)
        #expect(DNSSECAlgorithm(mnemonic: "RSAMD7") == nil)
    }

    // MARK: PEM

    @Test("PKCS#8 PEM round trip keeps the key; openssl reads our PEM as the same key type",
          arguments: algorithms)
    func pemRoundTrip(algorithm: DNSSECAlgorithm) throws {
        let key = try SigningKey.generate(algorithm: algorithm, flags: 257)
        let pem = key.pemRepresentation
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(pem.hasSuffix("-----END PRIVATE KEY-----\n"))
        let loaded = try SigningKey(pem: pem, flags: 257)
        #expect(loaded.algorithm == algorithm)
        #expect(loaded.dnskey == key.dnskey)
        #expect(loaded.keyTag == key.keyTag)
        let data = Array("round trip".utf8)
        #expect(key.publicKey.isValidSignature(try loaded.sign(data), over: data))
        // Flags are not in the PEM: the same key loads as a ZSK when asked.
        #expect(try SigningKey(pem: pem).flags == 256)

        guard ExternalTool.require("openssl") else { return }
        let dir = try KeyFileDirectory()
        let path = dir.write("key.pem", pem)
        let text = try ExternalTool.run("openssl", ["pkey", "-in", path, "-noout", "-text"])
        let expected: String = switch algorithm {
        case .RSASHA256: "Private-Key: (2048 bit"
        case .ECDSAP256SHA256: "NIST CURVE: P-256"
        case .ECDSAP384SHA384: "NIST CURVE: P-384"
        default: "ED25519 Private-Key"
        }
        #expect(text.contains(expected), "openssl printed: \(text.prefix(300))")
    }

    @Test("PEM errors say what is wrong")
    func pemErrors() throws {
        #expect(throws: DNSSECError.pem(reason: "no -----BEGIN line")) { try SigningKey(pem: "hello") }
        #expect(throws: DNSSECError.pem(reason: "\"CERTIFICATE\" is not a private key")) {
            try SigningKey(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        }
        #expect(throws: DNSSECError.pem(reason: "the body of the PRIVATE KEY block is not base64")) {
            try SigningKey(pem: "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n")
        }
        #expect(throws: DNSSECError.self) {
            try SigningKey(pem: "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n")
        }
    }

    // MARK: BIND key files

    @Test("keys from dnssec-keygen import with the key tag and DNSKEY the .key file says, and sign verifiably",
          arguments: [
            ("RSASHA256", ["-b", "2048"]), ("ECDSAP256SHA256", ["-f", "KSK"]), ("ECDSAP384SHA384", []), ("ED25519", []),
          ])
    func bindImport(algorithmName: String, options: [String]) throws {
        guard ExternalTool.require("dnssec-keygen") else { return }
        let dir = try KeyFileDirectory()
        let base = try ExternalTool.run(
            "dnssec-keygen", ["-K", dir.path, "-a", algorithmName] + options + ["example.test"])
            .split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let keyText = try dir.read(base + ".key")
        let imported = try SigningKey.importBIND(
            privateFile: try dir.read(base + ".private"), keyFile: keyText,
            privateFileName: base + ".private", keyFileName: base + ".key")
        // The tag is in the file name (Kexample.test.+013+35170) and the DNSKEY is the .key record.
        let tagFromName = UInt16(base.split(separator: "+").last ?? "")
        #expect(imported.key.keyTag == tagFromName)
        let (owner, _, dnskey) = try SigningKey.parseBINDKeyFile(keyText)
        #expect(owner == Self.zone && imported.owner == Self.zone)
        #expect(imported.key.dnskey == dnskey)
        #expect(dnskey.keyTag == tagFromName)
        #expect(imported.key.algorithm == DNSSECAlgorithm(mnemonic: algorithmName))
        #expect(imported.key.isKeySigningKey == options.contains("KSK"))
        #expect(imported.timing["Created"]?.count == 14)
        let data = Array("imported".utf8)
        #expect(try DNSSECPublicKey(dnskey).isValidSignature(try imported.key.sign(data), over: data))
        // Our BIND export of the imported key is read back identically, and its base name is BIND's.
        #expect(imported.key.bindBaseName(owner: owner) == base)
        let again = try SigningKey.importBIND(
            privateFile: imported.key.bindPrivateFile(created: 1_700_000_000),
            keyFile: imported.key.bindKeyFile(owner: owner, created: 1_700_000_000))
        #expect(again.key.dnskey == dnskey)
    }

    @Test("BIND import refuses a .key of another key, small RSA, unsupported algorithms and HSM keys")
    func bindImportRefusals() throws {
        guard ExternalTool.require("dnssec-keygen") else { return }
        let dir = try KeyFileDirectory()
        func keygen(_ arguments: [String]) throws -> String {
            try ExternalTool.run("dnssec-keygen", ["-K", dir.path] + arguments + ["example.test"])
                .split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        }
        let a = try keygen(["-a", "ECDSAP256SHA256"])
        let b = try keygen(["-a", "ECDSAP256SHA256"])
        #expect(throws: DNSSECError.keyMismatch(
            file: "b.key", reason: "the DNSKEY public key is not the public half of a.private")) {
            try SigningKey.importBIND(privateFile: try dir.read(a + ".private"), keyFile: try dir.read(b + ".key"),
                                      privateFileName: "a.private", keyFileName: "b.key")
        }
        let small = try keygen(["-a", "RSASHA256", "-b", "1024"])
        #expect(throws: DNSSECError.rsaKeySize(bits: 1024, minimum: 2048)) {
            try SigningKey.importBIND(privateFile: try dir.read(small + ".private"), keyFile: try dir.read(small + ".key"))
        }
        let rsasha512 = try keygen(["-a", "RSASHA512", "-b", "2048"])
        #expect(throws: DNSSECError.unsupportedAlgorithm(.RSASHA512, operation: "BIND key import")) {
            try SigningKey.importBIND(privateFile: try dir.read(rsasha512 + ".private"),
                                      keyFile: try dir.read(rsasha512 + ".key"))
        }
        let hsm = "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nEngine: pkcs11\nLabel: pkcs11:object=k\n"
        #expect(throws: DNSSECError.bindKeyFile(
            file: "K.private", line: 4,
            reason: "the key lives in a hardware module (Engine/Label); only software keys can be imported")) {
            try SigningKey.importBIND(privateFile: hsm, keyFile: try dir.read(a + ".key"))
        }
        #expect(throws: DNSSECError.bindKeyFile(file: "K.key", line: 2, reason: "DNSKEY algorithm: missing")) {
            try SigningKey.parseBINDKeyFile("; comment\nexample.test. IN DNSKEY 257 3\n")
        }
    }

    @Test("signatures interoperate with BIND: ours verify under dnssec-verify, BIND's verify with our code",
          arguments: algorithms)
    func signaturesInteroperateWithBIND(algorithm: DNSSECAlgorithm) throws {
        guard ExternalTool.require("dnssec-signzone"), ExternalTool.require("dnssec-verify") else { return }
        let dir = try KeyFileDirectory()
        let key = try SigningKey.generate(algorithm: algorithm, flags: SigningKey.keySigningFlags)
        let now = UInt32(Date().timeIntervalSince1970)
        let base = key.bindBaseName(owner: Self.zone)
        dir.write(base + ".key", key.bindKeyFile(owner: Self.zone, created: now - 7200))
        dir.write(base + ".private", key.bindPrivateFile(created: now - 7200))
        dir.write("zone.db", """
            $TTL 3600
            example.test. IN SOA ns1.example.test. admin.example.test. 1 7200 3600 1209600 3600
            example.test. IN NS ns1.example.test.
            ns1.example.test. IN A 192.0.2.1
            $INCLUDE \(dir.path)/\(base).key

            """)
        // BIND signs with our exported key (so it read our private file), as a CSK (-z).
        try ExternalTool.run("dnssec-signzone", [
            "-O", "full", "-z", "-K", dir.path, "-d", dir.path, "-o", "example.test", "-f", dir.path + "/signed.db",
            dir.path + "/zone.db", dir.path + "/" + base,
        ])
        var lines = try dir.read("signed.db").split(separator: "\n").map(String.init)
        let records = lines.map(Self.fullRecord)
        guard let dnskeyRecord = records.compactMap({ $0 }).first(where: { $0.type == .DNSKEY }),
              let sigIndex = records.firstIndex(where: {
                  if case .rrsig(let sig)? = $0?.rdata { return sig.typeCovered == .DNSKEY }
                  return false
              }),
              case .rrsig(let rrsig)? = records[sigIndex]?.rdata
        else {
            Issue.record("no DNSKEY and RRSIG DNSKEY in BIND's output")
            return
        }
        #expect(rrsig.keyTag == key.keyTag)
        // RFC 4034 §3.1.8.1: RRSIG RDATA without the signature, then the RRset in canonical form.
        var writer = WireWriter(compress: false)
        rrsig.encodeFields(to: &writer)
        var record = dnskeyRecord
        record.ttl = rrsig.originalTTL
        record.encode(to: &writer, canonical: true)
        let signedData = writer.bytes
        #expect(key.publicKey.isValidSignature(rrsig.signature, over: signedData), "BIND's signature must verify")

        // Replace BIND's signature with ours: dnssec-verify must accept it, and reject it with one bit flipped.
        var ours = rrsig
        ours.signature = try key.sign(signedData)
        lines[sigIndex] = ResourceRecord(name: Self.zone, ttl: 3600, rdata: ours.rdata).description
        dir.write("ours.db", lines.joined(separator: "\n") + "\n")
        try ExternalTool.run("dnssec-verify", ["-z", "-o", "example.test", dir.path + "/ours.db"])
        ours.signature[ours.signature.count - 5] ^= 0x10
        lines[sigIndex] = ResourceRecord(name: Self.zone, ttl: 3600, rdata: ours.rdata).description
        dir.write("bad.db", lines.joined(separator: "\n") + "\n")
        let rejected = try ExternalTool.run("dnssec-verify", ["-z", "-o", "example.test", dir.path + "/bad.db"],
                                            allowFailure: true)
        #expect(rejected.contains("No self-signed DNSKEY found") || rejected.contains("failed"),
                "dnssec-verify should reject a flipped signature: \(rejected)")
    }

    // MARK: Key tags and DS

    @Test("DS digests (SHA-256 and SHA-384), key tags and CDS equal dnssec-dsfromkey and ldns-key2ds",
          arguments: [("ECDSAP256SHA256", ["-f", "KSK"]), ("ECDSAP256SHA256", []), ("RSASHA256", ["-f", "KSK"]),
                      ("ED25519", ["-f", "KSK"])])
    func dsMatchesBINDAndLdns(algorithmName: String, options: [String]) throws {
        guard ExternalTool.require("dnssec-keygen"), ExternalTool.require("dnssec-dsfromkey"),
              ExternalTool.require("ldns-key2ds")
        else { return }
        let dir = try KeyFileDirectory()
        let base = try ExternalTool.run("dnssec-keygen", ["-K", dir.path, "-a", algorithmName] + options + ["example.test"])
            .split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let keyFile = dir.path + "/" + base + ".key"
        let (owner, _, dnskey) = try SigningKey.parseBINDKeyFile(try dir.read(base + ".key"))

        for (digestType, bindOptions, ldnsOption) in [(DSDigestType.sha256, ["-2"], "-2"), (.sha384, ["-a", "SHA-384"], "-4")] {
            let ds = try dnskey.ds(owner: owner, digestType: digestType)
            let bind = try Self.dsFields(try ExternalTool.run("dnssec-dsfromkey", bindOptions + [keyFile]))
            let ldns = try Self.dsFields(
                // -f: ldns makes DS records for keys without the SEP bit only when asked.
                try ExternalTool.run("ldns-key2ds", ["-n", "-f", ldnsOption, keyFile]))
            let ours = ds.presentation.uppercased()
            #expect(ours == bind, "dnssec-dsfromkey \(bindOptions)")
            #expect(ours == ldns, "ldns-key2ds \(ldnsOption)")
            #expect(ds.matches(dnskey, owner: owner))
            #expect(!ds.matches(dnskey, owner: "other.test."))
        }
        // The owner name is hashed in canonical (lowercase) form.
        #expect(try dnskey.ds(owner: "EXAMPLE.Test.") == dnskey.ds(owner: owner))
        // CDS is the same four fields (dnssec-dsfromkey -C prints it).
        let cds = try Self.dsFields(try ExternalTool.run("dnssec-dsfromkey", ["-2", "-C", keyFile]), type: "CDS")
        #expect(try dnskey.ds(owner: owner).cds.presentation.uppercased() == cds)
    }

    @Test("key tag of the RFC 4034 and RFC 8080 examples")
    func keyTagVectors() throws {
        // RFC 8080 §6.1: Ed25519 DNSKEY of example.com, key tag 3613.
        let ed = DNSKEY(flags: 257, algorithm: 15, publicKey: Base64.decode("l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=")!)
        #expect(ed.keyTag == 3613)
        // RFC 8080 §6.1: its DS with SHA-256.
        #expect(try ed.ds(owner: "example.com.").presentation
                == "3613 15 2 3AA5AB37EFCE57F737FC1627013FEE07BDF241BD10F3B1964AB55C78E79A304B")
        // RFC 6605 §6.1: the P-256 example key, tag 55648, and its SHA-256 DS.
        let p256 = DNSKEY(flags: 257, algorithm: 13, publicKey: Base64.decode(
            "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==")!)
        #expect(p256.keyTag == 55648)
        #expect(try p256.ds(owner: "example.net.").presentation
                == "55648 13 2 B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17")
        // The private keys printed in those RFCs import against their DNSKEYs (BIND's v1.2 format).
        let edKey = try SigningKey.importBIND(
            privateFile: "Private-key-format: v1.2\nAlgorithm: 15 (ED25519)\nPrivateKey: ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=\n",
            keyFile: "example.com. 3600 IN DNSKEY 257 3 15 ( l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= )\n")
        #expect(edKey.key.keyTag == 3613 && edKey.ttl == 3600 && edKey.owner == "example.com.")
        let p256Key = try SigningKey.importBIND(
            privateFile: "Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=\n",
            keyFile: "example.net. 3600 IN DNSKEY 257 3 13 ( GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb\n krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )\n")
        #expect(p256Key.key.keyTag == 55648)
    }

    @Test("CDS/CDNSKEY from DS/DNSKEY, the RFC 8078 delete forms, and the registrar's four fields")
    func cdsAndRegistrarFields() throws {
        let key = try SigningKey.generate(algorithm: .ECDSAP256SHA256, flags: 257)
        let cdnskey = key.dnskey.cdnskey
        #expect(cdnskey.presentation == key.dnskey.presentation)
        #expect(cdnskey.keyTag == key.keyTag)
        #expect(CDNSKEY.delete.presentation == "0 3 0 AA==")
        #expect(CDS.delete.presentation == "0 0 0 00")
        #expect(CDS.delete.isDelete && CDNSKEY.delete.isDelete && !cdnskey.isDelete)
        let ds = try key.dnskey.ds(owner: Self.zone)
        #expect(ds.cds.matches(cdnskey, owner: Self.zone))
        let text = ds.registrarText
        #expect(text == """
            Key Tag: \(key.keyTag)
            Algorithm: 13 (ECDSAP256SHA256)
            Digest Type: 2 (SHA-256)
            Digest: \(Base16.encode(ds.digest))
            """)
        #expect(throws: DNSSECError.unsupportedDigestType(3)) { try key.dnskey.ds(owner: Self.zone, digestType: DSDigestType(3)) }
    }

    // MARK: Key sets

    @Test("a zone's key set refuses two keys with the same key tag, naming both")
    func duplicateKeyTagRefused() throws {
        // Random P-256 keys collide on a 16-bit tag after a few hundred (birthday bound); find a real pair.
        var byTag: [UInt16: SigningKey] = [:]
        var pair: (SigningKey, SigningKey)? = nil
        for _ in 0..<20_000 {
            let key = try SigningKey.generate(algorithm: .ECDSAP256SHA256)
            if let earlier = byTag[key.keyTag] { pair = (earlier, key); break }
            byTag[key.keyTag] = key
        }
        let (first, second) = try #require(pair)
        #expect(first.dnskey != second.dnskey)
        let ksk = try SigningKey.generate(algorithm: .ECDSAP256SHA256, flags: 257)
        #expect(throws: DNSSECError.duplicateKeyTag(
            zone: Self.zone, keyTag: first.keyTag, keys: [first.summary, second.summary])) {
            try ZoneKeySet(zone: Self.zone, keys: [first, ksk, second])
        }
        // A colliding DNSKEY published by someone else (a pre-published successor) counts too.
        #expect(throws: DNSSECError.self) {
            try ZoneKeySet(zone: Self.zone, keys: [first, ksk], otherPublishedKeys: [second.dnskey])
        }
        // The same key given twice is a collision as well.
        #expect(throws: DNSSECError.self) { try ZoneKeySet(zone: Self.zone, keys: [ksk, ksk]) }
        // Distinct tags are fine; roles follow the SEP bit, and a lone KSK is a CSK.
        let set = try ZoneKeySet(zone: Self.zone, keys: [first, ksk], otherPublishedKeys: [ksk.dnskey])
        #expect(set.keySigningKeys.map(\.keyTag) == [ksk.keyTag])
        #expect(set.zoneSigningKeys.map(\.keyTag) == [first.keyTag])
        #expect(try ZoneKeySet(zone: Self.zone, keys: [ksk]).zoneSigningKeys.map(\.keyTag) == [ksk.keyTag])
        #expect(throws: DNSSECError.notAZoneKey(keyTag: ksk.withFlags(1).keyTag, flags: 1)) {
            try ZoneKeySet(zone: Self.zone, keys: [ksk.withFlags(1)])
        }
    }

    // MARK: Helpers

    /// One record of `dnssec-signzone -O full` output (`owner TTL class type rdata`), nil for comments.
    static func fullRecord(_ line: String) -> ResourceRecord? {
        guard !line.hasPrefix(";") else { return nil }
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 4, let ttl = UInt32(words[1]), let type = RecordType(mnemonic: String(words[3])),
              let owner = try? DomainName(String(words[0]), origin: .root)
        else { return nil }
        let tokens = words.dropFirst(4).map { Token(text: Array($0.utf8)[...]) }
        var parser = RDataParser(type: type, tokens: tokens, origin: .root)
        guard let rdata = try? RData.parse(type: type, parser: &parser) else { return nil }
        return ResourceRecord(name: owner, ttl: ttl, rdata: rdata)
    }

    /// `tag alg digesttype DIGEST` (uppercase) from a tool's `owner [TTL] IN DS ...` line.
    static func dsFields(_ output: String, type: String = "DS") throws -> String {
        let line = try #require(output.split(whereSeparator: \.isNewline).first { $0.contains(" \(type) ") || $0.contains("\t\(type)\t") })
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let index = try #require(words.firstIndex(of: Substring(type)))
        let fields = words[(index + 1)...]
        let digest = fields.dropFirst(3).joined()
        return (fields.prefix(3).joined(separator: " ") + " " + digest).uppercased()
    }
}

/// A directory under the system temporary directory, removed when the value is released.
final class KeyFileDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        return file
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }
}
