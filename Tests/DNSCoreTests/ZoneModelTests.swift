import Testing
@testable import DNSCore

private let apex = """
    $TTL 3600
    @ SOA ns1 hostmaster 1 7200 3600 1209600 300
    @ NS ns1
    @ NS ns2.example.net.
    ns1 A 192.0.2.53

    """

/// A zone from the standard apex plus `body`.
private func zone(_ body: String, origin: DomainName = "example.com.") throws -> Zone {
    try Zone(parsing: apex + body, origin: origin)
}

private func problems(_ body: String) throws -> [String] {
    try zone(body).check().map(\.description)
}

private func a(_ text: String) -> RData { .a(A(IPv4Address(text)!)) }

@Suite struct RRsetTests {
    @Test func rdataIsDeduplicatedAndCanonicallyOrdered() {
        var set = RRset(name: "www.example.", type: .A, ttl: 60, rdatas: [a("192.0.2.9"), a("10.0.0.1"), a("192.0.2.9")])
        #expect(set.rdatas == [a("10.0.0.1"), a("192.0.2.9")])
        let inserted = set.insert(a("172.16.0.1"))
        let duplicate = set.insert(a("10.0.0.1"))
        #expect(inserted && !duplicate)
        #expect(set.rdatas == [a("10.0.0.1"), a("172.16.0.1"), a("192.0.2.9")])
        #expect(set.canonicalRData == set.rdatas.map { $0.wireBytes(canonical: true) })
        let removed = set.remove(a("172.16.0.1"))
        let removedAgain = set.remove(a("172.16.0.1"))
        #expect(removed && !removedAgain)
        #expect(set.records.map(\.description) == ["www.example.\t60\tIN\tA\t10.0.0.1", "www.example.\t60\tIN\tA\t192.0.2.9"])
    }

    @Test func canonicalOrderComparesCanonicalWireFormNotText() {
        // "Mail" and "mail" are the same NS target in canonical form (lowercased): one record.
        let ns = RRset(name: "example.", type: .NS, ttl: 60, rdatas: [
            .ns(NS(target: "b.example.")), .ns(NS(target: "Mail.example.")), .ns(NS(target: "mail.example.")),
            .ns(NS(target: "aa.example.")),
        ])
        // Wire form sorts by the first label's length byte first: "b" (1) before "aa" (2) before "mail" (4).
        #expect(ns.rdatas.map { $0.presentation.lowercased() } == ["b.example.", "aa.example.", "mail.example."])
    }

    @Test func equalityIgnoresInsertionOrder() {
        let one = RRset(name: "x.", type: .A, ttl: 5, rdatas: [a("1.1.1.1"), a("2.2.2.2")])
        let two = RRset(name: "X.", type: .A, ttl: 5, rdatas: [a("2.2.2.2"), a("1.1.1.1")])
        #expect(one == two)
        #expect(one.hashValue == two.hashValue)
        var three = two
        three.ttl = 6
        #expect(one != three)
    }
}

