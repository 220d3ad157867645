import DNSCore
import Testing

/// The stored form of a zone node: what goes into the signer's database must come back equal, and bytes
/// read back from a damaged or tampered database must fail with a typed error, never crash.
@Suite struct ZoneNodeCodecTests {
    static let origin: DomainName = "example.test."

    /// Every shape of node the signer stores: apex with SOA, NS, DNSKEY, two RRSIG sets, an unknown type,
    /// names of mixed case inside RDATA, multi-record sets, a wildcard, a delegation with glue.
    static let zoneText = """
        $ORIGIN example.test.
        $TTL 300
        @ 3600 SOA ns1.Example.TEST. hostmaster 2024010101 3600 900 1209600 300
        @ NS ns1
        @ NS ns2.other.test.
        @ MX 10 Mail.Example.test.
        @ MX 20 mail2
        @ TXT "v=spf1 -all" "second string"
        @ TYPE65280 \\# 3 010203
        @ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
        @ RRSIG SOA 13 2 3600 20250101000000 20241201000000 12345 example.test. c2lnbmF0dXJl
        @ RRSIG NS 13 2 300 20250101000000 20241201000000 12345 example.test. c2lnbmF0dXJlMg==
        @ RRSIG NS 13 2 300 20250101000000 20241201000000 54321 example.test. b3RoZXI=
        ns1 A 192.0.2.53
        ns1 AAAA 2001:db8::53
        WWW A 192.0.2.80
        www A 192.0.2.81
        *.wild AAAA 2001:db8::1
        sub NS ns.sub
        ns.sub A 192.0.2.54
        _sip._tcp SRV 0 5 5060 sip
        """

    static func zone() throws -> Zone { try Zone(parsing: zoneText, origin: origin) }

    @Test func everyNodeRoundTripsWithRDATACaseKept() throws {
        let zone = try Self.zone()
        for name in zone.names {
            let node = zone.rrsets(at: name)
            let bytes = ZoneNodeCodec.encode(node)
            let owner = try ZoneNodeCodec.owner(fromKey: ZoneNodeCodec.ownerKey(name))
            let decoded = try ZoneNodeCodec.decode(bytes, owner: owner)
            #expect(decoded == node, "\(name)")
            // Names inside RDATA keep their case (the served zone shows what the primary sent).
            #expect(decoded.flatMap(\.records).map(\.rdata.presentation) == node.flatMap(\.records).map(\.rdata.presentation))
        }
        let apex = ZoneNodeCodec.encode(zone.rrsets(at: Self.origin))
        #expect(try ZoneNodeCodec.decode(apex, owner: Self.origin).contains { $0.type == RecordType(65280) })
    }

    @Test func wholeZoneRoundTripsFromRowsInAnyOrder() throws {
        let zone = try Self.zone()
        var rows = ZoneNodeCodec.rows(of: zone)
        #expect(rows.count == zone.nameCount)
        var random = SplitMix64(seed: 7)
        rows.shuffle(using: &random)
        let rebuilt = try ZoneNodeCodec.zone(origin: Self.origin, rows: rows)
        #expect(rebuilt == zone)
        #expect(rebuilt.names == zone.names, "canonical order rebuilt")
        #expect(ZoneDiff(from: zone, to: rebuilt).isEmpty)
        // Owners come back lowercased: the key is the canonical form (RFC 4034 §6.2).
        #expect(rebuilt.names.contains { $0.text == "www.example.test." })
    }

    @Test func aLargeZoneRoundTrips() throws {
        var zone = Zone(origin: Self.origin)
        zone.insert(try Self.zone().rrset(at: Self.origin, type: .SOA)!)
        for index in 0..<5000 {
            let name = try DomainName("host\(index)", origin: Self.origin)
            zone.add(ResourceRecord(name: name, ttl: 60, rdata: .a(A(IPv4Address("10.0.\(index / 256).\(index % 256)")!))))
        }
        let rebuilt = try ZoneNodeCodec.zone(origin: Self.origin, rows: ZoneNodeCodec.rows(of: zone))
        #expect(rebuilt == zone)
        #expect(rebuilt.names == zone.names)
    }

    // MARK: Hostile bytes

    func expectFailure(_ bytes: [UInt8], owner: DomainName = "x.example.test.", _ fragment: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let decoded = try ZoneNodeCodec.decode(bytes, owner: owner)
            Issue.record("decoded \(decoded) from hostile bytes", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            #expect(error.owner == owner, sourceLocation: sourceLocation)
        }
    }

    /// One A RRset: version, one RRset, type 1, class IN, TTL 60, one record of 4 bytes.
    static let aNode: [UInt8] = [1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 4, 192, 0, 2, 1]
    /// The same RRset without the node header.
    static var aRRset: [UInt8] { Array(aNode.dropFirst(5)) }
    static func node(_ count: UInt8, _ rrsets: [UInt8]...) -> [UInt8] { [1, 0, 0, 0, count] + rrsets.flatMap { $0 } }

    @Test func craftedBytesDecodeAsExpected() throws {
        let decoded = try ZoneNodeCodec.decode(Self.aNode, owner: "x.example.test.")
        #expect(decoded.count == 1 && decoded[0].type == .A && decoded[0].ttl == 60)
        #expect(decoded[0].rdatas == [.a(A(IPv4Address("192.0.2.1")!))])
    }

