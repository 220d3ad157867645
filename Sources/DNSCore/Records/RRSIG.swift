/// RRSIG: a signature over one RRset (RFC 4034 §3.1).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |        Type Covered           |  Algorithm    |     Labels    |
/// |                         Original TTL                          |
/// |                      Signature Expiration                     |
/// |                      Signature Inception                      |
/// |            Key Tag            |                               /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+         Signer's Name         /
/// /                                                               /
/// /                            Signature                          /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// The signer's name is written as given (we always produce it lowercased); RFC 6840 §5.1 removed
/// RRSIG from the types whose names are lowercased for the canonical form.
public struct RRSIG: RDataType {
    public static let recordType = RecordType.RRSIG
    public var typeCovered: RecordType
    public var algorithm: UInt8
    public var labels: UInt8
    public var originalTTL: UInt32
    /// Seconds since 1970 modulo 2^32 (RFC 4034 §3.1.5: serial-number arithmetic).
    public var expiration: UInt32
    public var inception: UInt32
    public var keyTag: UInt16
    public var signerName: DomainName
    public var signature: [UInt8]

    public init(
        typeCovered: RecordType, algorithm: UInt8, labels: UInt8, originalTTL: UInt32, expiration: UInt32,
        inception: UInt32, keyTag: UInt16, signerName: DomainName, signature: [UInt8]
    ) {
        self.typeCovered = typeCovered
        self.algorithm = algorithm
        self.labels = labels
        self.originalTTL = originalTTL
        self.expiration = expiration
        self.inception = inception
        self.keyTag = keyTag
        self.signerName = signerName
        self.signature = signature
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        typeCovered = RecordType(try reader.readUInt16("RRSIG type covered"))
        algorithm = try reader.readUInt8("RRSIG algorithm")
        labels = try reader.readUInt8("RRSIG labels")
        originalTTL = try reader.readUInt32("RRSIG original TTL")
        expiration = try reader.readUInt32("RRSIG expiration")
        inception = try reader.readUInt32("RRSIG inception")
        keyTag = try reader.readUInt16("RRSIG key tag")
        signerName = try reader.readName()
        signature = reader.readRest()
    }

    /// Writes the RDATA without the signature: the prefix of the signed data (RFC 4034 §3.1.8.1).
    public func encodeFields(to writer: inout WireWriter) {
        writer.write(typeCovered.rawValue)
        writer.write(algorithm)
        writer.write(labels)
        writer.write(originalTTL)
        writer.write(expiration)
        writer.write(inception)
        writer.write(keyTag)
        writer.write(signerName)
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        encodeFields(to: &writer)
        writer.write(bytes: signature)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        let typeToken = try parser.next("type covered")
        guard let covered = RecordType(mnemonic: typeToken.string) else {
            throw parser.invalid("type covered", "unknown type \"\(typeToken.string)\"", at: typeToken)
        }
        typeCovered = covered
        algorithm = try parser.uint8("algorithm")
        labels = try parser.uint8("labels")
        originalTTL = try parser.uint32("original TTL")
        expiration = try RRSIG.time(&parser, "expiration")
        inception = try RRSIG.time(&parser, "inception")
        keyTag = try parser.uint16("key tag")
        signerName = try parser.name("signer's name")
        signature = try parser.base64Rest("signature")
    }

    static func time(_ parser: inout RDataParser, _ field: String) throws(ZoneFileError) -> UInt32 {
        let token = try parser.next(field)
        guard let value = DNSTime.parse(token.text) else {
            throw parser.invalid(field, "expected YYYYMMDDHHmmSS or seconds, found \"\(token.string)\"", at: token)
        }
        return value
    }

    public var presentation: String {
        "\(typeCovered) \(algorithm) \(labels) \(originalTTL) \(DNSTime.format(expiration)) "
            + "\(DNSTime.format(inception)) \(keyTag) \(signerName) \(Base64.encode(signature))"
    }

    public var rdata: RData { .rrsig(self) }
}
