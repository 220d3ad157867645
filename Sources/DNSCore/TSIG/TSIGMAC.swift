import Crypto

/// A running HMAC over the TSIG digest components of RFC 8945 §4.3, for one key.
///
/// Kept as a value (swift-crypto's HMAC is a struct), so a transfer's state machine can hold one
/// between messages and copying it never shares state.
struct TSIGMAC: Sendable {
    enum State: Sendable {
        case sha1(HMAC<Insecure.SHA1>)
        case sha256(HMAC<SHA256>)
        case sha384(HMAC<SHA384>)
        case sha512(HMAC<SHA512>)
    }

    var state: State

    /// Keys are checked for a supported algorithm when built, so every key has a state here.
    init(key: TSIGKey) {
        let secret = SymmetricKey(data: key.secret)
        switch key.algorithm {
        case .hmacSHA1: state = .sha1(HMAC(key: secret))
        case .hmacSHA384: state = .sha384(HMAC(key: secret))
        case .hmacSHA512: state = .sha512(HMAC(key: secret))
        default: state = .sha256(HMAC(key: secret))
        }
    }

    mutating func update(_ bytes: ArraySlice<UInt8>) {
        switch state {
        case .sha1(var h): h.update(data: bytes); state = .sha1(h)
        case .sha256(var h): h.update(data: bytes); state = .sha256(h)
        case .sha384(var h): h.update(data: bytes); state = .sha384(h)
        case .sha512(var h): h.update(data: bytes); state = .sha512(h)
        }
    }

    mutating func update(_ bytes: [UInt8]) { update(bytes[...]) }

    func finalize() -> [UInt8] {
        switch state {
        case .sha1(let h): Array(h.finalize())
        case .sha256(let h): Array(h.finalize())
        case .sha384(let h): Array(h.finalize())
        case .sha512(let h): Array(h.finalize())
        }
    }

    /// A request MAC or prior MAC: MAC Size (16 bits) then the MAC as received (RFC 8945 §4.3.1).
    mutating func addMAC(_ mac: [UInt8]) {
        update([UInt8(mac.count >> 8), UInt8(mac.count & 0xFF)])
        update(mac)
    }

    /// A DNS message as it was before its TSIG was added: the bytes before `tsigOffset` (all of them
    /// when nil), with ARCOUNT one less and the ID set back to `originalID` when they had a TSIG
    /// (RFC 8945 §4.3.2). Callers guarantee at least a header's 12 bytes.
    mutating func addMessage(_ bytes: [UInt8], tsigOffset: Int?, originalID: UInt16?) {
        guard let tsigOffset else {
            update(bytes)
            return
        }
        var header = Array(bytes[0..<12])
        if let originalID {
            header[0] = UInt8(originalID >> 8)
            header[1] = UInt8(originalID & 0xFF)
        }
        let arcount = (UInt16(header[10]) << 8 | UInt16(header[11])) &- 1
        header[10] = UInt8(arcount >> 8)
        header[11] = UInt8(arcount & 0xFF)
        update(header)
        update(bytes[12..<tsigOffset])
    }

    /// The TSIG variables (RFC 8945 §4.3.3): key name and algorithm in canonical form, CLASS ANY,
    /// TTL 0, Time Signed, Fudge, Error, Other Len, Other Data.
    mutating func addVariables(keyName: DomainName, algorithm: DomainName, timeSigned: UInt64, fudge: UInt16,
                               error: UInt16, otherData: [UInt8]) {
        var writer = WireWriter(compress: false, capacity: 64 + otherData.count)
        writer.write(keyName, canonical: true)
        writer.write(DNSClass.ANY.rawValue)
        writer.write(UInt32(0))
        writer.write(algorithm, canonical: true)
        writer.writeUInt48(timeSigned)
        writer.write(fudge)
        writer.write(error)
        writer.write(UInt16(otherData.count))
        writer.write(bytes: otherData)
        update(writer.bytes)
    }

    /// The timers alone, for the messages after the first of a transfer (RFC 8945 §5.3.1).
    mutating func addTimers(timeSigned: UInt64, fudge: UInt16) {
        var writer = WireWriter(compress: false, capacity: 8)
        writer.writeUInt48(timeSigned)
        writer.write(fudge)
        update(writer.bytes)
    }

    /// Compares a received (possibly truncated) MAC with ours in time independent of where they differ.
    static func matches(received: [UInt8], computed: [UInt8]) -> Bool {
        guard !received.isEmpty, received.count <= computed.count else { return false }
        var difference: UInt8 = 0
        for i in received.indices { difference |= received[i] ^ computed[i] }
        return difference == 0
    }

    /// RFC 8945 §5.2.2.1: a MAC longer than the hash, or shorter than both 10 bytes and half the hash,
    /// is malformed. Returns the reason, or nil when the length is allowed.
    static func lengthProblem(_ length: Int, algorithm: TSIGAlgorithm) -> String? {
        guard let full = algorithm.macLength else { return nil }
        if length > full { return "MAC of \(length) bytes is longer than the \(full) of \(algorithm)" }
        let minimum = max(10, (full + 1) / 2)
        if length < minimum { return "MAC of \(length) bytes is shorter than the \(minimum) allowed for \(algorithm)" }
        return nil
    }
}

extension TSIGMAC {
    /// The TSIG resource record appended to a message: key name as owner, CLASS ANY, TTL 0, and
    /// both names uncompressed and lowercased so any peer reads back exactly what we hashed.
    static func record(keyName: DomainName, tsig: TSIG) -> [UInt8] {
        var writer = WireWriter(compress: false, capacity: 64 + tsig.mac.count + tsig.otherData.count)
        writer.write(keyName, canonical: true)
        writer.write(RecordType.TSIG.rawValue)
        writer.write(DNSClass.ANY.rawValue)
        writer.write(UInt32(0))
        let lengthAt = writer.count
        writer.write(UInt16(0))
        tsig.encode(to: &writer, canonical: true)
        writer.patch(UInt16(writer.count - lengthAt - 2), at: lengthAt)
        return writer.bytes
    }

    /// `message` with `record` appended and ARCOUNT raised by one.
    static func appending(record: [UInt8], to message: [UInt8]) -> [UInt8] {
        var out = message
        out.reserveCapacity(message.count + record.count)
        let arcount = (UInt16(out[10]) << 8 | UInt16(out[11])) &+ 1
        out[10] = UInt8(arcount >> 8)
        out[11] = UInt8(arcount & 0xFF)
        out.append(contentsOf: record)
        return out
    }

    /// A 48-bit time as Other Data (what a BADTIME response carries: the server's clock).
    static func timeBytes(_ time: UInt64) -> [UInt8] {
        (0..<6).map { UInt8((time >> UInt64(40 - 8 * $0)) & 0xFF) }
    }
}
