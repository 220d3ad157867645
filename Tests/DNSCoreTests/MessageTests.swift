import Testing
@testable import DNSCore

/// Messages shared by the message test files: realistic responses built from zone-file text.
enum MessageFixtures {
    static func records(_ text: String, origin: DomainName = "example.com.") throws -> [ResourceRecord] {
        var parser = ZoneFileParser(origin: origin, defaultTTL: 300)
        return try parser.parse(text)
    }

    static let cookie: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7]

    static func tsigRecord(originalID: UInt16) -> ResourceRecord {
        ResourceRecord(
            name: "transfer-key.example.", dnsClass: .ANY, ttl: 0,
            rdata: .tsig(
                TSIG(
                    algorithm: "hmac-sha256.", timeSigned: 1_700_000_000, fudge: 300,
                    mac: (0..<32).map { UInt8($0 * 7 & 0xFF) }, originalID: originalID, error: 0)))
    }

    /// A response with most record types, names that compress, EDNS with options and (optionally) TSIG.
    static func response(tsig: Bool = false) throws -> Message {
        let answers = try records(
            """
            www         A      192.0.2.1
            www         A      192.0.2.2
            www         AAAA   2001:db8::1
            www         MX     10 mail
            www         TXT    "hello world" "second string"
            www         TYPE65280 \\# 4 0a000001
            alias       CNAME  www
            _sip._tcp   SRV    0 5 5060 sip
            www         CAA    0 issue "ca.example.net"
            www         RRSIG  A 13 3 300 20240201000000 20240101000000 12345 example.com. dGVzdHNpZ25hdHVyZQ==
            www         NSEC   zzz.example.com. A AAAA MX TXT RRSIG NSEC
            """)
        let authority = try records(
            """
            @   NS   ns1
            @   NS   ns2.example.net.
            @   SOA  ns1 hostmaster 2024010101 7200 3600 1209600 300
            @   DNSKEY 257 3 13 dGVzdGtleWJ5dGVzdGVzdGtleWJ5dGVz
            """)
        let additional = try records(
            """
            ns1   A     192.0.2.53
            ns1   AAAA  2001:db8::53
            """)
        return Message(
            id: 0xBEEF, flags: Message.Flags(qr: true, aa: true, rd: true), rcode: .NOERROR,
            questions: [Question(name: "www.example.com.", type: .A)], answers: answers, authority: authority,
            additional: additional,
            edns: EDNS(udpPayloadSize: 1232, dnssecOK: true, options: [EDNS.Option(code: OPT.Option.cookie, data: cookie)]),
            tsig: tsig ? tsigRecord(originalID: 0xBEEF) : nil)
    }

    /// `count` TXT records of exactly 112 bytes each on the wire (2-byte owner pointer, 10 fixed, 100 RDATA).
    static func bigTXT(_ count: Int, owner: DomainName = "www.example.com.") -> [ResourceRecord] {
        (0..<count).map { i in
            ResourceRecord(name: owner, ttl: 60, rdata: .txt(TXT(strings: [Array(repeating: UInt8(0x61 + i % 26), count: 99)])))
        }
    }
}

@Suite("Message encode/decode")
struct MessageTests {
    @Test("a full response survives encode → decode unchanged")
    func roundTripResponse() throws {
        let message = try MessageFixtures.response()
        let bytes = message.encode()
        let decoded = try Message(decoding: bytes)
        #expect(decoded == message)
        #expect(decoded.answers.count == 11)
        #expect(decoded.edns?.option(OPT.Option.cookie) == MessageFixtures.cookie)
        #expect(decoded.tsigOffset == nil)
        // Encoding is deterministic: the decoded copy encodes to the same bytes.
        #expect(decoded.encode() == bytes)
    }

