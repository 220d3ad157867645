import Testing
@testable import DNSCore

/// DO-bit answers from zones signed by `ZoneSigner`: every signature in a response is verified with the
/// zone's keys, and every proof is checked for what it must prove (NSEC: owner < name < next; NSEC3:
/// the hash of the name matches or falls between owner and next hash).
enum SignedServing {
    enum Mode: String, CaseIterable, Sendable { case nsec, nsec3, nsec3OptOut }

    static let zoneText = """
        $TTL 3600
        @           SOA    ns1 hostmaster 1 7200 3600 1209600 300
        @           NS     ns1
        @           MX     10 mail
        ns1         A      192.0.2.53
        mail        A      192.0.2.25
        www         A      192.0.2.80
        alias       CNAME  www
        *.wild      A      192.0.2.99
        x.y.ent     A      192.0.2.2
        dept        DNAME  example.org.
        deleg       NS     ns.deleg
        ns.deleg    A      192.0.2.200
        secure      NS     ns.example.net.
        secure      DS     12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF

        """

    static let keys: ZoneKeySet = {
        let ksk = try! SigningKey.generate(algorithm: .ECDSAP256SHA256, flags: SigningKey.keySigningFlags)
        let zsk = try! SigningKey.generate(algorithm: .ECDSAP256SHA256, flags: SigningKey.zoneSigningFlags)
        return try! ZoneKeySet(zone: "example.com.", keys: [ksk, zsk])
    }()

    static let catalogs: [Mode: Catalog] = {
        var result: [Mode: Catalog] = [:]
        for mode in Mode.allCases {
            let denial: SigningPolicy.Denial = switch mode {
            case .nsec: .nsec
            case .nsec3: .nsec3
            case .nsec3OptOut: .nsec3(SigningPolicy.NSEC3Settings(optOut: true))
            }
            let zone = try! Zone(parsing: zoneText, origin: "example.com.")
            let signed = try! ZoneSigner.sign(
                zone: zone, keys: keys, policy: SigningPolicy(denial: denial), now: 1_700_000_000)
            result[mode] = Catalog([try! ZoneSnapshot(signed.zone)])
        }
        return result
    }()

    static func ask(
        _ name: DomainName, _ type: RecordType, _ mode: Mode, do dnssecOK: Bool = true
    ) throws -> Message {
        try Serving.ask(name, type, catalog: catalogs[mode]!, do: dnssecOK)
    }

    /// Verifies every RRSIG in the message over the RRset it covers; returns the problems.
    static func signatureProblems(_ message: Message) -> [String] {
        let records = message.answers + message.authority + message.additional
        var sets: [String: RRset] = [:]
        for record in records where record.type != .RRSIG {
            let key = "\(record.name.text.lowercased())|\(record.type)"
            var set = sets[key] ?? RRset(name: record.name, type: record.type, ttl: record.ttl)
            set.insert(record.rdata)
            sets[key] = set
        }
        var problems: [String] = []
        for record in records {
            guard case .rrsig(let sig) = record.rdata else { continue }
            guard let set = sets["\(record.name.text.lowercased())|\(sig.typeCovered)"] else {
                problems.append("RRSIG \(record.name.text) \(sig.typeCovered) without its RRset")
                continue
            }
            guard let key = keys.keys.first(where: { $0.keyTag == sig.keyTag }) else {
                problems.append("RRSIG \(record.name.text) \(sig.typeCovered) by unknown key \(sig.keyTag)")
                continue
            }
            if !key.publicKey.isValidSignature(sig.signature, over: sig.signedData(over: set)) {
                problems.append("RRSIG \(record.name.text) \(sig.typeCovered) does not verify")
            }
        }
        return problems
    }

    /// RRsets (owner, type) in `records` that have no RRSIG beside them.
    static func unsigned(_ records: [ResourceRecord]) -> [String] {
        let signed = Set(records.compactMap { record -> String? in
            guard case .rrsig(let sig) = record.rdata else { return nil }
            return "\(record.name.text.lowercased()) \(sig.typeCovered)"
        })
        var result: [String] = []
        for record in records where record.type != .RRSIG {
            let key = "\(record.name.text.lowercased()) \(record.type)"
            if !signed.contains(key) && !result.contains(key) { result.append(key) }
        }
        return result
    }

    static func nsecs(_ message: Message) -> [(owner: DomainName, nsec: NSEC)] {
        message.authority.compactMap { record in
            guard case .nsec(let nsec) = record.rdata else { return nil }
            return (record.name, nsec)
        }
    }