    @Test func everyTruncationFailsWithAnError() throws {
        let zone = try Self.zone()
        let bytes = ZoneNodeCodec.encode(zone.rrsets(at: Self.origin))
        for length in 0..<bytes.count {
            #expect(throws: ZoneNodeCodecError.self) { try ZoneNodeCodec.decode(Array(bytes[..<length]), owner: Self.origin) }
        }
    }

    @Test func eachLieIsNamed() {
        expectFailure([], "format version")
        expectFailure([2] + Self.aNode.dropFirst(), "format version 2")
        expectFailure([1, 0, 0], "RRset count")
        expectFailure(Self.node(0), "no RRsets")
        expectFailure(Self.node(2, Self.aRRset), "claims 2 RRsets")
        expectFailure(Self.node(1, Self.aRRset, [0]), "1 bytes after the last RRset")
        var zeroCount = Self.aNode
        zeroCount[16] = 0
        expectFailure(zeroCount, "with no records")
        var hugeCount = Self.aNode
        hugeCount[13] = 0xFF
        expectFailure(hugeCount, "claims 4278190081 records")
        var longRData = Self.aNode
        longRData[20] = 200
        expectFailure(longRData, "truncated")
        var shortRData = Self.aNode
        shortRData[20] = 3
        expectFailure(Array(shortRData.dropLast()) + [0, 0, 0, 0], "truncated")
        // The same RRset twice, and RRsets out of type order.
        expectFailure(Self.node(2, Self.aRRset, Self.aRRset), "out of order or repeated")
        let ns: [UInt8] = [0, 2, 0, 1, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 1, 0]
        expectFailure(Self.node(2, ns, Self.aRRset), "out of order or repeated")
        // A compression pointer inside stored RDATA that points forward.
        expectFailure(Self.node(1, [0, 2, 0, 1, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 2, 0xC0, 0x40]), "points forward")
    }

    @Test func anRRSIGSetMixingCoveredTypesIsRefused() throws {
        var rrsig = RRset(name: "x.example.test.", type: .RRSIG, ttl: 60)
        for covered in [RecordType.A, .AAAA] {
            rrsig.insert(.rrsig(RRSIG(typeCovered: covered, algorithm: 13, labels: 3, originalTTL: 60, expiration: 2,
                                      inception: 1, keyTag: 1, signerName: Self.origin, signature: [1, 2, 3])))
        }
        expectFailure(ZoneNodeCodec.encode([rrsig]), "mixes covered types")
    }

    @Test func ownerKeysMustBeOneUncompressedName() throws {
        #expect(try ZoneNodeCodec.owner(fromKey: ZoneNodeCodec.ownerKey("A.Example.TEST.")).text == "a.example.test.")
        for bad: [UInt8] in [[], [3, 97, 98], [1, 97, 0, 0], [1, 97, 0xC0, 0], [0xC0, 0], [0x40, 0], [70] + Array(repeating: 97, count: 70) + [0]] {
            #expect(throws: ZoneNodeCodecError.self, "\(bad)") { try ZoneNodeCodec.owner(fromKey: bad) }
        }
    }

    @Test func zonesFromNodesRefuseBrokenInvariants() throws {
        let a = RRset(name: "a.example.test.", type: .A, ttl: 60, rdatas: [.a(A(IPv4Address("192.0.2.1")!))])
        #expect(throws: ZoneNodeCodecError.self) { try Zone(origin: Self.origin, nodes: [("a.example.test.", [a]), ("A.example.test.", [a])]) }
        #expect(throws: ZoneNodeCodecError.self) { try Zone(origin: Self.origin, nodes: [("a.example.test.", [])]) }
        #expect(throws: ZoneNodeCodecError.self) { try Zone(origin: Self.origin, nodes: [("b.example.test.", [a])]) }
        let rows = [ZoneNodeCodec.Row(owner: ZoneNodeCodec.ownerKey("a.example.test."), data: ZoneNodeCodec.encode([a]))]
        #expect(throws: ZoneNodeCodecError.self) { try ZoneNodeCodec.zone(origin: Self.origin, rows: rows + rows) }
        #expect(try ZoneNodeCodec.zone(origin: Self.origin, rows: rows).rrset(at: "a.example.test.", type: .A) == a)
    }

    /// Random damage to real node bytes: every outcome is an error or a node that encodes again to
    /// something decodable (no crash, no hang, no invariant broken).
    @Test func randomDamageNeverCrashes() throws {
        let zone = try Self.zone()
        let nodes = zone.names.map { ZoneNodeCodec.encode(zone.rrsets(at: $0)) }
        var random = SplitMix64(seed: 2024)
        var failures = 0
        for round in 0..<20_000 {
            var bytes = nodes[round % nodes.count]
            for _ in 0...random.below(3) {
                guard !bytes.isEmpty else { break }
                switch random.below(3) {
                case 0: bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: random.below(bytes.count))
                default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: random.below(bytes.count + 1))
                }
            }
            do {
                let decoded = try ZoneNodeCodec.decode(bytes, owner: Self.origin)
                #expect(!decoded.isEmpty)
                _ = try ZoneNodeCodec.decode(ZoneNodeCodec.encode(decoded), owner: Self.origin)
            } catch {
                failures += 1
            }
        }
        #expect(failures > 10_000, "most damage is detected")
    }
}
