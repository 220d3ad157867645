import Foundation
import Testing
@testable import DNSCore

/// One sample per record type: the text we parse, and the text we must print back (canonical form).
struct RecordSample: CustomStringConvertible, Sendable {
    var type: String
    var text: String
    var printed: String
    init(_ type: String, _ text: String, printed: String? = nil) {
        self.type = type
        self.text = text
        self.printed = printed ?? text
    }
    var description: String { "\(type) \(text)" }
}

let origin: DomainName = "example.com."

let recordSamples: [RecordSample] = [
    RecordSample("A", "192.0.2.1"),
    RecordSample("AAAA", "2001:db8:0:0:0:0:0:1", printed: "2001:db8::1"),
    RecordSample("AAAA", "::ffff:192.0.2.1", printed: "::ffff:c000:201"),
    RecordSample("NS", "ns1", printed: "ns1.example.com."),
    RecordSample("CNAME", "www.example.net."),
    RecordSample("DNAME", "example.net."),
    RecordSample("SOA", "ns1 hostmaster 2024010101 1h 15m 2w 300",
                 printed: "ns1.example.com. hostmaster.example.com. 2024010101 3600 900 1209600 300"),
    RecordSample("MX", "10 mail", printed: "10 mail.example.com."),
    RecordSample("TXT", "\"v=spf1 -all\" \"second \\\"quoted\\\" part\" \"\\255\\010\"",
                 printed: "\"v=spf1 -all\" \"second \\\"quoted\\\" part\" \"\\255\\010\""),
    RecordSample("TXT", "unquoted", printed: "\"unquoted\""),
    RecordSample("SPF", "\"v=spf1 mx -all\""),
    RecordSample("SRV", "0 5 5060 sip.example.com."),
    RecordSample("CAA", "0 issue \"letsencrypt.org\""),
    RecordSample("CAA", "128 iodef \"mailto:security@example.com\""),
    RecordSample("PTR", "host.example.com."),
    RecordSample("NAPTR", "100 10 \"S\" \"SIP+D2U\" \"!^.*$!sip:info@example.com!\" _sip._udp.example.com."),
    RecordSample("SSHFP", "1 1 DC1E7B1D4D5C5E1A2F3B4C5D6E7F8091A2B3C4D5"),
    RecordSample("TLSA", "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6"),
    RecordSample("SVCB", "1 svc.example.net. alpn=\"h2,h3\" port=8443 ipv4hint=192.0.2.1,192.0.2.2"),
    RecordSample("HTTPS", "1 . alpn=\"h3\" no-default-alpn ipv6hint=2001:db8::1 mandatory=alpn",
                 printed: "1 . mandatory=alpn alpn=\"h3\" no-default-alpn ipv6hint=2001:db8::1"),
    RecordSample("HTTPS", "0 svc.example.net."),
    RecordSample("DS", "60485 13 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"),
    RecordSample("CDS", "0 0 0 00"),
    RecordSample("DNSKEY", "257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
    RecordSample("CDNSKEY", "0 3 0 AA=="),
    RecordSample("RRSIG", "A 13 3 3600 20240201000000 20240101000000 60485 example.com. "
                 + "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=="),
    RecordSample("NSEC", "host.example.com. A MX RRSIG NSEC TYPE1234"),
    RecordSample("NSEC3", "1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG",
                 printed: "1 1 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG"),
    RecordSample("NSEC3", "1 0 10 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR"),
    RecordSample("NSEC3PARAM", "1 0 0 -"),
    RecordSample("NSEC3PARAM", "1 0 5 CAFE"),
    RecordSample("TSIG", "hmac-sha256. 1700000000 300 32 "
                 + "ZGF0YWRhdGFkYXRhZGF0YWRhdGFkYXRhZGF0YWRhdGE= 4711 0 0"),
    RecordSample("ALIAS", "lb.example.net."),
    RecordSample("TYPE12345", "\\# 4 0A000001"),
    RecordSample("TYPE65280", "\\# 0"),
]

@Suite("Record types: text → wire → text")
struct RecordRoundTripTests {
    @Test(arguments: recordSamples)
    func roundTrip(sample: RecordSample) throws {
        let type = try #require(RecordType(mnemonic: sample.type))
        let rdata = try RData(type: type, presentation: sample.text, origin: origin)
        #expect(rdata.type == type)
        #expect(rdata.presentation == sample.printed)

        // Wire round trip, inside a full RR so RDLENGTH handling is exercised too.
        let record = ResourceRecord(name: "Host.Example.COM.", ttl: 300, rdata: rdata)
        var writer = WireWriter(compress: false)
        record.encode(to: &writer)
        var reader = WireReader(writer.bytes)
        let decoded = try ResourceRecord(wire: &reader)
        #expect(reader.isAtEnd)
        #expect(decoded == record)
        #expect(decoded.name.text == "Host.Example.COM.", "owner case is preserved")

        // Printing and re-parsing gives the same value.
        let reparsed = try RData(type: type, presentation: rdata.presentation, origin: nil)
        #expect(reparsed == rdata)

        // The generic RFC 3597 form of the same bytes means the same record.
        let wire = rdata.wireBytes()
        let generic = try RData(
            type: type, presentation: "\\# \(wire.count) \(Base16.encode(wire))", origin: nil)
        #expect(generic == rdata)
    }

    @Test func unknownTypeSurvivesByteForByte() throws {
        let bytes: [UInt8] = [0x00, 0xFF, 0x10, 0x80, 0x7F]
        let rdata = try RData(type: RecordType(40000), presentation: "\\# 5 00FF10807F", origin: nil)
        #expect(rdata.wireBytes() == bytes)
        #expect(rdata.presentation == "\\# 5 00FF10807F")
        #expect(RecordType(40000).description == "TYPE40000")
        #expect(RecordType(mnemonic: "type40000") == RecordType(40000))
    }

    @Test func canonicalFormLowercasesOnlyWhereTheRFCSays() throws {
        let mx = try RData(type: .MX, presentation: "10 MAIL.Example.COM.", origin: nil)
        #expect(mx.wireBytes(canonical: true) == [0, 10] + DomainName("mail.example.com.").wire)
        #expect(mx.wireBytes(canonical: false) == [0, 10] + DomainName("MAIL.Example.COM.").wire)
        // NSEC's next name is not lowercased (RFC 6840 §5.1).
        let nsec = try RData(type: .NSEC, presentation: "B.example. A", origin: nil)
        #expect(Array(nsec.wireBytes(canonical: true).prefix(3)) == [1, UInt8(ascii: "B"), 7])
    }

    @Test(arguments: [
        ("A", "192.0.2", "A address: expected a dotted-quad IPv4 address, found \"192.0.2\""),
        ("A", "192.0.2.1 extra", "A unexpected extra field \"extra\""),
        ("MX", "mail.example.", "MX preference: expected a number from 0 to 65535, found \"mail.example.\""),
        ("MX", "10", "MX exchange: missing"),
        ("SOA", "ns hostmaster 1 2 3 4", "SOA minimum: missing"),
        ("CAA", "0 is-sue \"x\"", "CAA tag: must be 1 to 15 letters or digits"),
        ("DS", "1 13 2 XYZ", "DS digest: not hexadecimal"),
        ("DNSKEY", "257 3 13 !!!", "DNSKEY public key: not base64"),
        ("TYPE999", "\\# 3 0102", "TYPE999 generic RDATA: \\# declares 3 bytes but 2 follow"),
        ("TYPE999", "0102", "TYPE999 has no presentation format here; write it as \\# <length> <hex> (RFC 3597)"),
        ("A", "\\# 3 010203", "A generic RDATA: not valid A data: truncated A address at byte 0: needs 4 bytes, 3 left"),
        ("HTTPS", "1 . port=99999", "HTTPS port: bad value \"99999\""),
        ("HTTPS", "1 . foo=bar", "HTTPS SvcParam: unknown key \"foo\""),
        ("NSEC", "next.example. A BOGUS", "NSEC type list: unknown type \"BOGUS\""),
    ])
    func badPresentationSaysWhatIsWrong(type: String, text: String, message: String) throws {
        let recordType = try #require(RecordType(mnemonic: type))
        #expect {
            _ = try RData(type: recordType, presentation: text, origin: origin)
        } throws: { error in
            (error as? ZoneFileError)?.message == message
        }
    }

    @Test func hostileRDataIsRejectedWithATypedError() throws {
        // A record whose RDLENGTH claims 4 bytes but the type needs 16.
        var bytes: [UInt8] = [0, 0, 28, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4]
        var reader = WireReader(bytes)
        #expect(throws: WireError.truncated(field: "AAAA address", offset: 11, needed: 16, available: 4)) {
            _ = try ResourceRecord(wire: &reader)
        }
        // An MX whose RDLENGTH is longer than its fields: leftover bytes are an error, not ignored.
        bytes = [0, 0, 15, 0, 1, 0, 0, 0, 60, 0, 5, 0, 10, 0, 0xAA, 0xBB]
        reader = WireReader(bytes)
        #expect(throws: WireError.rdataLength(type: .MX, offset: 11, declared: 5, consumed: 3)) {
            _ = try ResourceRecord(wire: &reader)
        }
        // RDLENGTH beyond the end of the data.
        bytes = [0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 1, 2, 3, 4]
        reader = WireReader(bytes)
        #expect(throws: WireError.truncated(field: "A RDATA", offset: 11, needed: 200, available: 4)) {
            _ = try ResourceRecord(wire: &reader)
        }
    }

    /// dnspython (written elsewhere) must produce exactly our wire bytes for every sample.
    @Test func wireFormatMatchesDnspython() throws {
        let samples = recordSamples.filter { !["TSIG", "ALIAS"].contains($0.type) && !$0.type.hasPrefix("TYPE") }
        var script = "import dns.rdata, dns.rdataclass, dns.rdatatype, dns.name, sys\n"
        script += "o = dns.name.from_text('example.com.')\n"
        for sample in samples {
            let escaped = sample.text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            script += "r = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text('\(sample.type)'), '\(escaped)', origin=o, relativize=False)\n"
            script += "print(r.to_wire().hex())\n"
        }
        let output = try ExternalTool.run("python3", ["-c", script])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == samples.count)
        for (sample, line) in zip(samples, lines) {
            let type = try #require(RecordType(mnemonic: sample.type))
            let ours = try RData(type: type, presentation: sample.text, origin: origin).wireBytes()
            #expect(Base16.encode(ours).lowercased() == line, "\(sample)")
        }
    }
}