    static func nsec3s(_ message: Message) -> [(owner: [UInt8], nsec3: NSEC3)] {
        message.authority.compactMap { record in
            guard case .nsec3(let nsec3) = record.rdata,
                  let hash = NSEC3Hash.hash(inOwner: record.name, zone: "example.com.")
            else { return nil }
            return (hash, nsec3)
        }
    }

    /// Some NSEC has owner < name < next (wrapping at the end of the chain).
    static func nsecCovers(_ message: Message, _ name: DomainName) -> Bool {
        nsecs(message).contains { owner, nsec in
            owner < name && (name < nsec.nextName || nsec.nextName <= owner)
        }
    }

    /// The NSEC owned by `name`.
    static func nsecAt(_ message: Message, _ name: DomainName) -> NSEC? {
        nsecs(message).first { $0.owner == name }?.nsec
    }

    static func hash(_ name: DomainName) -> [UInt8] { NSEC3Hash().hash(name) }

    static func nsec3Covers(_ message: Message, _ name: DomainName) -> NSEC3? {
        let h = hash(name)
        return nsec3s(message).first { owner, nsec3 in
            let next = nsec3.nextHashedOwner
            if owner.lexicographicallyPrecedes(next) {
                return owner.lexicographicallyPrecedes(h) && h.lexicographicallyPrecedes(next)
            }
            return owner.lexicographicallyPrecedes(h) || h.lexicographicallyPrecedes(next)
        }?.nsec3
    }

    static func nsec3Matches(_ message: Message, _ name: DomainName) -> NSEC3? {
        let h = hash(name)
        return nsec3s(message).first { $0.owner == h }?.nsec3
    }
}

@Suite struct QueryAnswererDNSSECTests {
    typealias S = SignedServing

    @Test(arguments: S.Mode.allCases)
    func positiveAnswerCarriesVerifiableSignatures(mode: S.Mode) throws {
        var query = Message.query(name: "www.example.com.", type: .A, id: 1, do: true)
        query.flags.ad = true
        let response = try Serving.send(query, catalog: S.catalogs[mode]!)
        #expect(response.flags.aa && !response.flags.ad)  // authoritative servers never set AD
        #expect(response.edns?.dnssecOK == true)
        #expect(Serving.shapes(response.answers) == ["www.example.com. A", "www.example.com. RRSIG A"])
        #expect(response.authority.isEmpty)
        #expect(S.signatureProblems(response).isEmpty)
    }

    @Test(arguments: S.Mode.allCases)
    func withoutDONothingDNSSECIsAdded(mode: S.Mode) throws {
        let positive = try S.ask("www.example.com.", .A, mode, do: false)
        #expect(Serving.shapes(positive.answers) == ["www.example.com. A"])
        let negative = try S.ask("nope.example.com.", .A, mode, do: false)
        #expect(negative.rcode == .NXDOMAIN && Serving.shapes(negative.authority) == ["example.com. SOA"])
        let referral = try S.ask("www.secure.example.com.", .A, mode, do: false)
        #expect(Serving.shapes(referral.authority) == ["secure.example.com. NS"])
    }

    @Test(arguments: S.Mode.allCases)
    func nxdomainProvesTheNameAndTheWildcardAbsent(mode: S.Mode) throws {
        for (name, encloser, nextCloser) in [
            ("nope.example.com.", "example.com.", "nope.example.com."),
            ("a.b.nope.example.com.", "example.com.", "nope.example.com."),
            ("z.y.ent.example.com.", "y.ent.example.com.", "z.y.ent.example.com."),
        ] as [(DomainName, DomainName, DomainName)] {
            let response = try S.ask(name, .A, mode)
            #expect(response.rcode == .NXDOMAIN && response.flags.aa)
            #expect(S.signatureProblems(response).isEmpty)
            #expect(S.unsigned(response.authority).isEmpty)
            #expect(response.authority.first?.type == .SOA && response.authority.first?.ttl == 300)
            let wildcard = encloser.wildcard!
            if mode == .nsec {
                #expect(S.nsecCovers(response, name), "\(name)")
                #expect(S.nsecCovers(response, wildcard), "\(wildcard)")
                #expect(S.nsecs(response).count <= 2)
            } else {
                #expect(S.nsec3Matches(response, encloser) != nil, "closest encloser \(encloser)")
                #expect(S.nsec3Covers(response, nextCloser) != nil, "next closer \(nextCloser)")
                #expect(S.nsec3Covers(response, wildcard) != nil, "wildcard \(wildcard)")
                #expect(S.nsec3s(response).count <= 3)
            }
        }
    }

