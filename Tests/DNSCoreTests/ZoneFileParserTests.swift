import Testing
@testable import DNSCore

/// Parses `text`; fails the test on error.
private func records(
    _ text: String, origin: DomainName? = "example.com.", defaultTTL: UInt32? = nil,
    include: ((String) throws -> String)? = nil
) throws -> [ResourceRecord] {
    var parser = ZoneFileParser(origin: origin, file: "zone.db", defaultTTL: defaultTTL, include: include)
    return try parser.parse(text)
}

/// The error `text` produces, as printed (`file:line:column: message`), or nil when it parses.
private func parseError(
    _ text: String, origin: DomainName? = "example.com.", include: ((String) throws -> String)? = nil
) -> String? {
    var parser = ZoneFileParser(origin: origin, file: "zone.db", include: include)
    do {
        _ = try parser.parse(text)
        return nil
    } catch {
        return error.description
    }
}

private func a(_ text: String) -> RData { .a(A(IPv4Address(text)!)) }

private let soaLine = "@ 3600 IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300"

@Suite struct ZoneFileLexerTests {
    @Test func entriesJoinParenthesesAndDropComments() throws {
        var lexer = ZoneFileLexer("""
            ; only a comment

            www  IN A 192.0.2.1 ; trailing
            @ SOA ns1 host ( 1 ; serial
               2 3
               4 5 )
              TXT "a b"
            """, file: "f")
        let entries = try lexer.allEntries()
        #expect(entries.count == 3)
        #expect(entries[0].tokens.map(\.string) == ["www", "IN", "A", "192.0.2.1"])
        #expect(entries[0].line == 3 && !entries[0].ownerBlank)
        #expect(entries[1].tokens.map(\.string) == ["@", "SOA", "ns1", "host", "1", "2", "3", "4", "5"])
        #expect(entries[1].tokens[6].line == 5 && entries[1].tokens[6].column == 6)
        #expect(entries[2].ownerBlank)
        #expect(entries[2].tokens[1].quoted && entries[2].tokens[1].string == "a b")
        #expect(entries[2].tokens[1].column == 7)
    }

    @Test func escapesDoNotEndTokensAndStayRaw() throws {
        var lexer = ZoneFileLexer(#"a\ b\;c\(d\)e "q\"uo;te(" \065x"#)
        let tokens = try #require(try lexer.next()).tokens
        #expect(tokens.map(\.string) == [#"a\ b\;c\(d\)e"#, #"q\"uo;te("#, #"\065x"#])
        #expect(tokens.map(\.quoted) == [false, true, false])
    }

    @Test func crlfLinesAreOrdinaryLines() throws {
        var lexer = ZoneFileLexer("a A 1.2.3.4\r\n b A 1.2.3.5\r\n")
        let entries = try lexer.allEntries()
        #expect(entries.map { $0.tokens.map(\.string) } == [["a", "A", "1.2.3.4"], ["b", "A", "1.2.3.5"]])
        #expect(entries[1].ownerBlank)
    }

    @Test func unbalancedParenthesesPointAtTheParenthesis() {
        var open = ZoneFileLexer("x\n@ SOA ( 1 2\n 3\n", file: "z")
        #expect(throws: ZoneFileError(file: "z", line: 2, column: 7, message: "unbalanced '(': it is never closed with ')'")) {
            _ = try open.allEntries()
        }
        var close = ZoneFileLexer("@ A 1.2.3.4 )", file: "z")
        #expect(throws: ZoneFileError(file: "z", line: 1, column: 13, message: "unbalanced ')': no '(' is open")) {
            _ = try close.allEntries()
        }
    }
}

