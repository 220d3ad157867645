/// The little DER (X.690) this module needs: reading PKCS#8 and PKCS#1 structures to learn a key's
/// algorithm and RSA components, and writing an RSA SubjectPublicKeyInfo. Not a general ASN.1 codec;
/// every length is checked because PEM files come from outside.
enum DER {
    static let sequence: UInt8 = 0x30
    static let integer: UInt8 = 0x02
    static let octetString: UInt8 = 0x04
    static let bitString: UInt8 = 0x03
    static let null: UInt8 = 0x05
    static let objectIdentifier: UInt8 = 0x06

    /// Object identifiers in their DER content form (without tag and length).
    enum OID {
        static let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
        static let ecPublicKey: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
        static let prime256v1: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        static let secp384r1: [UInt8] = [0x2B, 0x81, 0x04, 0x00, 0x22]
        static let ed25519: [UInt8] = [0x2B, 0x65, 0x70]
    }

    /// Why DER could not be read; callers wrap it into `DNSSECError` with the file's context.
    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        var offset: Int
        var description: String { "\(reason) at DER byte \(offset)" }
    }

    struct Reader {
        let bytes: [UInt8]
        var offset: Int
        let end: Int

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            self.offset = 0
            self.end = bytes.count
        }

        private init(bytes: [UInt8], offset: Int, end: Int) {
            self.bytes = bytes
            self.offset = offset
            self.end = end
        }

        var isAtEnd: Bool { offset >= end }

        /// Reads one element with the expected tag and returns its content bytes' range.
        mutating func element(tag: UInt8, _ what: String) throws(Malformed) -> Range<Int> {
            guard offset < end else { throw Malformed(reason: "missing \(what)", offset: offset) }
            guard bytes[offset] == tag else {
                throw Malformed(reason: "expected \(what) (tag \(tag)), found tag \(bytes[offset])", offset: offset)
            }
            var i = offset + 1
            guard i < end else { throw Malformed(reason: "\(what) has no length", offset: offset) }
            var length = Int(bytes[i])
            i += 1
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard count >= 1, count <= 4, i + count <= end else {
                    throw Malformed(reason: "\(what) has a bad length", offset: offset)
                }
                length = 0
                for _ in 0..<count {
                    length = length << 8 | Int(bytes[i])
                    i += 1
                }
            }
            guard length <= end - i else { throw Malformed(reason: "\(what) runs past its container", offset: offset) }
            offset = i + length
            return i..<(i + length)
        }

        /// A reader over the content of the next constructed element.
        mutating func nested(tag: UInt8 = DER.sequence, _ what: String) throws(Malformed) -> Reader {
            let range = try element(tag: tag, what)
            return Reader(bytes: bytes, offset: range.lowerBound, end: range.upperBound)
        }

        mutating func content(tag: UInt8, _ what: String) throws(Malformed) -> [UInt8] {
            Array(bytes[try element(tag: tag, what)])
        }

        /// An unsigned INTEGER's magnitude, big-endian without leading zero octets.
        mutating func unsignedInteger(_ what: String) throws(Malformed) -> [UInt8] {
            let value = try content(tag: DER.integer, what)
            guard let first = value.first, first & 0x80 == 0 else {
                throw Malformed(reason: "\(what) is empty or negative", offset: offset)
            }
            return Array(value.drop(while: { $0 == 0 }))
        }
    }

    /// The algorithm OID and (for EC keys) the curve OID of a PKCS#8 PrivateKeyInfo.
    static func pkcs8Algorithm(_ der: [UInt8]) throws(Malformed) -> (algorithm: [UInt8], parameter: [UInt8]?) {
        var outer = Reader(der)
        var info = try outer.nested("PrivateKeyInfo")
        _ = try info.content(tag: integer, "version")
        var algorithm = try info.nested("AlgorithmIdentifier")
        let oid = try algorithm.content(tag: objectIdentifier, "algorithm OID")
        var parameter: [UInt8]? = nil
        if !algorithm.isAtEnd, algorithm.bytes[algorithm.offset] == objectIdentifier {
            parameter = try algorithm.content(tag: objectIdentifier, "curve OID")
        }
        return (oid, parameter)
    }

    // MARK: Writing

    static func appendLength(_ length: Int, to out: inout [UInt8]) {
        if length < 0x80 {
            out.append(UInt8(length))
            return
        }
        var bytes: [UInt8] = []
        var value = length
        while value > 0 {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        }
        out.append(0x80 | UInt8(bytes.count))
        out.append(contentsOf: bytes)
    }

    static func encode(tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        appendLength(content.count, to: &out)
        out.append(contentsOf: content)
        return out
    }

    /// A non-negative INTEGER from big-endian magnitude bytes.
    static func unsignedInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var value = Array(magnitude.drop(while: { $0 == 0 }))
        if value.isEmpty { value = [0] }
        if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return encode(tag: integer, value)
    }

    /// SubjectPublicKeyInfo for an RSA key (rsaEncryption, NULL parameters, PKCS#1 RSAPublicKey).
    static func rsaSubjectPublicKeyInfo(modulus: [UInt8], exponent: [UInt8]) -> [UInt8] {
        let rsaPublicKey = encode(tag: sequence, unsignedInteger(modulus) + unsignedInteger(exponent))
        let algorithm = encode(tag: sequence, encode(tag: objectIdentifier, OID.rsaEncryption) + [null, 0])
        return encode(tag: sequence, algorithm + encode(tag: bitString, [0] + rsaPublicKey))
    }
}