/// Inputs `make fuzz` found that did not survive print → parse (their files are in Fuzz/corpus/zonefile).
@Suite("Fuzzing regressions")
struct FuzzingRegressionTests {
    @Test func alpnIdsWithCommasAndBackslashesRoundTrip() throws {
        // ids: `a\b` and `c,d` (RFC 9460 Appendix A.1 double escaping).
        let rdata = try RData(type: .SVCB, presentation: #"1 t. alpn="a\\\\b,c\\,d""#, origin: nil)
        guard case .svcb(let svcb) = rdata else { Issue.record("not SVCB"); return }
        #expect(svcb.params.first?.value == [3] + Array("a\\b".utf8) + [3] + Array("c,d".utf8))
        #expect(try RData(type: .SVCB, presentation: rdata.presentation, origin: nil) == rdata)
    }

    @Test func emptyKeyAndDataFieldsAreRefused() {
        let cases: [(RecordType, String)] = [
            (.DNSKEY, ##"\# 4 01000301"##), (.CDNSKEY, ##"\# 4 01000301"##), (.TLSA, ##"\# 3 030101"##), (.SSHFP, ##"\# 2 0402"##),
        ]
        for (type, generic) in cases {
            #expect(throws: ZoneFileError.self, "\(type)") {
                try RData(type: type, presentation: generic, origin: nil)
            }
        }
    }

    @Test func metaClassesAndMixedClassesAreRefused() throws {
        var parser = ZoneFileParser(origin: "example.")
        #expect(throws: ZoneFileError(file: "<input>", line: 1, column: 6, message: "ANY is a meta class (RFC 6895); zone data needs a real class such as IN")) {
            _ = try parser.parse("x 60 CLASS255 TXT \"a\"\n")
        }
        var mixed = ZoneFileParser(origin: "example.")
        // The first record has no class, so it is IN; a later CH record may not join it.
        #expect(throws: ZoneFileError(file: "<input>", line: 3, column: 3, message: "class CH differs from the class IN of earlier records")) {
            _ = try mixed.parse("$TTL 60\ny TXT \"b\"\nx CH TXT \"a\"\n")
        }
    }
}