@Suite struct ZoneFileParserTests {
    @Test func originRelativeNamesAndAt() throws {
        let result = try records("""
            $TTL 300
            @ A 192.0.2.1
            www A 192.0.2.2
            abs.example.net. A 192.0.2.3
            $ORIGIN sub
            host A 192.0.2.4
            $ORIGIN other.example.
            @ A 192.0.2.5
            """)
        #expect(result.map(\.name) == [
            "example.com.", "www.example.com.", "abs.example.net.", "host.sub.example.com.", "other.example.",
        ])
        #expect(result.allSatisfy { $0.ttl == 300 && $0.dnsClass == .IN })
    }

    @Test func blankOwnerRepeatsThePreviousOwner() throws {
        let result = try records("""
            $TTL 60
            www A 192.0.2.1
                A 192.0.2.2
            \tAAAA 2001:db8::1
            """)
        #expect(result.map(\.name) == ["www.example.com.", "www.example.com.", "www.example.com."])
        #expect(result.map(\.type) == [.A, .A, .AAAA])
    }

    @Test func ttlAndClassInEitherOrderAndOptional() throws {
        let result = try records("""
            $TTL 1h
            a 300 IN A 192.0.2.1
            b IN 300 A 192.0.2.2
            c IN A 192.0.2.3
            d 1h30m A 192.0.2.4
            e 1W2d A 192.0.2.5
            f A 192.0.2.6
            g CLASS1 A 192.0.2.7
            """)
        #expect(result.map(\.ttl) == [300, 300, 3600, 5400, 777_600, 3600, 3600])
        #expect(result.allSatisfy { $0.dnsClass == .IN })
    }

    @Test func defaultTTLParameterActsAsTTLDirective() throws {
        let result = try records("www A 192.0.2.1", defaultTTL: 42)
        #expect(result.first?.ttl == 42)
    }

    @Test func soaOverParenthesesWithComments() throws {
        let result = try records("""
            $TTL 1d
            @ IN SOA ns1.example.com. hostmaster ( ; the SOA
                    2024010101 ; serial
                    2h         ; refresh
                    1h 2w
                    5m )
            """)
        let soa = try #require(result.first)
        guard case .soa(let value) = soa.rdata else { Issue.record("not an SOA"); return }
        #expect(value.mname == "ns1.example.com.")
        #expect(value.rname == "hostmaster.example.com.")
        #expect(value.serial == SerialNumber(2_024_010_101))
        #expect([value.refresh, value.retry, value.expire, value.minimum] == [7200, 3600, 1_209_600, 300])
    }

    @Test func quotedStringsWithEscapes() throws {
        let result = try records(#"""
            $TTL 60
            t TXT "say \"hi\"; (not a comment)" plain "" "\\back" "\065\255"
            """#)
        guard case .txt(let txt) = try #require(result.first).rdata else { Issue.record("not TXT"); return }
        #expect(txt.strings == [
            Array(#"say "hi"; (not a comment)"#.utf8), Array("plain".utf8), [], Array(#"\back"#.utf8), [65, 255],
        ])
    }

    @Test func escapedCharactersInNames() throws {
        let result = try records(#"""
            $TTL 60
            a\.b A 192.0.2.1
            c\ d TXT x
            e\(f\) TXT y
            \042 TXT z
            """#)
        #expect(result[0].name.labels.first.map(Array.init) == Array("a.b".utf8))
        #expect(result[0].name.labelCount == 3)
        #expect(result[1].name.labels.first.map(Array.init) == Array("c d".utf8))
        #expect(result[2].name.labels.first.map(Array.init) == Array("e(f)".utf8))
        #expect(result[3].name.isWildcard)
    }

    @Test func genericTypesAndGenericRDATA() throws {
        let result = try records(##"""
            $TTL 60
            x TYPE65280 \# 4 0A000001
            y TYPE1 \# 4 C0000201
            z A 192.0.2.1
            w TYPE65280 \# 0
            v type65280 \# 3 ( 01
                02 03 )
            """##)
        #expect(result[0].rdata == .unknown(UnknownRData(type: RecordType(65280), bytes: [10, 0, 0, 1])))
        #expect(result[1].rdata == a("192.0.2.1"))
        #expect(result[1].rdata == result[2].rdata)
        #expect(result[3].rdata == .unknown(UnknownRData(type: RecordType(65280), bytes: [])))
        #expect(result[4].rdata == .unknown(UnknownRData(type: RecordType(65280), bytes: [1, 2, 3])))
    }

    @Test func typeMnemonicsAreCaseInsensitive() throws {
        let result = try records("$ttl 60\nwww in a 192.0.2.1\nm mx 10 mail\n")
        #expect(result.map(\.type) == [.A, .MX])
        #expect(result[1].rdata == .mx(MX(preference: 10, exchange: "mail.example.com.")))
    }

    @Test func soaMinimumIsTheDefaultTTLWithAWarning() throws {
        var parser = ZoneFileParser(origin: "example.com.", file: "zone.db")
        let result = try parser.parse("""
            @ SOA ns1 hostmaster 1 2 3 4 900
            www A 192.0.2.1
            """)
        #expect(result.map(\.ttl) == [900, 900])
        #expect(parser.warnings.map(\.description) == [
            "zone.db:1:3: no TTL and no $TTL: using the SOA minimum 900 (RFC 2308); add $TTL",
            "zone.db:2:5: no TTL and no $TTL: using 900 from an earlier record (RFC 1035); add $TTL",
        ])
    }

    @Test func withoutTTLDirectiveTheLastTTLCarriesOver() throws {
        var parser = ZoneFileParser(origin: "example.com.", file: "zone.db")
        let result = try parser.parse("""
            @ 3600 SOA ns1 hostmaster 1 2 3 4 900
            www A 192.0.2.1
            ftp 60 A 192.0.2.2
            mail A 192.0.2.3
            """)
        #expect(result.map(\.ttl) == [3600, 3600, 60, 60])
        #expect(parser.warnings.count == 1)
    }

    @Test func ttlDirectiveNeedsNoWarning() throws {
        var parser = ZoneFileParser(origin: "example.com.", file: "zone.db")
        _ = try parser.parse("$TTL 300\n\(soaLine)\nwww A 192.0.2.1\n")
        #expect(parser.warnings.isEmpty)
    }

    @Test func includeGoesThroughTheClosure() throws {
        var asked: [String] = []
        let files = [
            "hosts.db": "www A 192.0.2.1\n$ORIGIN deep\nx A 192.0.2.9\n",
            "sub.db": "@ A 192.0.2.2\nmail A 192.0.2.3\n",
        ]
        let result = try records("""
            $TTL 60
            $INCLUDE hosts.db
            after A 192.0.2.4
            $INCLUDE "sub.db" sub.example.com.
                  A 192.0.2.5
            """, include: { path in
                asked.append(path)
                return files[path]!
            })
        #expect(asked == ["hosts.db", "sub.db"])
        #expect(result.map(\.name) == [
            "www.example.com.", "x.deep.example.com.", "after.example.com.", "sub.example.com.",
            "mail.sub.example.com.", "after.example.com.",
        ])
    }

    @Test func includeErrorsNameTheIncludedFile() {
        #expect(parseError("$TTL 60\n$INCLUDE inner.db\n", include: { _ in "ok A 192.0.2.1\nbad XYZ 1\n" })
            == #"inner.db:2:5: expected a record type, found "XYZ""#)
        struct Missing: Error, CustomStringConvertible { var description: String { "no such file" } }
        #expect(parseError("$INCLUDE nope.db\n", include: { _ in throw Missing() })
            == #"zone.db:1:10: $INCLUDE "nope.db": no such file"#)
    }

    @Test func includeDepthIsCapped() {
        let message = parseError("$INCLUDE self.db\n", include: { _ in "$INCLUDE self.db\n" })
        #expect(message == "self.db:1:1: $INCLUDE nested more than 8 deep (does a file include itself?)")
    }

    @Test func includeIsOffByDefault() {
        #expect(parseError("$TTL 60\n$INCLUDE other.db\n") == "zone.db:2:1: $INCLUDE is disabled")
    }

    // MARK: Errors: the exact location and wording an operator sees.

    @Test func unknownType() {
        #expect(parseError("$TTL 60\nwww IN XYZ 192.0.2.1\n") == #"zone.db:2:8: expected a record type, found "XYZ""#)
    }

    @Test func missingType() {
        #expect(parseError("$TTL 60\nwww IN\n") == "zone.db:2:7: expected a record type, found the end of the record")
    }

    @Test func badTTL() {
        #expect(parseError("www 1x A 192.0.2.1\n")
            == #"zone.db:1:5: bad TTL "1x": expected seconds up to 2147483647 or units like 1h30m"#)
        #expect(parseError("www 4294967296 A 192.0.2.1\n")
            == #"zone.db:1:5: bad TTL "4294967296": expected seconds up to 2147483647 or units like 1h30m"#)
        #expect(parseError("$TTL forever\n")
            == #"zone.db:1:6: bad TTL "forever": expected seconds up to 2147483647 or units like 1h30m"#)
    }

    @Test func noTTLAtAll() {
        #expect(parseError("www A 192.0.2.1\n") == "zone.db:1:5: no TTL for this record: give one, or set $TTL before it")
    }

    @Test func unbalancedParentheses() {
        #expect(parseError("$TTL 60\n@ SOA ns1 host (1 2 3\n4 5\n") == "zone.db:2:16: unbalanced '(': it is never closed with ')'")
        #expect(parseError("$TTL 60\nwww A 192.0.2.1 )\n") == "zone.db:2:17: unbalanced ')': no '(' is open")
    }

    @Test func missingRDATAFields() {
        #expect(parseError("$TTL 60\nwww A\n") == "zone.db:2:6: A address: missing")
        #expect(parseError("$TTL 60\nwww MX 10\n") == "zone.db:2:10: MX exchange: missing")
        #expect(parseError("$TTL 60\n@ SOA ns1 host ( 1 2\n 3 4 )\n") == "zone.db:3:5: SOA minimum: missing")
    }

    @Test func extraRDATAFields() {
        #expect(parseError("$TTL 60\nwww A 192.0.2.1 192.0.2.2\n")
            == #"zone.db:2:17: A unexpected extra field "192.0.2.2""#)
    }

    @Test func badEscape() {
        #expect(parseError("$TTL 60\nw\\25x A 192.0.2.1\n")
            == #"zone.db:2:2: bad escape: '\' followed by a digit needs three digits (\DDD)"#)
        #expect(parseError("$TTL 60\nt TXT \"\\300\"\n") == #"zone.db:2:8: bad escape: \300 is above 255"#)
        #expect(parseError("$TTL 60\nt TXT abc\\") == #"zone.db:2:10: bad escape: '\' at the end of a line"#)
    }

    @Test func unterminatedQuote() {
        #expect(parseError("$TTL 60\nt TXT \"abc\nu TXT x\n")
            == #"zone.db:2:7: unterminated quoted string: missing '"' before the end of the line"#)
    }

    @Test func relativeNameWithoutOrigin() {
        #expect(parseError("www 60 A 192.0.2.1\n", origin: nil)
            == #"zone.db:1:1: owner name "www": relative name www with no origin to complete it (set $ORIGIN or give the zone's origin)"#)
        #expect(parseError("@ 60 A 192.0.2.1\n", origin: nil)
            == #"zone.db:1:1: owner name "@": relative name @ with no origin to complete it (set $ORIGIN or give the zone's origin)"#)
        #expect(parseError("www.example. 60 NS ns1\n", origin: nil)
            == "zone.db:1:20: NS target: relative name ns1 with no origin to complete it")
    }

    @Test func labelLongerThan63() {
        let label = String(repeating: "a", count: 64)
        #expect(parseError("$TTL 60\n\(label) A 192.0.2.1\n")
            == "zone.db:2:1: owner name \"\(label)\": label of 64 bytes is longer than 63")
        #expect(parseError("$TTL 60\nx CNAME \(label).net.\n")
            == "zone.db:2:9: CNAME target: label of 64 bytes is longer than 63")
    }

    @Test func nameLongerThan255() {
        let label = String(repeating: "a", count: 63)
        let name = "\(label).\(label).\(label).\(label)."
        #expect(parseError("$TTL 60\n\(name) A 192.0.2.1\n")
            == "zone.db:2:1: owner name \"\(name)\": name of 257 bytes is longer than 255")
        // Relative names become too long once the origin is appended.
        let relative = "\(label).\(label).\(label).\(String(repeating: "b", count: 60))"
        #expect(parseError("$TTL 60\n\(relative) A 192.0.2.1\n")
            == "zone.db:2:1: owner name \"\(relative)\": name of 266 bytes is longer than 255")
    }

    @Test func blankOwnerWithoutPreviousRecord() {
        #expect(parseError("$TTL 60\n  A 192.0.2.1\n")
            == "zone.db:2:3: no owner name: the line starts with a blank but no record precedes it")
    }

    @Test func unknownDirective() {
        #expect(parseError("$FOO bar\n") == #"zone.db:1:1: unknown directive "$FOO": expected $ORIGIN, $TTL or $INCLUDE"#)
        #expect(parseError("$GENERATE 1-10 h$ A 192.0.2.$\n") == "zone.db:1:1: $GENERATE is not supported")
        #expect(parseError("$ORIGIN\n") == "zone.db:1:8: $ORIGIN: expected a domain name")
    }

    @Test func metaTypesAreRejected() {
        #expect(parseError("$TTL 60\nx AXFR \\# 0\n")
            == "zone.db:2:3: AXFR is a meta type (RFC 6895); it cannot appear in a zone file")
        #expect(parseError("$TTL 60\nx TYPE41 \\# 0\n")
            == "zone.db:2:3: OPT is a meta type (RFC 6895); it cannot appear in a zone file")
    }

    @Test func classMustNotChange() {
        #expect(parseError("$TTL 60\na IN A 192.0.2.1\nb CH A 192.0.2.2\n")
            == "zone.db:3:3: class CH differs from the class IN of earlier records")
    }

    @Test func unknownTypeNeedsGenericForm() {
        let message = parseError("$TTL 60\nx TYPE65280 0A000001\n")
        #expect(message?.hasPrefix("zone.db:2:13: TYPE65280 ") == true)
    }

    @Test func zoneParsingConvenienceKeepsWarnings() throws {
        let zone = try Zone(parsing: """
            @ SOA ns1 hostmaster 1 2 3 4 900
            @ NS ns1
            ns1 A 192.0.2.1
            """, origin: "example.com.", file: "zone.db")
        #expect(zone.recordCount == 3)
        #expect(zone.serial == SerialNumber(1))
        #expect(zone.warnings.first?.reason.hasPrefix("zone.db:1:3: no TTL and no $TTL") == true)
    }

    @Test func largeGeneratedZoneParses() throws {
        var text = "$TTL 300\n\(soaLine)\n@ NS ns1\nns1 A 192.0.2.1\n"
        for i in 0..<5000 {
            text += "host\(i) IN A 10.\(i / 65536).\((i / 256) % 256).\(i % 256)\n"
            text += "        TXT \"record \(i)\"\n"
        }
        let zone = try Zone(parsing: text, origin: "example.com.")
        #expect(zone.nameCount == 5002)
        #expect(zone.recordCount == 10_003)
        #expect(zone.check().isEmpty)
    }
}