    @Test("TSIG is written last, uncompressed, and its starting offset is reported")
    func tsigPlacementAndOffset() throws {
        let message = try MessageFixtures.response(tsig: true)
        let bytes = message.encode()
        let decoded = try Message(decoding: bytes)
        #expect(decoded == message)
        #expect(decoded.tsig == message.tsig)
        #expect(!decoded.additional.contains { $0.type == .TSIG || $0.type == .OPT })

        var expected = WireWriter(compress: false)
        message.tsig!.encode(to: &expected)
        let offset = try #require(decoded.tsigOffset)
        #expect(Array(bytes[offset...]) == expected.bytes)
        // ARCOUNT counts the two ordinary additional records, OPT and TSIG.
        #expect(bytes[10] == 0 && bytes[11] == 4)
    }

    @Test("equality ignores tsigOffset, which only describes decoded bytes")
    func equalityIgnoresOffset() throws {
        let message = try MessageFixtures.response(tsig: true)
        let decoded = try Message(decoding: message.encode())
        #expect(decoded.tsigOffset != nil && message.tsigOffset == nil)
        #expect(decoded == message)
        #expect(decoded.hashValue == message.hashValue)
    }

    @Test("Message.query encodes exactly the bytes a resolver would send")
    func queryBytes() throws {
        let query = Message.query(name: "example.com.", type: .A, id: 0x1234, recursionDesired: true, do: true)
        let bytes = query.encode()
        let expected: [UInt8] = [
            0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
            7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 3, 0x63, 0x6F, 0x6D, 0,
            0x00, 0x01, 0x00, 0x01,
            0, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
        ]
        #expect(bytes == expected)
        #expect(try Message(decoding: bytes) == query)

        let plain = Message.query(name: "example.com.", type: .MX, id: 7, udpPayloadSize: nil)
        #expect(plain.edns == nil)
        #expect(plain.encode().count == 12 + 17)
        #expect(!plain.flags.rd)
    }

    @Test("each header flag maps to its RFC 1035 / RFC 4035 bit and back")
    func headerFlagBits() throws {
        let cases: [(String, WritableKeyPath<Message.Flags, Bool>, UInt16)] = [
            ("qr", \.qr, 0x8000), ("aa", \.aa, 0x0400), ("tc", \.tc, 0x0200), ("rd", \.rd, 0x0100),
            ("ra", \.ra, 0x0080), ("ad", \.ad, 0x0020), ("cd", \.cd, 0x0010),
        ]
        for (name, path, bit) in cases {
            var message = Message(id: 1, questions: [Question(name: "a.example.", type: .A)])
            message.flags[keyPath: path] = true
            let bytes = message.encode()
            #expect(UInt16(bytes[2]) << 8 | UInt16(bytes[3]) == bit, "flag \(name)")
            #expect(try Message(decoding: bytes).flags[keyPath: path], "flag \(name)")
            #expect(try Message(decoding: bytes) == message, "flag \(name)")
        }
    }

    @Test("opcode and the 4-bit RCODE sit in their header fields")
    func opcodeAndRCode() throws {
        let message = Message(id: 9, flags: .init(qr: true, opcode: .NOTIFY, aa: true), rcode: .NXDOMAIN)
        let bytes = message.encode()
        #expect(bytes[2] == 0x80 | 4 << 3 | 0x04)
        #expect(bytes[3] == 3)
        let decoded = try Message(decoding: bytes)
        #expect(decoded.flags.opcode == .NOTIFY)
        #expect(decoded.rcode == .NXDOMAIN)
    }

    @Test("an extended RCODE is split between the header and the OPT TTL, and joined on decode")
    func extendedRCode() throws {
        var message = Message(id: 2, flags: .init(qr: true), rcode: .BADCOOKIE, edns: EDNS())
        let bytes = message.encode()
        #expect(bytes[3] & 0x0F == 23 & 0x0F)
        // OPT: root(1) type(2) class(2) then the TTL's first byte is the extended RCODE.
        #expect(bytes[12 + 5] == 23 >> 4)
        #expect(try Message(decoding: bytes).rcode == .BADCOOKIE)

        message.rcode = .BADVERS
        let badvers = try Message(decoding: message.encode())
        #expect(badvers.rcode == .BADVERS)
        #expect(badvers.rcode.rawValue == 16)

        // Without OPT only the low 4 bits can travel (BADVERS's are zero).
        message.edns = nil
        #expect(try Message(decoding: message.encode()).rcode == .NOERROR)
    }