    @Test(arguments: S.Mode.allCases)
    func noDataProvesTheTypeAbsent(mode: S.Mode) throws {
        let response = try S.ask("www.example.com.", .MX, mode)
        #expect(response.rcode == .NOERROR && response.answers.isEmpty)
        #expect(S.signatureProblems(response).isEmpty)
        if mode == .nsec {
            let nsec = try #require(S.nsecAt(response, "www.example.com."))
            #expect(nsec.types.contains(.A) && !nsec.types.contains(.MX) && !nsec.types.contains(.CNAME))
        } else {
            let nsec3 = try #require(S.nsec3Matches(response, "www.example.com."))
            #expect(nsec3.types.contains(.A) && !nsec3.types.contains(.MX) && !nsec3.types.contains(.CNAME))
            #expect(S.nsec3s(response).count == 1)
        }
    }

    @Test(arguments: S.Mode.allCases)
    func emptyNonTerminalNoData(mode: S.Mode) throws {
        let response = try S.ask("y.ent.example.com.", .A, mode)
        #expect(response.rcode == .NOERROR && response.answers.isEmpty)
        #expect(S.signatureProblems(response).isEmpty)
        if mode == .nsec {
            #expect(S.nsecCovers(response, "y.ent.example.com."))
        } else {
            let nsec3 = try #require(S.nsec3Matches(response, "y.ent.example.com."))
            #expect(nsec3.types.types.isEmpty)
        }
    }

    @Test(arguments: S.Mode.allCases)
    func wildcardAnswerProvesTheNameItselfAbsent(mode: S.Mode) throws {
        for (name, nextCloser) in [
            ("host.wild.example.com.", "host.wild.example.com."), ("a.b.wild.example.com.", "b.wild.example.com."),
        ] as [(DomainName, DomainName)] {
            let response = try S.ask(name, .A, mode)
            #expect(response.rcode == .NOERROR && response.flags.aa)
            #expect(Serving.shapes(response.answers) == ["\(name.text) A", "\(name.text) RRSIG A"])
            // The signature was made over *.wild: its labels field (3) tells the validator so.
            if case .rrsig(let sig)? = response.answers.last?.rdata { #expect(sig.labels == 3) }
            #expect(S.signatureProblems(response).isEmpty)
            if mode == .nsec {
                #expect(S.nsecCovers(response, name))
            } else {
                #expect(S.nsec3Covers(response, nextCloser) != nil, "\(nextCloser)")
                #expect(S.nsec3s(response).count == 1)
            }
        }
    }

    @Test(arguments: S.Mode.allCases)
    func wildcardNoDataProvesBothAbsences(mode: S.Mode) throws {
        let response = try S.ask("host.wild.example.com.", .MX, mode)
        #expect(response.rcode == .NOERROR && response.answers.isEmpty)
        #expect(S.signatureProblems(response).isEmpty)
        if mode == .nsec {
            #expect(S.nsecCovers(response, "host.wild.example.com."))
            let wildcard = try #require(S.nsecAt(response, "*.wild.example.com."))
            #expect(wildcard.types.contains(.A) && !wildcard.types.contains(.MX))
        } else {
            #expect(S.nsec3Matches(response, "wild.example.com.") != nil)
            #expect(S.nsec3Covers(response, "host.wild.example.com.") != nil)
            let wildcard = try #require(S.nsec3Matches(response, "*.wild.example.com."))
            #expect(!wildcard.types.contains(.MX))
        }
    }

    @Test(arguments: S.Mode.allCases)
    func referralCarriesTheDSOrItsAbsenceProof(mode: S.Mode) throws {
        let secure = try S.ask("www.secure.example.com.", .A, mode)
        #expect(!secure.flags.aa && secure.answers.isEmpty)
        #expect(Serving.shapes(secure.authority) == [
            "secure.example.com. NS", "secure.example.com. DS", "secure.example.com. RRSIG DS",
        ])
        #expect(S.signatureProblems(secure).isEmpty)

