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
    static func sameAnswers(_ lhs: ZoneSnapshot, _ rhs: ZoneSnapshot, questions: [(String, RecordType)] = questions) -> [String] {
        var differences: [String] = []
        let answerer = QueryAnswerer()
        let (left, right) = (Catalog([lhs]), Catalog([rhs]))
        for (name, type) in questions {
            for dnssec in [false, true] {
                var query = Message(id: 7, flags: Message.Flags(), questions: [Question(name: DomainName(stringLiteral: name), type: type, dnsClass: .IN)])
                query.edns = EDNS(udpPayloadSize: 4096, dnssecOK: dnssec)
                let bytes = query.encode()
                guard case .bytes(let a) = answerer.respond(to: bytes, transport: .tcp, catalog: left),
                      case .bytes(let b) = answerer.respond(to: bytes, transport: .tcp, catalog: right)
                else { differences.append("\(name) \(type): no answer"); continue }
                if a != b { differences.append("\(name) \(type) DO=\(dnssec)") }
            }
        }
        return differences
    }

    static func edited(_ text: String, policy: String, base baseText: String = F.zoneText) throws -> (base: ZoneSnapshot, signed: SignedZone) {
        let keys = try F.keys()
        let first = try ZoneSigner.sign(zone: F.zone(baseText), keys: keys, policy: F.policy(policy), now: F.now)
        let base = try ZoneSnapshot(first.zone)
        let diff = ZoneDiff(from: try F.zone(baseText), to: try F.zone(text))
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

    /// Questions about every owner of `zone` (NSEC3 owners aside), a name below each and a sibling of each
    /// (a wildcard's siblings are what it answers for), for the types
    /// that reach every part of an answer: data, referrals and glue, CNAME/DNAME, wildcards, proofs.
    static func questions(about zone: Zone) -> [(String, RecordType)] {
        var names: Set<String> = []
        for set in zone.rrsets where set.type != .NSEC3 && set.coveredType != .NSEC3 && !set.name.text.hasPrefix("filler") {
            names.insert(set.name.text)
            names.insert("nx." + set.name.text)
            if let parent = set.name.parent, parent.isSubdomain(of: zone.origin) { names.insert("nx." + parent.text) }
        }
        let types: [RecordType] = [.A, .AAAA, .MX, .NS, .DS, .TXT, .SOA, .CNAME]
        return names.sorted().flatMap { name in types.map { (name, $0) } }
    }

    /// Every reshaping edit of the incremental-signing tests (names added and removed, empty
    /// non-terminals appearing and going, delegations, DNAME, wildcards, address records appearing at
    /// glue and MX targets), in every denial mode: patched, holding exactly the new zone, and answering
    /// every question about the old and the new zone byte for byte as a rebuilt snapshot does.
    @Test(arguments: IncrementalSigningTests.cases)
    func aReshapingChangeIsPatchedAndAnswersAsARebuild(edit: String, policy: String) throws {
        // Names the edits leave alone, so that what a change replaces stays a small share of the zone
        // (past a quarter, a rebuild is due and right).
        let filler = (1...100).map { "filler\($0) TXT \"unchanged\"\n" }.joined()
        let text = try #require(IncrementalSigningTests.edits.first { $0.0 == edit }).1 + filler
        let (base, signed) = try Self.edited(text, policy: policy, base: F.zoneText + filler)
        let names = try #require(signed.changedNames)
        let patched = try #require(base.patched(signed.zone, changedNames: names), "\(edit) must patch, not rebuild")
        let rebuilt = try ZoneSnapshot(signed.zone)
        #expect(patched.makeZone() == signed.zone, "the patched snapshot holds exactly the new zone")
        #expect(patched.nodeCount == rebuilt.nodeCount, "the same names, empty non-terminals included")
        let questions = Self.questions(about: signed.zone) + Self.questions(about: base.makeZone())
        let differences = Self.sameAnswers(patched, rebuilt, questions: questions)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
    }

    /// Names that others point at gaining or losing their addresses or their standing as glue, while
    /// the NS, MX and SRV records pointing at them stay as they were: the additional sections follow.
    @Test(arguments: F.denials)
    func additionalSectionsFollowTheirTargetsWhenOnlyTheTargetsChange(policy: String) throws {
        let base = F.zoneText + """
            svc MX 10 target
            svc2 MX 10 gone
            gone A 192.0.2.98
            sub NS ns.sub
            sub NS ns.elsewhere
            ns.elsewhere A 192.0.2.97
            _x._tcp SRV 0 0 1 target

            """
        // `target` appears with an address, `gone` goes, `ns.sub` appears as glue below the cut, and
        // `ns.elsewhere` ends up below a new cut (glue for NS, no longer an MX/SRV additional).
        let edited = base.replacingOccurrences(of: "gone A 192.0.2.98\n", with: "")
            + "target A 192.0.2.99\nns.sub A 192.0.2.96\nelsewhere NS ns.elsewhere\n"
        let (snapshot, signed) = try Self.edited(edited, policy: policy, base: base)
        let names = try #require(signed.changedNames)
        let patched = try #require(snapshot.patched(signed.zone, changedNames: names))
        let rebuilt = try ZoneSnapshot(signed.zone)
        let questions: [(String, RecordType)] = [
            ("svc.example.test.", .MX), ("svc2.example.test.", .MX), ("x.sub.example.test.", .A),
            ("sub.example.test.", .NS), ("_x._tcp.example.test.", .SRV), ("x.elsewhere.example.test.", .A),
        ]
        #expect(Self.sameAnswers(patched, rebuilt, questions: questions).isEmpty)
    }

    @Test func aNewNSEC3ParameterSetIsRebuilt() throws {
        let keys = try F.keys()
        let first = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: F.nsec3, now: F.now)
        let salted = SigningPolicy(denial: .nsec3(.init(salt: [0xAB, 0xCD])))
        let second = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: salted, now: F.now + 60)
        let everything = Set(first.zone.rrsets.map(\.name)).union(second.zone.rrsets.map(\.name))
        #expect(try ZoneSnapshot(first.zone).patched(second.zone, changedNames: everything) == nil)
    }
}