    @Test("EDNS fields and unknown options round-trip in order")
    func ednsRoundTrip() throws {
        let edns = EDNS(
            udpPayloadSize: 4096, version: 1, dnssecOK: true,
            options: [
                EDNS.Option(code: 65001, data: [0xDE, 0xAD]), EDNS.Option(code: OPT.Option.padding, data: []),
                EDNS.Option(code: 3, data: Array("ns1".utf8)),
            ])
        let message = Message(id: 3, edns: edns)
        let bytes = message.encode()
        // class = payload size, TTL = 00 01 80 00 (ext rcode 0, version 1, DO).
        #expect(Array(bytes[12..<23]) == [0, 0, 41, 0x10, 0x00, 0, 1, 0x80, 0, 0, 4 + 2 + 4 + 4 + 3])
        let decoded = try Message(decoding: bytes)
        #expect(decoded.edns == edns)
        #expect(decoded.edns?.option(3) == Array("ns1".utf8))
        #expect(decoded.edns?.option(OPT.Option.cookie) == nil)
    }

    @Test("repeated names are compressed to pointers, case-insensitively")
    func compressionShrinksRepeatedNames() throws {
        let answers = [
            ResourceRecord(name: "www.example.com.", ttl: 60, rdata: .a(A(IPv4Address("192.0.2.1")!))),
            ResourceRecord(name: "WWW.Example.COM.", ttl: 60, rdata: .a(A(IPv4Address("192.0.2.2")!))),
            ResourceRecord(name: "www.example.com.", ttl: 60, rdata: .a(A(IPv4Address("192.0.2.3")!))),
            ResourceRecord(name: "www.example.com.", ttl: 60, rdata: .mx(MX(preference: 10, exchange: "mail.example.com."))),
        ]
        let message = Message(
            id: 4, flags: .init(qr: true), questions: [Question(name: "www.example.com.", type: .A)], answers: answers)
        let bytes = message.encode()
        // Uncompressed: 12 + (17+4) + 3·(17+10+4) + (17+10+2+18) = 173.
        // Compressed: each owner is a 2-byte pointer and MX's exchange is "mail" + pointer to example.com.
        #expect(bytes.count == 12 + 21 + 3 * 16 + (2 + 10 + 2 + 5 + 2))
        #expect(Array(bytes[33..<35]) == [0xC0, 12])
        #expect(Array(bytes[49..<51]) == [0xC0, 12])
        #expect(Array(bytes.suffix(7)) == [4, 0x6D, 0x61, 0x69, 0x6C, 0xC0, 16])
        let decoded = try Message(decoding: bytes)
        #expect(decoded == message)
    }

    @Test("a response too big for maxSize drops whole answers, sets TC and keeps OPT")
    func truncationKeepsOPT() throws {
        var message = Message(id: 5, flags: .init(qr: true, aa: true), questions: [Question(name: "www.example.com.", type: .TXT)])
        message.answers = MessageFixtures.bigTXT(40)
        message.authority = try MessageFixtures.records("@ NS ns1")
        message.additional = try MessageFixtures.records("ns1 A 192.0.2.53")
        message.edns = EDNS(udpPayloadSize: 1232, dnssecOK: true)

        let bytes = message.encode(maxSize: 512)
        // 12 header + 21 question + 4 × 112 TXT + 11 OPT: a fifth TXT would pass 512.
        #expect(bytes.count == 12 + 21 + 4 * 112 + 11)
        let decoded = try Message(decoding: bytes)
        #expect(decoded.flags.tc)
        #expect(decoded.answers == Array(message.answers.prefix(4)))
        #expect(decoded.authority.isEmpty && decoded.additional.isEmpty)
        #expect(decoded.edns == message.edns)

        // Below 512 means 512 (RFC 1035 §4.2.1 guarantees every client that much).
        #expect(message.encode(maxSize: 100) == bytes)
        #expect(message.encode(maxSize: 0) == bytes)

        let full = try Message(decoding: message.encode())
        #expect(!full.flags.tc)
        #expect(full == message)
    }