        let insecure = try S.ask("www.deleg.example.com.", .A, mode)
        #expect(!insecure.flags.aa && insecure.answers.isEmpty)
        #expect(Serving.shapes(insecure.additional) == ["ns.deleg.example.com. A"])  // glue is never signed
        #expect(S.signatureProblems(insecure).isEmpty)
        #expect(S.unsigned(insecure.authority) == ["deleg.example.com. NS"])  // nor is NS at a cut
        switch mode {
        case .nsec:
            let nsec = try #require(S.nsecAt(insecure, "deleg.example.com."))
            #expect(nsec.types.contains(.NS) && !nsec.types.contains(.DS))
        case .nsec3:
            let nsec3 = try #require(S.nsec3Matches(insecure, "deleg.example.com."))
            #expect(nsec3.types.contains(.NS) && !nsec3.types.contains(.DS))
        case .nsec3OptOut:
            // No NSEC3 for the insecure cut: the closest provable encloser (the apex) and an opt-out
            // NSEC3 covering the cut (RFC 5155 §7.2.7).
            #expect(S.nsec3Matches(insecure, "deleg.example.com.") == nil)
            #expect(S.nsec3Matches(insecure, "example.com.") != nil)
            let covering = try #require(S.nsec3Covers(insecure, "deleg.example.com."))
            #expect(covering.isOptOut)
        }
    }

    @Test(arguments: S.Mode.allCases)
    func dsQueryAtAnInsecureCutIsProvedAbsent(mode: S.Mode) throws {
        let response = try S.ask("deleg.example.com.", .DS, mode)
        #expect(response.flags.aa && response.rcode == .NOERROR && response.answers.isEmpty)
        #expect(S.signatureProblems(response).isEmpty)
        switch mode {
        case .nsec: #expect(S.nsecAt(response, "deleg.example.com.")?.types.contains(.DS) == false)
        case .nsec3: #expect(S.nsec3Matches(response, "deleg.example.com.")?.types.contains(.DS) == false)
        case .nsec3OptOut: #expect(S.nsec3Covers(response, "deleg.example.com.")?.isOptOut == true)
        }
    }

    @Test(arguments: S.Mode.allCases)
    func dnskeyAtTheApexIsAnOrdinarySignedRRset(mode: S.Mode) throws {
        let response = try S.ask("example.com.", .DNSKEY, mode)
        let keys = response.answers.filter { $0.type == .DNSKEY }
        #expect(keys.count == 2)
        #expect(response.answers.contains { if case .rrsig(let s) = $0.rdata { s.typeCovered == .DNSKEY } else { false } })
        #expect(S.signatureProblems(response).isEmpty)
    }

    @Test(arguments: S.Mode.allCases)
    func cnameAndDNAMEAnswersAreSigned(mode: S.Mode) throws {
        let cname = try S.ask("alias.example.com.", .A, mode)
        #expect(Serving.shapes(cname.answers) == [
            "alias.example.com. CNAME", "alias.example.com. RRSIG CNAME", "www.example.com. A",
            "www.example.com. RRSIG A",
        ])
        #expect(S.signatureProblems(cname).isEmpty)
        // The DNAME is signed; the CNAME synthesized from it is not (RFC 6672 §5.3.1).
        let dname = try S.ask("host.dept.example.com.", .A, mode)
        #expect(Serving.shapes(dname.answers) == [
            "dept.example.com. DNAME", "dept.example.com. RRSIG DNAME", "host.dept.example.com. CNAME",
        ])
        #expect(S.signatureProblems(dname).isEmpty)
    }

    @Test(arguments: S.Mode.allCases)
    func additionalRecordsAreSignedToo(mode: S.Mode) throws {
        let response = try S.ask("example.com.", .MX, mode)
        #expect(Serving.shapes(response.additional) == ["mail.example.com. A", "mail.example.com. RRSIG A"])
        #expect(S.signatureProblems(response).isEmpty)
    }

    @Test func rrsigQueryReturnsTheSignaturesAtTheName() throws {
        let response = try S.ask("www.example.com.", .RRSIG, .nsec)
        #expect(Serving.shapes(response.answers) == ["www.example.com. RRSIG A", "www.example.com. RRSIG NSEC"])
    }

    @Test func snapshotRecognisesTheDenialMethod() throws {
        #expect(S.catalogs[.nsec]!.zones[0].denial == .nsec)
        #expect(S.catalogs[.nsec3]!.zones[0].denial == .nsec3(hashAlgorithm: 1, iterations: 0, salt: []))
        #expect(S.catalogs[.nsec]!.zones[0].isSigned)
        #expect(!(try ZoneSnapshot(Serving.zone())).isSigned)
        // The signed zone comes back whole, NSEC3 chain included.
        let zone = try Zone(parsing: S.zoneText, origin: "example.com.")
        let signed = try ZoneSigner.sign(zone: zone, keys: S.keys, policy: SigningPolicy(denial: .nsec3), now: 1_700_000_000)
        #expect(try ZoneSnapshot(signed.zone).makeZone() == signed.zone)
    }

    @Test func bigSignedAnswersAreTruncatedOverUDP() throws {
        // A signed NXDOMAIN with NSEC3 is about 900 bytes: it does not fit in 512.
        let catalog = S.catalogs[.nsec3]!
        let small = try Serving.ask("nope.example.com.", .A, catalog: catalog, do: true, payload: 512)
        #expect(small.flags.tc)
        let large = try Serving.ask("nope.example.com.", .A, catalog: catalog, do: true, payload: 1232)
        #expect(!large.flags.tc && S.nsec3s(large).count == 3)
    }
}