@Suite struct ZoneModelTests {
    @Test func canonicalSortAgreesWithRFC4034NameOrder() throws {
        // Awkward bytes on purpose: 0, 1 and 2 (the sort key escapes 0 and 1), both cases, 0xFF, and
        // labels that are prefixes of one another.
        let alphabet: [UInt8] = [0, 1, 2, 0x2D, 0x41, 0x61, 0x62, 0x5A, 0x7A, 0xFF]
        var state: UInt64 = 42
        func random(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var names: [DomainName] = [.root]
        for _ in 0..<3000 {
            let labels = (0..<(1 + random(4))).map { _ in (0..<(1 + random(4))).map { _ in alphabet[random(alphabet.count)] } }
            let name = try DomainName(labels: labels)
            names.append(name)
            if random(3) == 0 { names.append(try name.appending("example.")) }
        }
        let sorted = Zone.canonicallySorted(names)
        let reference = names.sorted()
        #expect(sorted.count == reference.count)
        #expect(zip(sorted, reference).allSatisfy { $0 == $1 })
        // Within one zone the keys share a long prefix; the window after it must still order correctly.
        let inZone = try names.map { try $0.appending("a.long.shared.origin.example.") }
        #expect(zip(Zone.canonicallySorted(inZone), inZone.sorted()).allSatisfy { $0 == $1 })
    }

    @Test func recordsAreGroupedIntoRRsetsInCanonicalOrder() throws {
        let z = try zone("""
            b A 192.0.2.2
            a MX 10 mail
            a A 192.0.2.1
            Z.a A 192.0.2.3
            *.a TXT wild
            a A 192.0.2.0
            """)
        #expect(z.names == [
            "example.com.", "a.example.com.", "*.a.example.com.", "z.a.example.com.", "b.example.com.",
            "ns1.example.com.",
        ])
        #expect(z.rrsets.map { "\($0.name) \($0.type)" } == [
            "example.com. NS", "example.com. SOA", "a.example.com. A", "a.example.com. MX",
            "*.a.example.com. TXT", "Z.a.example.com. A", "b.example.com. A", "ns1.example.com. A",
        ])
        #expect(z.rrset(at: "a.example.com.", type: .A)?.count == 2)
        #expect(z.recordCount == 10)
        #expect(z.rrsetCount == 8)
        #expect(z.nameCount == 6)
        #expect(z.serial == SerialNumber(1))
        #expect(z.soa?.mname == "ns1.example.com.")
    }

    @Test func ttlMismatchIsNormalisedToTheLowestWithAWarning() throws {
        let z = try zone("""
            www 600 A 192.0.2.1
            www 60 A 192.0.2.2
            www 300 A 192.0.2.3
            """)
        #expect(z.rrset(at: "www.example.com.", type: .A)?.ttl == 60)
        let warnings = z.check().filter { $0.type == .A }
        #expect(warnings.map(\.description) == [
            "warning: www.example.com. A: records of one RRset have TTLs 600 and 60; using 60 for all (RFC 2181 §5.2)",
            "warning: www.example.com. A: records of one RRset have TTLs 60 and 300; using 60 for all (RFC 2181 §5.2)",
        ])
    }

    @Test func insertAndRemoveKeepCanonicalNameOrder() throws {
        var z = try zone("m A 192.0.2.1\n")
        z.insert(RRset(name: "c.example.com.", type: .A, ttl: 60, rdatas: [a("192.0.2.7")]))
        z.add(ResourceRecord(name: "z.example.com.", ttl: 60, rdata: a("192.0.2.8")))
        z.add(ResourceRecord(name: "z.example.com.", ttl: 60, rdata: a("192.0.2.9")))
        #expect(z.names == ["example.com.", "c.example.com.", "m.example.com.", "ns1.example.com.", "z.example.com."])
        #expect(z.rrset(at: "z.example.com.", type: .A)?.count == 2)
        let first = z.remove(ResourceRecord(name: "z.example.com.", ttl: 60, rdata: a("192.0.2.8")))
        let again = z.remove(ResourceRecord(name: "z.example.com.", ttl: 60, rdata: a("192.0.2.8")))
        let last = z.remove(ResourceRecord(name: "z.example.com.", ttl: 60, rdata: a("192.0.2.9")))
        #expect(first && !again && last)
        let removedSet = z.removeRRset(at: "m.example.com.", type: .A)
        #expect(removedSet?.count == 1)
        #expect(z.names == ["example.com.", "c.example.com.", "ns1.example.com."])
        // Replacing a set and emptying one.
        z.insert(RRset(name: "c.example.com.", type: .A, ttl: 5, rdatas: [a("192.0.2.1")]))
        #expect(z.rrset(at: "c.example.com.", type: .A)?.ttl == 5)
        z.insert(RRset(name: "c.example.com.", type: .A, ttl: 5))
        #expect(!z.contains("c.example.com."))
    }

    @Test func bulkAndIncrementalBuildsAgree() throws {
        let z = try zone("""
            b A 192.0.2.2
            a.b TXT x
            _sip._tcp SRV 0 0 5060 b
            B.a AAAA 2001:db8::1
            """)
        var incremental = Zone(origin: "example.com.")
        for record in z.records.reversed() { incremental.add(record) }
        #expect(incremental == z)
        #expect(incremental.names == z.names)
        #expect(Zone(rrsets: z.rrsets.shuffled(), origin: "example.com.") == z)
    }

    @Test func signaturesAreKeptPerCoveredType() throws {
        let z = try zone("""
            www 300 A 192.0.2.1
            www 300 RRSIG A 13 3 300 20300101000000 20240101000000 1234 example.com. AAAA
            www 3600 RRSIG NSEC 13 3 3600 20300101000000 20240101000000 1234 example.com. AAAB
            www 3600 NSEC example.com. A RRSIG NSEC
            """)
        let node = z.rrsets(at: "www.example.com.")
        #expect(node.map(\.type) == [.A, .RRSIG, .RRSIG, .NSEC])
        #expect(node.map(\.coveredType) == [nil, .A, .NSEC, nil])
        #expect(z.signatures(at: "www.example.com.", covering: .A)?.ttl == 300)
        #expect(z.signatures(at: "www.example.com.", covering: .NSEC)?.ttl == 3600)
        // Different covered types with different TTLs are not a mismatch.
        #expect(z.check().isEmpty)
    }
}

