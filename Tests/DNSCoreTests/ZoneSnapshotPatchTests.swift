import Testing
@testable import DNSCore

/// A snapshot patched after an incremental re-signing answers exactly like one rebuilt from scratch, and
/// the patch is refused whenever the change reshapes the zone.
@Suite struct ZoneSnapshotPatchTests {
    typealias F = SigningFixtures

    static let questions: [(String, RecordType)] = [
        ("example.test.", .SOA), ("example.test.", .A), ("example.test.", .MX), ("example.test.", .NS),
        ("example.test.", .DNSKEY), ("mail.example.test.", .A), ("nothere.example.test.", .A), ("x.wild.example.test.", .A),
        ("www.example.test.", .A), ("ns1.example.test.", .AAAA), ("secure.example.test.", .DS), ("a.secure.example.test.", .A),
        ("txt.example.test.", .TXT), ("txt.example.test.", .AAAA), ("b.c.ent.example.test.", .A),
    ]

    /// Every question, with and without DO, answered from both catalogs: byte for byte the same.
    static func sameAnswers(_ lhs: ZoneSnapshot, _ rhs: ZoneSnapshot) -> [String] {
        var differences: [String] = []
        let answerer = QueryAnswerer()
        for (name, type) in questions {
            for dnssec in [false, true] {
                var query = Message(id: 7, flags: Message.Flags(), questions: [Question(name: DomainName(stringLiteral: name), type: type, dnsClass: .IN)])
                query.edns = EDNS(udpPayloadSize: 4096, dnssecOK: dnssec)
                let bytes = query.encode()
                guard case .bytes(let a) = answerer.respond(to: bytes, transport: .tcp, catalog: Catalog([lhs])),
                      case .bytes(let b) = answerer.respond(to: bytes, transport: .tcp, catalog: Catalog([rhs]))
                else { differences.append("\(name) \(type): no answer"); continue }
                if a != b { differences.append("\(name) \(type) DO=\(dnssec)") }
            }
        }
        return differences
    }

    static func edited(_ text: String, policy: String) throws -> (base: ZoneSnapshot, signed: SignedZone) {
        let keys = try F.keys()
        let first = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: F.policy(policy), now: F.now)
        let base = try ZoneSnapshot(first.zone)
        let diff = ZoneDiff(from: try F.zone(), to: try F.zone(text))
        let second = try ZoneSigner.update(first, applying: diff, keys: keys, policy: F.policy(policy), now: F.now + 60)
        return (base, second)
    }

    @Test(arguments: F.denials)
    func anAddressChangeAndANewSerialArePatchedAndAnswerAsARebuild(_ policy: String) throws {
        let text = F.zoneText.replacingOccurrences(of: "mail A 192.0.2.25", with: "mail A 192.0.2.26")
            .replacingOccurrences(of: "@ A 192.0.2.1", with: "@ A 192.0.2.2")
            .replacingOccurrences(of: "2024010101", with: "2024010102")
        let (base, signed) = try Self.edited(text, policy: policy)
        let names = try #require(signed.changedNames)
        let patched = try #require(base.patched(signed.zone, changedNames: names), "a same-shape change must patch")
        let rebuilt = try ZoneSnapshot(signed.zone)
        #expect(patched.serial == rebuilt.serial)
        #expect(patched.makeZone() == signed.zone, "the patched snapshot holds exactly the new zone")
        #expect(Self.sameAnswers(patched, rebuilt).isEmpty, "\(Self.sameAnswers(patched, rebuilt))")
    }

    @Test(arguments: F.denials)
    func aNewNameIsNotPatched(_ policy: String) throws {
        let (base, signed) = try Self.edited(F.zoneText + "brandnew A 192.0.2.200\n", policy: policy)
        #expect(base.patched(signed.zone, changedNames: try #require(signed.changedNames)) == nil)
    }

    @Test func aNewCutOrAnAddressThatAppearsIsNotPatched() throws {
        let (base, signed) = try Self.edited(F.zoneText + "txt NS ns.example.net.\n", policy: "NSEC")
        #expect(base.patched(signed.zone, changedNames: try #require(signed.changedNames)) == nil, "txt became a cut")
        let (base2, signed2) = try Self.edited(F.zoneText + "txt A 192.0.2.9\n", policy: "NSEC")
        #expect(base2.patched(signed2.zone, changedNames: try #require(signed2.changedNames)) == nil, "txt gained an address")
    }
}