    @Test("TSIG stays last and whole when the records before it are truncated")
    func truncationKeepsTSIG() throws {
        var message = Message(id: 6, flags: .init(qr: true), questions: [Question(name: "www.example.com.", type: .TXT)])
        message.answers = MessageFixtures.bigTXT(10)
        message.edns = EDNS()
        message.tsig = MessageFixtures.tsigRecord(originalID: 6)
        let bytes = message.encode(maxSize: 512)
        #expect(bytes.count <= 512)
        let decoded = try Message(decoding: bytes)
        #expect(decoded.flags.tc)
        #expect(decoded.tsig == message.tsig)
        #expect(decoded.edns == message.edns)
        #expect(decoded.answers.count == 3)
        var tsigWire = WireWriter(compress: false)
        message.tsig!.encode(to: &tsigWire)
        #expect(decoded.tsigOffset == bytes.count - tsigWire.count)
    }

    @Test("dropping additional records alone is not truncation: TC stays clear")
    func additionalOverflowIsNotTruncation() throws {
        var message = Message(id: 7, flags: .init(qr: true), questions: [Question(name: "www.example.com.", type: .A)])
        message.answers = try MessageFixtures.records("www A 192.0.2.1")
        message.additional = MessageFixtures.bigTXT(10)
        let decoded = try Message(decoding: message.encode(maxSize: 512))
        #expect(!decoded.flags.tc)
        #expect(decoded.answers == message.answers)
        #expect(decoded.additional == Array(message.additional.prefix(4)))

        message.flags.tc = true
        #expect(try Message(decoding: message.encode()).flags.tc, "a TC bit the caller set is kept")
    }

    @Test("makeResponse copies ID, opcode, RD, CD and the question, and echoes EDNS's DO bit")
    func makeResponse() throws {
        var query = Message.query(name: "www.example.com.", type: .AAAA, id: 0x4242, recursionDesired: true, do: true)
        query.flags.cd = true
        query.flags.ad = true
        query.flags.opcode = .QUERY
        let response = query.makeResponse(rcode: .NXDOMAIN)
        #expect(response.id == 0x4242)
        #expect(response.flags == Message.Flags(qr: true, opcode: .QUERY, rd: true, cd: true))
        #expect(response.questions == query.questions)
        #expect(response.rcode == .NXDOMAIN)
        #expect(response.edns == EDNS(udpPayloadSize: EDNS.defaultPayloadSize, dnssecOK: true))
        #expect(response.answers.isEmpty && response.tsig == nil)

        let noEDNS = Message.query(name: "www.example.com.", type: .A, id: 1, udpPayloadSize: nil).makeResponse()
        #expect(noEDNS.edns == nil, "RFC 6891 §7: no OPT in a response to a query without one")
        #expect(!noEDNS.flags.rd)
    }

    @Test("opcodes and RCODEs print their mnemonics, unknown ones their number")
    func mnemonics() {
        #expect(RCode.NOERROR.description == "NOERROR")
        #expect(RCode.NXDOMAIN.description == "NXDOMAIN")
        #expect(RCode.NOTAUTH.description == "NOTAUTH")
        #expect(RCode.BADVERS.description == "BADVERS")
        #expect(RCode.BADSIG.tsigDescription == "BADSIG")
        #expect(RCode.BADTIME.description == "BADTIME")
        #expect(RCode(4000).description == "RCODE4000")
        #expect(Opcode.UPDATE.description == "UPDATE")
        #expect(Opcode(9).description == "OPCODE9")
        #expect(RCode(headerBits: 0x0F, extendedBits: 0xFF).rawValue == 0xFFF)
        #expect(RCode.BADKEY.headerBits == 1 && RCode.BADKEY.extendedBits == 1)
    }
}
