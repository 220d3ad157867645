import Testing
@testable import DNSCore

/// Hostile bytes: each malformed packet must produce its specific `WireError`, never a crash or a hang.
@Suite("Malformed messages")
struct MalformedMessageTests {
    /// A query `dig example.com A` (BIND 9.18) really sent: EDNS with payload 1232 and a client cookie.
    static let digQuery = hex("dc5901200001000000000001076578616d706c6503636f6d000001000100002904d000000000000c000a0008d7fd19a8a769b7d8")
    /// A query `kdig example.com MX` sent, without EDNS.
    static let kdigQuery = hex("b8ab01200001000000000000076578616d706c6503636f6d00000f0001")

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = text.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String([high, low]), radix: 16)!)
        }
        return bytes
    }

    /// Header with the given counts followed by `body`.
    static func packet(qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0, _ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x12, 0x34, 0x84, 0x00]
        for count in [qd, an, ns, ar] { bytes += [UInt8(count >> 8), UInt8(count & 0xFF)] }
        return bytes + body
    }

    /// Fixed RR fields after the owner: type, class IN, TTL 300, RDLENGTH.
    static func fields(type: UInt16, dnsClass: UInt16 = 1, ttl: UInt32 = 300, length: Int) -> [UInt8] {
        [
            UInt8(type >> 8), UInt8(type & 0xFF), UInt8(dnsClass >> 8), UInt8(dnsClass & 0xFF),
            UInt8(ttl >> 24), UInt8(ttl >> 16 & 0xFF), UInt8(ttl >> 8 & 0xFF), UInt8(ttl & 0xFF),
            UInt8(length >> 8), UInt8(length & 0xFF),
        ]
    }

    static let rootQuestion: [UInt8] = [0, 0, 1, 0, 1]  // ". A IN", bytes 12–16
    static let optRecord: [UInt8] = [0] + fields(type: 41, dnsClass: 1232, ttl: 0, length: 0)
    static let aRecord: [UInt8] = [0] + fields(type: 1, length: 4) + [192, 0, 2, 1]
    static var tsigRecord: [UInt8] {
        var writer = WireWriter(compress: false)
        MessageFixtures.tsigRecord(originalID: 0x1234).encode(to: &writer)
        return writer.bytes
    }

    static func decodeError(_ bytes: [UInt8]) -> WireError? {
        do {
            _ = try Message(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("the captured queries themselves decode (the control for everything below)")
    func controls() throws {
        let dig = try Message(decoding: Self.digQuery)
        #expect(dig.questions == [Question(name: "example.com.", type: .A)])
        #expect(dig.edns?.udpPayloadSize == 1232)
        let kdig = try Message(decoding: Self.kdigQuery)
        #expect(kdig.questions == [Question(name: "example.com.", type: .MX)])
        #expect(kdig.edns == nil)
    }

    @Test("every prefix of 0–16 bytes of a real query is a typed truncation", arguments: 0...16)
    func shortPrefixes(length: Int) {
        let error = Self.decodeError(Array(Self.digQuery.prefix(length)))
        let expected: WireError =
            if length < 12 {
                .truncated(field: "header", offset: 0, needed: 12, available: length)
            } else if length == 12 {
                .truncated(field: "name", offset: 12, needed: 1, available: 0)
            } else {
                // "\x07example" at byte 12 needs 8 bytes.
                .truncated(field: "label", offset: 12, needed: 8, available: length - 12)
            }
        #expect(error == expected)
    }

    @Test("every longer prefix of a real query fails too, and the whole query does not")
    func allPrefixes() {
        for length in 17..<Self.digQuery.count {
            #expect(Self.decodeError(Array(Self.digQuery.prefix(length))) != nil, "prefix \(length)")
        }
        #expect(Self.decodeError(Self.digQuery) == nil)
    }

    @Test("a compression pointer to itself is rejected")
    func pointerToItself() {
        let bytes = Self.packet(qd: 1, [0xC0, 12, 0, 1, 0, 1])
        #expect(Self.decodeError(bytes) == .forwardPointer(offset: 12, target: 12))
    }

    @Test("two compression pointers pointing at each other are rejected")
    func mutualPointers() {
        // Answer 1 (byte 17) is an unknown type whose RDATA (bytes 28–29) is a pointer to byte 30;
        // answer 2's owner (byte 30) points back to 28. Following it leads forward again: a loop.
        let answer1 = [0] + Self.fields(type: 0xFF00, length: 2) + [0xC0, 30]
        let answer2 = [0xC0, 28] + Self.fields(type: 1, length: 4) + [192, 0, 2, 1]
        let bytes = Self.packet(qd: 1, an: 2, Self.rootQuestion + answer1 + answer2)
        #expect(Self.decodeError(bytes) == .forwardPointer(offset: 28, target: 30))
    }

    @Test("a forward compression pointer is rejected")
    func forwardPointer() {
        let bytes = Self.packet(qd: 1, [0xC0, 0x20, 0, 1, 0, 1] + Array(repeating: 0, count: 30))
        #expect(Self.decodeError(bytes) == .forwardPointer(offset: 12, target: 0x20))
    }

    @Test("a chain of backward pointers longer than any real name is cut off")
    func pointerChainHopCap() {
        // RDATA from byte 28: a root label, then 200 pointers each to the one before.
        var rdata: [UInt8] = [0]
        for i in 0..<200 {
            let target = i == 0 ? 28 : 29 + 2 * (i - 1)
            rdata += [0xC0 | UInt8(target >> 8), UInt8(target & 0xFF)]
        }
        let answer1 = [0] + Self.fields(type: 0xFF00, length: rdata.count) + rdata
        let ownerAt = 12 + 5 + 11 + rdata.count
        let last = 29 + 2 * 199
        let answer2 = [0xC0 | UInt8(last >> 8), UInt8(last & 0xFF)] + Self.fields(type: 1, length: 4) + [192, 0, 2, 1]
        let bytes = Self.packet(qd: 1, an: 2, Self.rootQuestion + answer1 + answer2)
        #expect(Self.decodeError(bytes) == .tooManyPointers(offset: ownerAt))
    }

    /// Four labels chained by pointers inside an unknown record's RDATA; the second answer's owner points
    /// at the last one, which expands to 3·64 + (lastLabel + 1) + 1 bytes.
    static func chainedNamePacket(lastLabel: Int) -> (bytes: [UInt8], ownerAt: Int) {
        var rdata: [UInt8] = []
        var previous: Int? = nil
        for (k, length) in [63, 63, 63, lastLabel].enumerated() {
            let start = 28 + rdata.count
            rdata.append(UInt8(length))
            rdata += Array(repeating: UInt8(0x61 + k), count: length)
            if let previous {
                rdata += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
            } else {
                rdata.append(0)
            }
            previous = start
        }
        let answer1 = [0] + Self.fields(type: 0xFF00, length: rdata.count) + rdata
        let ownerAt = 28 + rdata.count
        let answer2 = [0xC0 | UInt8(previous! >> 8), UInt8(previous! & 0xFF)] + Self.fields(type: 1, length: 4) + [192, 0, 2, 1]
        return (Self.packet(qd: 1, an: 2, Self.rootQuestion + answer1 + answer2), ownerAt)
    }

    @Test("a name over 255 bytes assembled from pointers is rejected; exactly 255 is fine")
    func nameTooLongViaPointers() throws {
        let tooLong = Self.chainedNamePacket(lastLabel: 62)  // 256 bytes
        #expect(Self.decodeError(tooLong.bytes) == .nameTooLong(offset: tooLong.ownerAt))

        let exact = try Message(decoding: Self.chainedNamePacket(lastLabel: 61).bytes)
        #expect(exact.answers[1].name.wire.count == 255)
        #expect(exact.answers[1].name.labelCount == 4)
    }

    @Test("a reserved label type (0x40, 0x80) is rejected")
    func badLabelType() {
        #expect(Self.decodeError(Self.packet(qd: 1, [0x41, 0, 0, 1, 0, 1])) == .badLabelType(offset: 12))
        #expect(Self.decodeError(Self.packet(qd: 1, [0x80, 0, 0, 1, 0, 1])) == .badLabelType(offset: 12))
    }

    @Test("section counts larger than the data are truncation errors, not hangs or huge allocations")
    func countsLargerThanData() {
        let expected = WireError.truncated(field: "name", offset: 29, needed: 1, available: 0)
        for (index, count) in [(4, 2), (6, 1), (6, 0xFFFF), (8, 0xFFFF), (10, 0xFFFF)] as [(Int, UInt16)] {
            var bytes = Self.kdigQuery
            let current = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
            let value = index == 4 ? count : max(count, current)
            bytes[index] = UInt8(value >> 8)
            bytes[index + 1] = UInt8(value & 0xFF)
            #expect(Self.decodeError(bytes) == expected, "count at byte \(index) = \(value)")
        }
        var bytes = Self.kdigQuery
        bytes[4] = 0xFF
        bytes[5] = 0xFF
        #expect(Self.decodeError(bytes) == expected)
    }

    @Test("an RDLENGTH running past the message, or not matching the RDATA, is rejected")
    func rdlengthMismatch() {
        // The record starts at byte 12; its RDATA at 23.
        let overrun = Self.packet(an: 1, [0] + Self.fields(type: 1, length: 10) + [192, 0, 2, 1])
        #expect(Self.decodeError(overrun) == .truncated(field: "A RDATA", offset: 23, needed: 10, available: 4))

        let short = Self.packet(an: 1, [0] + Self.fields(type: 1, length: 3) + [192, 0, 2])
        #expect(Self.decodeError(short) == .truncated(field: "A address", offset: 23, needed: 4, available: 3))

        let long = Self.packet(an: 1, [0] + Self.fields(type: 1, length: 5) + [192, 0, 2, 1, 9])
        #expect(Self.decodeError(long) == .rdataLength(type: .A, offset: 23, declared: 5, consumed: 4))

        // A short record before a valid one cannot borrow its neighbour's bytes.
        let borrow = Self.packet(an: 2, [0] + Self.fields(type: 1, length: 2) + [192, 0] + Self.aRecord)
        #expect(Self.decodeError(borrow) == .truncated(field: "A address", offset: 23, needed: 4, available: 2))
    }

    @Test("OPT outside the additional section is rejected")
    func optInWrongSection() {
        #expect(Self.decodeError(Self.packet(an: 1, Self.optRecord)) == .malformedMessage("OPT record in the answer section"))
        #expect(Self.decodeError(Self.packet(ns: 1, Self.optRecord)) == .malformedMessage("OPT record in the authority section"))
    }

    @Test("two OPT records are rejected")
    func twoOPTs() {
        #expect(Self.decodeError(Self.packet(ar: 2, Self.optRecord + Self.optRecord)) == .malformedMessage("more than one OPT record"))
        #expect(Self.decodeError(Self.packet(ar: 3, Self.optRecord + Self.aRecord + Self.optRecord)) == .malformedMessage("more than one OPT record"))
    }

    @Test("an OPT record not owned by the root is rejected")
    func optOwnerNotRoot() {
        let opt = [1, 0x61, 0] + Self.fields(type: 41, dnsClass: 1232, ttl: 0, length: 0)
        #expect(Self.decodeError(Self.packet(ar: 1, opt)) == .malformedMessage("OPT record owned by a., not the root"))
    }

    @Test("malformed EDNS options are rejected")
    func badOptions() {
        // Option claims 8 bytes of data, RDATA holds 4 + 2.
        let opt = [0] + Self.fields(type: 41, dnsClass: 1232, ttl: 0, length: 6) + [0, 10, 0, 8, 1, 2]
        #expect(Self.decodeError(Self.packet(ar: 1, opt)) == .truncated(field: "EDNS option data", offset: 27, needed: 8, available: 2))
    }

    @Test("TSIG anywhere but last in the additional section is rejected")
    func tsigNotLast() throws {
        let tsig = Self.tsigRecord
        let expected = WireError.malformedMessage("TSIG record is not the last record of the additional section")
        #expect(Self.decodeError(Self.packet(ar: 2, tsig + Self.aRecord)) == expected)
        #expect(Self.decodeError(Self.packet(ar: 2, tsig + Self.optRecord)) == expected)
        #expect(Self.decodeError(Self.packet(ar: 2, tsig + tsig)) == expected)
        #expect(Self.decodeError(Self.packet(an: 1, tsig)) == .malformedMessage("TSIG record in the answer section"))
        #expect(Self.decodeError(Self.packet(ns: 1, tsig)) == .malformedMessage("TSIG record in the authority section"))
        // The control: last is fine, and the offset points at its first byte.
        let good = try Message(decoding: Self.packet(ar: 3, Self.aRecord + Self.optRecord + tsig))
        #expect(good.tsigOffset == 12 + Self.aRecord.count + Self.optRecord.count)
        #expect(good.additional.count == 1)
    }

    @Test("bytes after the last record are rejected")
    func trailingGarbage() {
        #expect(Self.decodeError(Self.digQuery + [1, 2, 3]) == .trailingBytes(offset: 52, count: 3))
        #expect(Self.decodeError(Self.kdigQuery + [0]) == .trailingBytes(offset: 29, count: 1))
    }

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let interesting: [UInt8] = [0x00, 0x01, 0x3F, 0x40, 0x80, 0xC0, 0xFF, 0x29, 0xFA, 0x0C]
        for _ in 0...rng.below(4) {
            if bytes.isEmpty { bytes = [UInt8(rng.below(256))]; continue }
            let at = rng.below(bytes.count)
            switch rng.below(9) {
            case 0: bytes[at] ^= 1 << UInt8(rng.below(8))
            case 1: bytes[at] = UInt8(rng.below(256))
            case 2: bytes[at] = interesting[rng.below(interesting.count)]
            case 3: bytes.removeSubrange(rng.below(bytes.count + 1)...)
            case 4: bytes.insert(contentsOf: (0..<1 + rng.below(4)).map { _ in UInt8(rng.below(256)) }, at: at)
            case 5: bytes.removeSubrange(at..<min(bytes.count, at + 1 + rng.below(16)))
            case 6:
                // A compression pointer to some earlier (or later) offset.
                let target = rng.below(bytes.count)
                bytes[at] = 0xC0 | UInt8(target >> 8 & 0x3F)
                if at + 1 < bytes.count { bytes[at + 1] = UInt8(target & 0xFF) }
            case 7:
                // Copy a chunk over another place (duplicated names, records, lengths).
                let from = rng.below(bytes.count)
                let length = min(1 + rng.below(24), bytes.count - from, bytes.count - at)
                bytes.replaceSubrange(at..<(at + length), with: bytes[from..<(from + length)])
            default:
                // A section count.
                let field = 4 + 2 * rng.below(4)
                if field + 1 < bytes.count { bytes[field + 1] = bytes[field + 1] &+ UInt8(rng.below(3)) &- 1 }
            }
        }
        return bytes
    }

    @Test("20,000 deterministic mutations: decode returns or throws, and what decodes re-encodes stably")
    func mutationLoop() throws {
        let seeds = [try MessageFixtures.response(tsig: true).encode(), try MessageFixtures.response().encode(), Self.digQuery]
        var rng = SplitMix64(seed: 0xC0FF_EE15_DEAD_BEEF)
        var decoded = 0
        var rejected = 0
        var failures: [String] = []
        for iteration in 0..<20_000 {
            let input = Self.mutate(seeds[iteration % seeds.count], &rng)
            let message: Message
            do {
                message = try Message(decoding: input)
            } catch {
                rejected += 1
                continue
            }
            decoded += 1
            let encoded = message.encode()
            do {
                let again = try Message(decoding: encoded)
                if again != message {
                    failures.append("#\(iteration): re-decoded message differs\n\(message)\n\(again)")
                } else if again.encode() != encoded {
                    failures.append("#\(iteration): re-encoding is not byte-stable")
                }
            } catch {
                failures.append("#\(iteration): our own encoding does not decode: \(error); input \(input)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3).joined(separator: "\n"))")
        // Both paths were exercised, or the loop proved nothing.
        #expect(decoded > 1_000)
        #expect(rejected > 1_000)
    }
}