@Suite struct ZoneCheckTests {
    @Test func aWellFormedZonePasses() throws {
        #expect(try problems("www A 192.0.2.1\nmail MX 10 www\n").isEmpty)
    }

    @Test func soaMustExistAtTheApex() throws {
        let z = try Zone(parsing: "$TTL 60\n@ NS ns1.example.net.\n", origin: "example.com.")
        #expect(z.check().map(\.description) == ["error: example.com. SOA: no SOA record at the apex"])
        #expect(throws: ZoneCheckError.self) { try z.validate() }
    }

    @Test func exactlyOneSOA() throws {
        #expect(try problems("@ SOA ns1 hostmaster 2 7200 3600 1209600 300\n")
            == ["error: example.com. SOA: 2 SOA records at the apex; a zone has exactly one"])
    }

    @Test func soaOnlyAtTheApex() throws {
        #expect(try problems("sub SOA ns1 hostmaster 2 7200 3600 1209600 300\n")
            == ["error: sub.example.com. SOA: SOA below the apex: only example.com. may have one"])
    }

    @Test func nsAtTheApex() throws {
        let z = try Zone(parsing: "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n", origin: "example.com.")
        #expect(z.check().map(\.description) == ["error: example.com. NS: no NS records at the apex"])
        #expect(try problems("").isEmpty)
    }

    @Test func cnameMustBeAlone() throws {
        #expect(try problems("www CNAME a.example.net.\nwww A 192.0.2.1\nwww MX 1 mx\n") == [
            "error: www.example.com. CNAME: CNAME beside other data (A, MX); a CNAME must be alone at its name "
                + "(RFC 1034 §3.6.2, RFC 2181 §10.1)",
        ])
        #expect(try problems("www CNAME a.example.net.\n").isEmpty)
    }

    @Test func cnameMayHaveDNSSECRecordsBesideIt() throws {
        #expect(try problems("""
            www CNAME a.example.net.
            www RRSIG CNAME 13 3 3600 20300101000000 20240101000000 1234 example.com. AAAA
            www NSEC z.example.com. CNAME RRSIG NSEC
            """).isEmpty)
    }

    @Test func cnameAtTheApexIsBesideSOA() throws {
        #expect(try problems("@ CNAME a.example.net.\n").first?.hasPrefix("error: example.com. CNAME: CNAME beside other data (NS, SOA)") == true)
    }

    @Test func atMostOneCNAME() throws {
        #expect(try problems("www CNAME a.example.net.\nwww CNAME b.example.net.\n")
            == ["error: www.example.com. CNAME: 2 CNAME records at one name; at most one is allowed (RFC 2181 §10.1)"])
    }

    @Test func aliasNotBesideCNAME() throws {
        #expect(try problems("www CNAME a.example.net.\nwww ALIAS lb.example.net.\n").contains(
            "error: www.example.com. ALIAS: ALIAS beside CNAME: a name is either an alias or not"))
        // ALIAS at the apex beside SOA and NS is its whole point.
        #expect(try problems("@ ALIAS lb.example.net.\n").isEmpty)
    }

    @Test func atMostOneALIAS() throws {
        #expect(try problems("@ ALIAS a.example.net.\n@ ALIAS b.example.net.\n")
            == ["error: example.com. ALIAS: 2 ALIAS records at one name; at most one is allowed"])
    }

    @Test func recordsOutOfZone() throws {
        #expect(try problems("www.example.org. A 192.0.2.1\n")
            == ["error: www.example.org.: out of zone: not at or below the origin example.com."])
        #expect(try problems("www.example.com. A 192.0.2.1\n").isEmpty)
    }

    @Test func noDataBelowADNAME() throws {
        #expect(try problems("old DNAME new.example.net.\nx.old A 192.0.2.1\n")
            == ["error: x.old.example.com. A: below the DNAME at old.example.com.: no data may exist there (RFC 6672 §2.3)"])
        #expect(try problems("old DNAME new.example.net.\nold A 192.0.2.1\nolder A 192.0.2.2\n").isEmpty)
    }

    @Test func glueBelowADelegationIsFine() throws {
        #expect(try problems("""
            sub NS ns.sub
            sub NS sub
            sub A 192.0.2.10
            ns.sub A 192.0.2.11
            ns.sub AAAA 2001:db8::11
            sub DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118BD2D6F4B4C2E1B0F3AF3D5D2
            """).isEmpty)
    }

    @Test func nonGlueBelowADelegationIsOccluded() throws {
        #expect(try problems("""
            sub NS ns.sub
            ns.sub A 192.0.2.11
            www.sub A 192.0.2.12
            ns.sub TXT "hidden"
            sub MX 10 ns.sub
            """) == [
            "warning: sub.example.com. MX: beside the delegation NS only DS, NSEC and glue are served; this is occluded",
            "warning: ns.sub.example.com. TXT: occluded by the delegation at sub.example.com.: not glue "
                + "(only address records of name servers are)",
            "warning: www.sub.example.com. A: occluded by the delegation at sub.example.com.: not glue "
                + "(only address records of name servers are)",
        ])
    }

    @Test func dsOnlyAtADelegation() throws {
        #expect(try problems("www DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118BD2D6F4B4C2E1B0F3AF3D5D2\n")
            == ["error: www.example.com. DS: DS at a name that is not a delegation (it needs NS beside it)"])
        #expect(try problems("@ DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118BD2D6F4B4C2E1B0F3AF3D5D2\n")
            == ["error: example.com. DS: DS at the apex: it belongs in the parent zone"])
    }

    @Test func metaTypesAreErrors() throws {
        var z = try zone("")
        z.add(ResourceRecord(name: "x.example.com.", ttl: 0, rdata: .unknown(UnknownRData(type: .TSIG, bytes: [0]))))
        #expect(z.check().map(\.description)
            == ["error: x.example.com. TSIG: TSIG is a meta type (RFC 6895); it cannot be zone data"])
    }

    @Test func classMustMatchTheZone() throws {
        var z = try zone("")
        z.add(ResourceRecord(name: "x.example.com.", dnsClass: .CH, ttl: 0, rdata: a("192.0.2.1")))
        #expect(z.check().map(\.description) == ["error: x.example.com. A: class CH in a zone of class IN"])
    }

    @Test func rolesForTheSigner() throws {
        let z = try zone("""
            www A 192.0.2.1
            sub NS ns.sub
            sub NS ns1
            sub DS 12345 13 2 2BB183AF5F22588179A53B0A98631FAD1A292118BD2D6F4B4C2E1B0F3AF3D5D2
            ns.sub A 192.0.2.11
            deep.ns.sub TXT x
            old DNAME new.example.net.
            """)
        let map = z.delegationMap()
        #expect(map.cuts == ["sub.example.com."])
        #expect(map.role(name: "example.com.", type: .NS) == .authoritative)
        #expect(map.role(name: "ns1.example.com.", type: .A) == .authoritative)
        #expect(map.role(name: "sub.example.com.", type: .NS) == .delegation)
        #expect(map.role(name: "sub.example.com.", type: .DS) == .authoritative)
        #expect(map.role(name: "ns.sub.example.com.", type: .A) == .glue)
        #expect(map.role(name: "deep.ns.sub.example.com.", type: .TXT) == .occluded)
        #expect(map.role(name: "x.old.example.com.", type: .A) == .occluded)
        #expect(map.role(name: "www.example.org.", type: .A) == .outOfZone)
        #expect(map.kind(of: "example.com.") == .apex)
        #expect(map.kind(of: "www.example.com.") == .authoritative)
        #expect(map.kind(of: "sub.example.com.") == .delegation)
        #expect(map.kind(of: "ns.sub.example.com.") == .occluded)
        #expect(map.enclosingCut(of: "deep.ns.sub.example.com.") == "sub.example.com.")
        #expect(map.enclosingCut(of: "www.example.com.") == nil)
    }
}
