import Crypto

extension KeyRData {
    /// The DS record a parent publishes for this key at `owner` (RFC 4034 §5.1.4):
    /// digest = hash(canonical owner name ‖ DNSKEY RDATA).
    public func ds(owner: DomainName, digestType: DSDigestType = .sha256) throws(DNSSECError) -> DS {
        DS(keyTag: keyTag, algorithm: algorithm, digestType: digestType.rawValue,
           digest: try dsDigest(owner: owner, digestType: digestType))
    }

    /// The bytes of the DS Digest field for this key at `owner`.
    public func dsDigest(owner: DomainName, digestType: DSDigestType) throws(DNSSECError) -> [UInt8] {
        var writer = WireWriter(compress: false, capacity: owner.wire.count + 4 + publicKey.count)
        writer.write(owner, canonical: true)
        writer.write(flags)
        writer.write(`protocol`)
        writer.write(algorithm)
        writer.write(bytes: publicKey)
        let input = writer.bytes
        switch digestType {
        case .sha1: return Array(Insecure.SHA1.hash(data: input))
        case .sha256: return Array(SHA256.hash(data: input))
        case .sha384: return Array(SHA384.hash(data: input))
        default: throw .unsupportedDigestType(digestType.rawValue)
        }
    }
}

extension DNSKEY {
    /// The CDNSKEY that asks the parent to publish a DS for this key (RFC 7344 §3.2).
    public var cdnskey: CDNSKEY { CDNSKEY(flags: flags, protocol: `protocol`, algorithm: algorithm, publicKey: publicKey) }
}

extension CDNSKEY {
    /// `0 3 0 AA==`: asks the parent to remove all DS records (RFC 8078 §4).
    public static let delete = CDNSKEY(flags: 0, protocol: 3, algorithm: 0, publicKey: [0])

    public var isDelete: Bool { flags == 0 && `protocol` == 3 && algorithm == 0 && publicKey == [0] }

    public var dnskey: DNSKEY { DNSKEY(flags: flags, protocol: `protocol`, algorithm: algorithm, publicKey: publicKey) }
}

extension DigestRData {
    /// Whether this DS (or CDS) was made from `key` at `owner`: key tag, algorithm and digest all match.
    /// Unsupported digest types never match.
    public func matches<Key: KeyRData>(_ key: Key, owner: DomainName) -> Bool {
        guard keyTag == key.keyTag, algorithm == key.algorithm,
              let expected = try? key.dsDigest(owner: owner, digestType: DSDigestType(digestType))
        else { return false }
        return expected == digest
    }

    /// The four fields a registrar's DS form asks for, labelled as most forms label them.
    public var registrarFields: [(label: String, value: String)] {
        [
            ("Key Tag", String(keyTag)),
            ("Algorithm", "\(algorithm) (\(DNSSECAlgorithm(algorithm)))"),
            ("Digest Type", "\(digestType) (\(DSDigestType(digestType)))"),
            ("Digest", Base16.encode(digest)),
        ]
    }

    /// `registrarFields` one per line (`Key Tag: 12345`), ready to print for an operator.
    public var registrarText: String {
        registrarFields.map { "\($0.label): \($0.value)" }.joined(separator: "\n")
    }
}

extension DS {
    /// The CDS that asks the parent to publish this DS (RFC 7344 §3.1).
    public var cds: CDS { CDS(keyTag: keyTag, algorithm: algorithm, digestType: digestType, digest: digest) }
}

extension CDS {
    /// `0 0 0 00`: asks the parent to remove all DS records (RFC 8078 §4).
    public static let delete = CDS(keyTag: 0, algorithm: 0, digestType: 0, digest: [0])

    public var isDelete: Bool { keyTag == 0 && algorithm == 0 && digestType == 0 && digest == [0] }

    public var ds: DS { DS(keyTag: keyTag, algorithm: algorithm, digestType: digestType, digest: digest) }
}
