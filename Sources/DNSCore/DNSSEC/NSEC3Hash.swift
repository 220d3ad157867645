import Crypto

/// The NSEC3 owner-name hash (RFC 5155 §5): IH(salt, x, 0) = H(x ‖ salt), IH(salt, x, k) =
/// H(IH(salt, x, k-1) ‖ salt), applied to the canonical (lowercased) wire form of the name, H being
/// SHA-1 (hash algorithm 1, the only one defined). The server needs it to find the records of a
/// denial proof, the signer to build the chain, the verifier to check it.
public struct NSEC3Hash: Sendable, Hashable {
    public var salt: [UInt8]
    /// Additional iterations (0 per RFC 9276).
    public var iterations: UInt16

    /// SHA-1 output length, the length of every NSEC3 hash.
    public static let length = 20

    public init(salt: [UInt8] = [], iterations: UInt16 = 0) {
        self.salt = salt
        self.iterations = iterations
    }

    /// The hash an NSEC3PARAM (or NSEC3) describes; nil for hash algorithms other than SHA-1.
    public init?(hashAlgorithm: UInt8, salt: [UInt8], iterations: UInt16) {
        guard hashAlgorithm == 1 else { return nil }
        self.init(salt: salt, iterations: iterations)
    }

    /// The 20-byte hash of `name`.
    public func hash(_ name: DomainName) -> [UInt8] { digest(name).bytes }

    func digest(_ name: DomainName) -> Digest {
        var hasher = Insecure.SHA1()
        if name.hasUppercase {
            hasher.update(data: name.lowercased().wire)
        } else {
            hasher.update(data: name.wire)
        }
        hasher.update(data: salt)
        var digest = hasher.finalize()
        if iterations > 0 {
            for _ in 0..<iterations {
                var next = Insecure.SHA1()
                digest.withUnsafeBytes { next.update(bufferPointer: $0) }
                next.update(data: salt)
                digest = next.finalize()
            }
        }
        return digest.withUnsafeBytes { Digest($0) }
    }

    /// The NSEC3 owner for `hash` in `zone`: the base32hex hash (lowercase, unpadded) as a label
    /// before the zone name (RFC 5155 §3).
    public static func ownerName(hash: [UInt8], zone: DomainName) -> DomainName {
        Digest(hash).ownerName(zone: zone.lowercased())
    }

    /// The hash in an NSEC3 owner name's first label, when the name is one label below `zone` and that
    /// label is a valid base32hex SHA-1 hash.
    public static func hash(inOwner owner: DomainName, zone: DomainName) -> [UInt8]? {
        guard let digest = Digest(owner: owner, zone: zone) else { return nil }
        return digest.bytes
    }

    /// A 20-byte hash held in three integers, so sorting and comparing a chain of them is cheap.
    /// Integers are loaded big-endian: their order is the bytes' (and the base32hex labels') order.
    struct Digest: Sendable, Hashable, Comparable {
        var high: UInt64
        var middle: UInt64
        var low: UInt32

        init(_ bytes: UnsafeRawBufferPointer) {
            precondition(bytes.count == NSEC3Hash.length)
            var high: UInt64 = 0
            var middle: UInt64 = 0
            var low: UInt32 = 0
            for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
            for i in 8..<16 { middle = middle << 8 | UInt64(bytes[i]) }
            for i in 16..<20 { low = low << 8 | UInt32(bytes[i]) }
            self.high = high
            self.middle = middle
            self.low = low
        }

        init(_ bytes: [UInt8]) {
            self = bytes.withUnsafeBytes { Digest($0) }
        }

        /// The digest encoded in `owner`'s first label when `owner` is one label below `zone`.
        init?(owner: DomainName, zone: DomainName) {
            let wire = owner.wire
            guard wire.count > 33, wire[0] == 32, wire.count - 33 == zone.wire.count,
                  DomainName.equalIgnoringCase(wire[33...], zone.wire[...]),
                  let bytes = Base32Hex.decode(wire[1..<33]), bytes.count == NSEC3Hash.length
            else { return nil }
            self.init(bytes)
        }

        static func < (lhs: Digest, rhs: Digest) -> Bool {
            if lhs.high != rhs.high { return lhs.high < rhs.high }
            if lhs.middle != rhs.middle { return lhs.middle < rhs.middle }
            return lhs.low < rhs.low
        }

        var bytes: [UInt8] {
            var out = [UInt8](repeating: 0, count: NSEC3Hash.length)
            for i in 0..<8 { out[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i)) }
            for i in 0..<8 { out[8 + i] = UInt8(truncatingIfNeeded: middle >> UInt64(56 - 8 * i)) }
            for i in 0..<4 { out[16 + i] = UInt8(truncatingIfNeeded: low >> UInt32(24 - 8 * i)) }
            return out
        }

        /// `<32 base32hex characters>.zone`; `zone` should be lowercase (the signer passes it so).
        func ownerName(zone: DomainName) -> DomainName {
            var wire: [UInt8] = []
            wire.reserveCapacity(33 + zone.wire.count)
            wire.append(32)
            // 160 bits = 32 groups of 5 bits, taken from the three integers as one 160-bit number.
            let alphabet = Base32Hex.alphabet
            for group in 0..<32 {
                let bit = group * 5
                var value: UInt64
                if bit + 5 <= 64 {
                    value = high >> UInt64(59 - bit)
                } else if bit < 64 {
                    value = high << UInt64(bit - 59) | middle >> UInt64(123 - bit)
                } else if bit + 5 <= 128 {
                    value = middle >> UInt64(123 - bit)
                } else if bit < 128 {
                    value = middle << UInt64(bit - 123) | UInt64(low) >> UInt64(155 - bit)
                } else {
                    value = UInt64(low) >> UInt64(155 - bit)
                }
                wire.append(alphabet[Int(value & 0x1F)])
            }
            wire.append(contentsOf: zone.wire)
            return DomainName(trustedWire: wire)
        }
    }
}
