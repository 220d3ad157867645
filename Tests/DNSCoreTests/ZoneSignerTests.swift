import Foundation
import Testing

@testable import DNSCore

/// Shared by the signer, verifier, incremental and interop suites.
enum SigningFixtures {
    static let origin: DomainName = "example.test."
    /// A fixed clock for everything that does not go to an external tool.
    static let now: UInt32 = 1_700_000_000

    /// A zone with everything that makes signing interesting: a secure delegation (DS) with glue, an
    /// insecure one with glue and data hidden below it, insecure delegations below an empty
    /// non-terminal, wildcards, empty non-terminals, a CNAME chain, a DNAME, mixed case.
    static let zoneText = """
        $ORIGIN example.test.
        $TTL 3600
        @ SOA ns1 hostmaster 2024010101 7200 3600 1209600 300
        @ NS ns1
        @ NS ns2.example.net.
        @ MX 10 mail
        @ A 192.0.2.1
        ns1 A 192.0.2.53
        ns1 AAAA 2001:db8::53
        mail A 192.0.2.25
        www CNAME web
        web CNAME host.deep
        host.deep A 192.0.2.80
        a.b.c.ent AAAA 2001:db8::1
        *.wild A 192.0.2.99
        *.wild TXT "wildcard"
        alias DNAME example.net.
        secure NS ns.secure
        secure DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
        ns.secure A 192.0.2.10
        insecure NS ns.insecure
        insecure NS ns.example.net.
        ns.insecure A 192.0.2.11
        ns.insecure AAAA 2001:db8::11
        hidden.insecure TXT "occluded by the cut"
        zone1.customers NS ns.example.net.
        zone2.customers NS ns.example.net.
        _sip._tcp SRV 0 5 5060 host.deep
        txt TXT "hello" "world"
        UPPER A 192.0.2.7

        """

    static func zone(_ text: String = zoneText) throws -> Zone {
        try Zone(parsing: text, origin: origin)
    }

    static func keys(algorithm: DNSSECAlgorithm = .ECDSAP256SHA256, csk: Bool = false) throws -> ZoneKeySet {
        if csk {
            return try ZoneKeySet(zone: origin, keys: [SigningKey.generate(algorithm: algorithm, flags: SigningKey.keySigningFlags)])
        }
        return try ZoneKeySet(zone: origin, keys: [
            SigningKey.generate(algorithm: algorithm, flags: SigningKey.keySigningFlags),
            SigningKey.generate(algorithm: algorithm),
        ])
    }

    static let nsec = SigningPolicy(denial: .nsec)
    static let nsec3 = SigningPolicy(denial: .nsec3)
    static let optOut = SigningPolicy(denial: .nsec3(.init(optOut: true)))
    static let policies: [(String, SigningPolicy)] = [("NSEC", nsec), ("NSEC3", nsec3), ("NSEC3 opt-out", optOut)]
    /// Test arguments: the policies by name, so test output stays readable.
    static let denials = policies.map(\.0)
    static func policy(_ name: String) -> SigningPolicy { policies.first { $0.0 == name }!.1 }

    /// The zone with every signature field emptied: ECDSA signatures are randomised, so two signings
    /// of the same data are compared on everything else. `times`: inception and expiration emptied too
    /// (signatures kept from earlier versions carry earlier times than a full signing's).
    static func withoutSignatureBytes(_ zone: Zone, times: Bool = false) -> Zone {
        let sets = zone.rrsets.map { set -> RRset in
            guard set.type == .RRSIG else { return set }
            let rdatas = set.rdatas.map { rdata -> RData in
                guard case .rrsig(var rrsig) = rdata else { return rdata }
                rrsig.signature = []
                if times {
                    rrsig.inception = 0
                    rrsig.expiration = 0
                }
                return .rrsig(rrsig)
            }
            return RRset(name: set.name, type: .RRSIG, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: rdatas)
        }
        return Zone(rrsets: sets, origin: zone.origin, dnsClass: zone.dnsClass)
    }

    static func rrsigs(_ zone: Zone, at name: DomainName, covering type: RecordType) -> [RRSIG] {
        guard let set = zone.signatures(at: name, covering: type) else { return [] }
        return set.rdatas.compactMap { if case .rrsig(let r) = $0 { r } else { nil } }
    }

    static func nsec3Records(_ zone: Zone) -> [DomainName: NSEC3] {
        var result: [DomainName: NSEC3] = [:]
        for set in zone.rrsets where set.type == .NSEC3 {
            if case .nsec3(let record) = set.rdatas[0] { result[set.name] = record }
        }
        return result
    }
}

@Suite("Zone signer")
struct ZoneSignerTests {
    typealias F = SigningFixtures

    // MARK: Signed data

    @Test("RFC 5155 Appendix A hashes")
    func nsec3HashVectors() {
        let hash = NSEC3Hash(salt: [0xAA, 0xBB, 0xCC, 0xDD], iterations: 12)
        let cases: [(DomainName, String)] = [
            ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
            ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
            ("X.W.Example.", "b4um86eghhds6nea196smvmlo4ors995"),
        ]
        for (name, expected) in cases {
            #expect(Base32Hex.encode(hash.hash(name)) == expected, "\(name)")
            #expect(NSEC3Hash.ownerName(hash: hash.hash(name), zone: "example.").text == expected + ".example.")
            #expect(NSEC3Hash.hash(inOwner: DomainName(stringLiteral: expected + ".example."), zone: "example.") == hash.hash(name))
        }
    }

    @Test("signed data: lowercased owner, original TTL, canonical RDATA order, wildcard owner form")
    func signedDataLayout() throws {
        let rrsig = RRSIG(
            typeCovered: .A, algorithm: 13, labels: 2, originalTTL: 600, expiration: 2, inception: 1, keyTag: 7,
            signerName: "Example.TEST.", signature: [1, 2, 3])
        let set = RRset(name: "WwW.Example.Test.", type: .A, ttl: 300, rdatas: [
            .a(A(IPv4Address("192.0.2.9")!)), .a(A(IPv4Address("192.0.2.1")!)),
        ])
        let data = rrsig.signedData(over: set)
        var fields = WireWriter(compress: false)
        var lowered = rrsig
        lowered.signerName = "example.test."
        lowered.encodeFields(to: &fields)
        // labels 2 < 3 owner labels: the owner is `*.example.test.` (wildcard expansion form).
        let owner: [UInt8] = [1, 42] + DomainName("example.test.").wire
        func record(_ last: UInt8) -> [UInt8] {
            owner + [0, 1, 0, 1, 0, 0, 2, 88, 0, 4, 192, 0, 2, last]
        }
        #expect(data == fields.bytes + record(1) + record(9))

        // With the full label count the owner is the (lowercased) name itself.
        var exact = rrsig
        exact.labels = 3
        let exactData = exact.signedData(over: set)
        #expect(exactData.count == data.count + 2 * (DomainName("www.example.test.").wire.count - owner.count))
        #expect(Array(exactData[fields.bytes.count..<(fields.bytes.count + 18)]) == DomainName("www.example.test.").wire)
        // The signature itself is never part of the signed data.
        var other = rrsig
        other.signature = [9, 9]
        #expect(other.signedData(over: set) == data)
    }

    @Test("the labels field leaves out a leading wildcard label")
    func wildcardLabels() throws {
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: F.keys(), policy: F.nsec, now: F.now)
        #expect(F.rrsigs(signed.zone, at: "*.wild.example.test.", covering: .A).map(\.labels) == [3])
        #expect(F.rrsigs(signed.zone, at: "a.b.c.ent.example.test.", covering: .AAAA).map(\.labels) == [6])
        #expect(F.rrsigs(signed.zone, at: "example.test.", covering: .SOA).map(\.labels) == [2])
    }

    // MARK: What is signed

    @Test("authoritative data and DS are signed; NS at cuts, glue and occluded data are not",
          arguments: F.denials)
    func signedAndUnsigned(denial: String) throws {
        let policy = F.policy(denial)
        let zone = try F.zone()
        let keys = try F.keys()
        let signed = try ZoneSigner.sign(zone: zone, keys: keys, policy: policy, now: F.now).zone
        let zsk = keys.zoneSigningKeys[0].keyTag
        for (name, type) in [
            ("example.test.", RecordType.SOA), ("example.test.", .NS), ("example.test.", .MX), ("www.example.test.", .CNAME),
            ("alias.example.test.", .DNAME), ("secure.example.test.", .DS), ("*.wild.example.test.", .TXT),
            ("UPPER.example.test.", .A), ("_sip._tcp.example.test.", .SRV),
        ] as [(DomainName, RecordType)] {
            #expect(F.rrsigs(signed, at: name, covering: type).map(\.keyTag) == [zsk], "\(name) \(type)")
        }
        for (name, type) in [
            ("secure.example.test.", RecordType.NS), ("insecure.example.test.", .NS), ("ns.secure.example.test.", .A),
            ("ns.insecure.example.test.", .AAAA), ("hidden.insecure.example.test.", .TXT),
            ("zone1.customers.example.test.", .NS),
        ] as [(DomainName, RecordType)] {
            #expect(signed.signatures(at: name, covering: type) == nil, "\(name) \(type)")
            #expect(signed.rrset(at: name, type: type) != nil, "unsigned data is kept: \(name) \(type)")
        }
        // Nothing below a cut gets denial records.
        #expect(signed.rrset(at: "ns.insecure.example.test.", type: .NSEC) == nil)
        #expect(signed.signatures(at: "ns.insecure.example.test.", covering: .NSEC) == nil)
    }

    @Test("KSK signs DNSKEY, CDS and CDNSKEY, the ZSK the rest; a CSK signs everything")
    func keyRoles() throws {
        let keys = try F.keys()
        let ksk = keys.keySigningKeys[0]
        let zsk = keys.zoneSigningKeys[0]
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: F.nsec, now: F.now).zone
        for type in [RecordType.DNSKEY, .CDS, .CDNSKEY] {
            #expect(F.rrsigs(signed, at: F.origin, covering: type).map(\.keyTag) == [ksk.keyTag])
        }
        #expect(F.rrsigs(signed, at: F.origin, covering: .SOA).map(\.keyTag) == [zsk.keyTag])
        #expect(Set(signed.rrset(at: F.origin, type: .DNSKEY)!.rdatas) == [.dnskey(ksk.dnskey), .dnskey(zsk.dnskey)])
        // CDS/CDNSKEY only for the key the parent's DS must point at (RFC 7344).
        let cds = try ksk.dnskey.ds(owner: F.origin, digestType: .sha256).cds
        #expect(signed.rrset(at: F.origin, type: .CDS)!.rdatas == [.cds(cds)])
        #expect(signed.rrset(at: F.origin, type: .CDNSKEY)!.rdatas == [.cdnskey(ksk.dnskey.cdnskey)])

        let csk = try F.keys(csk: true)
        let cskSigned = try ZoneSigner.sign(zone: F.zone(), keys: csk, policy: F.nsec, now: F.now).zone
        for type in [RecordType.DNSKEY, .SOA, .A] {
            #expect(F.rrsigs(cskSigned, at: F.origin, covering: type).map(\.keyTag) == [csk.keys[0].keyTag])
        }
        // Combined roles: both keys sign everything.
        var combined = F.nsec
        combined.keyRoles = .combined
        let both = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: combined, now: F.now).zone
        #expect(Set(F.rrsigs(both, at: F.origin, covering: .SOA).map(\.keyTag)) == [ksk.keyTag, zsk.keyTag])
        #expect(Set(F.rrsigs(both, at: F.origin, covering: .DNSKEY).map(\.keyTag)) == [ksk.keyTag, zsk.keyTag])
        // No CDS when the policy says so.
        var quiet = F.nsec
        quiet.publishCDS = false
        let noCDS = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: quiet, now: F.now).zone
        #expect(noCDS.rrset(at: F.origin, type: .CDS) == nil && noCDS.rrset(at: F.origin, type: .CDNSKEY) == nil)
    }

    // MARK: Times

    @Test("inception one hour back, expiration 14 days minus a reproducible jitter, nextResign 7 days before the first")
    func signatureTimes() throws {
        let keys = try F.keys()
        let policy = F.nsec
        let first = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: policy, now: F.now)
        let second = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: policy, now: F.now)
        var expirations: [UInt32] = []
        for set in first.zone.rrsets where set.type == .RRSIG {
            for case .rrsig(let rrsig) in set.rdatas {
                #expect(rrsig.inception == F.now - 3600)
                #expect(rrsig.expiration <= F.now + 14 * 86400 && rrsig.expiration >= F.now + 13 * 86400)
                #expect(rrsig.expiration == policy.expiration(owner: set.name, type: rrsig.typeCovered, now: F.now))
                #expect(rrsig.originalTTL == set.ttl)
                #expect(rrsig.signerName == F.origin)
                expirations.append(rrsig.expiration)
            }
        }
        // Jittered: not all on the same second; the same owner and type always get the same offset.
        #expect(Set(expirations).count > expirations.count / 2)
        #expect(F.withoutSignatureBytes(first.zone) == F.withoutSignatureBytes(second.zone))
        #expect(first.nextResign == expirations.min()! - 7 * 86400)
        #expect(first.nextResign == second.nextResign)
        // Case does not change the jitter (names compare case-insensitively).
        #expect(policy.expiration(owner: "UPPER.example.test.", type: .A, now: F.now)
            == policy.expiration(owner: "upper.example.test.", type: .A, now: F.now))

        var fixed = policy
        fixed.jitter = 0
        let unjittered = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: fixed, now: F.now)
        #expect(unjittered.nextResign == F.now + 7 * 86400)
    }

    // MARK: NSEC

    @Test("NSEC chain: every authoritative name and delegation in canonical order, closed, with exact bitmaps")
    func nsecChain() throws {
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: F.keys(), policy: F.nsec, now: F.now).zone
        var chain: [(DomainName, NSEC)] = []
        for name in signed.names {
            if let set = signed.rrset(at: name, type: .NSEC), case .nsec(let nsec) = set.rdatas[0] {
                chain.append((name, nsec))
                #expect(set.ttl == 300, "NSEC TTL is min(SOA MINIMUM, SOA TTL)")
                #expect(F.rrsigs(signed, at: name, covering: .NSEC).count == 1)
            }
        }
        let expectedOrder: [DomainName] = [
            "example.test.", "_sip._tcp.example.test.", "alias.example.test.", "zone1.customers.example.test.",
            "zone2.customers.example.test.", "host.deep.example.test.", "a.b.c.ent.example.test.",
            "insecure.example.test.", "mail.example.test.", "ns1.example.test.", "secure.example.test.",
            "txt.example.test.", "upper.example.test.", "web.example.test.", "*.wild.example.test.", "www.example.test.",
        ]
        #expect(chain.map(\.0) == expectedOrder)
        for (index, (_, nsec)) in chain.enumerated() {
            #expect(nsec.nextName == expectedOrder[(index + 1) % expectedOrder.count])
        }
        let bitmaps = Dictionary(uniqueKeysWithValues: chain.map { ($0.0, $0.1.types.types) })
        #expect(bitmaps["example.test."] == [.A, .NS, .SOA, .MX, .RRSIG, .NSEC, .DNSKEY, .CDS, .CDNSKEY])
        #expect(bitmaps["secure.example.test."] == [.NS, .DS, .RRSIG, .NSEC])
        #expect(bitmaps["insecure.example.test."] == [.NS, .RRSIG, .NSEC])
        #expect(bitmaps["alias.example.test."] == [.DNAME, .RRSIG, .NSEC])
        #expect(bitmaps["*.wild.example.test."] == [.A, .TXT, .RRSIG, .NSEC])
        // The mixed-case owner keeps its case; the pointer to it is lowercase.
        #expect(signed.rrset(at: "upper.example.test.", type: .A)!.name.text == "UPPER.example.test.")
    }

    // MARK: NSEC3

    @Test("NSEC3 chain: hashes in order and closed, empty non-terminals with empty bitmaps, NSEC3PARAM at the apex")
    func nsec3Chain() throws {
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: F.keys(), policy: F.nsec3, now: F.now).zone
        let hash = NSEC3Hash()
        let records = F.nsec3Records(signed)
        func record(_ name: DomainName) -> NSEC3? { records[NSEC3Hash.ownerName(hash: hash.hash(name), zone: F.origin)] }

        #expect(signed.rrset(at: F.origin, type: .NSEC3PARAM)?.rdatas == [.nsec3param(NSEC3PARAM(flags: 0, iterations: 0, salt: []))])
        #expect(record(F.origin)?.types.types == [.A, .NS, .SOA, .MX, .RRSIG, .DNSKEY, .NSEC3PARAM, .CDS, .CDNSKEY])
        for ent in ["ent.example.test.", "c.ent.example.test.", "b.c.ent.example.test.", "deep.example.test.",
                    "_tcp.example.test.", "wild.example.test.", "customers.example.test."] as [DomainName] {
            #expect(record(ent)?.types.types == [], "empty non-terminal \(ent)")
        }
        #expect(record("secure.example.test.")?.types.types == [.NS, .DS, .RRSIG])
        #expect(record("insecure.example.test.")?.types.types == [.NS])
        #expect(record("zone1.customers.example.test.")?.types.types == [.NS])
        #expect(record("*.wild.example.test.")?.types.types == [.A, .TXT, .RRSIG])
        for glue in ["ns.insecure.example.test.", "ns.secure.example.test.", "hidden.insecure.example.test."] as [DomainName] {
            #expect(record(glue) == nil, "no NSEC3 below a cut: \(glue)")
        }
        // 16 names with data + 7 empty non-terminals, one record each, no flags, closed ring.
        #expect(records.count == 23)
        let ordered = records.sorted { $0.key < $1.key }
        for (index, (owner, nsec3)) in ordered.enumerated() {
            let next = ordered[(index + 1) % ordered.count].key
            #expect(NSEC3Hash.hash(inOwner: next, zone: F.origin) == nsec3.nextHashedOwner)
            #expect(nsec3.flags == 0 && nsec3.iterations == 0 && nsec3.salt.isEmpty)
            #expect(signed.rrset(at: owner, type: .NSEC3)?.ttl == 300)
            #expect(F.rrsigs(signed, at: owner, covering: .NSEC3).count == 1)
        }
        // No NSEC records in an NSEC3 zone.
        #expect(!signed.rrsets.contains { $0.type == .NSEC })
    }

    @Test("NSEC3 opt-out leaves out insecure delegations and the empty non-terminals only they create")
    func nsec3OptOut() throws {
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: F.keys(), policy: F.optOut, now: F.now).zone
        let hash = NSEC3Hash()
        let records = F.nsec3Records(signed)
        func record(_ name: DomainName) -> NSEC3? { records[NSEC3Hash.ownerName(hash: hash.hash(name), zone: F.origin)] }
        #expect(record("insecure.example.test.") == nil)
        #expect(record("zone1.customers.example.test.") == nil)
        #expect(record("customers.example.test.") == nil)
        #expect(record("secure.example.test.")?.types.types == [.NS, .DS, .RRSIG])
        #expect(records.count == 19)
        #expect(records.values.allSatisfy { $0.flags == NSEC3.optOutFlag })
        #expect(signed.rrset(at: F.origin, type: .NSEC3PARAM)?.rdatas == [.nsec3param(NSEC3PARAM(flags: 0))])
    }

    @Test("salt and iterations reach the hashes and every NSEC3 record")
    func nsec3Parameters() throws {
        let policy = SigningPolicy(denial: .nsec3(.init(iterations: 2, salt: [0xAB, 0xCD])))
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: F.keys(), policy: policy, now: F.now).zone
        let hash = NSEC3Hash(salt: [0xAB, 0xCD], iterations: 2)
        let records = F.nsec3Records(signed)
        #expect(records[NSEC3Hash.ownerName(hash: hash.hash("www.example.test."), zone: F.origin)] != nil)
        #expect(records.values.allSatisfy { $0.iterations == 2 && $0.salt == [0xAB, 0xCD] })
        #expect(ZoneVerifier.verify(signed, now: F.now) == [])
    }

    // MARK: Input handling

    @Test("existing DNSSEC records in the input are replaced, not kept beside the new ones",
          arguments: F.denials)
    func resigningReplaces(denial: String) throws {
        let policy = F.policy(denial)
        let zone = try F.zone()
        let oldKeys = try F.keys()
        let keys = try F.keys()
        // Signed once with other keys and the other denial method, then re-signed.
        let other = policy.nsec3Settings == nil ? F.nsec3 : F.nsec
        let first = try ZoneSigner.sign(zone: zone, keys: oldKeys, policy: other, now: F.now - 86400)
        let again = try ZoneSigner.sign(zone: first.zone, keys: keys, policy: policy, now: F.now)
        let fresh = try ZoneSigner.sign(zone: zone, keys: keys, policy: policy, now: F.now)
        #expect(F.withoutSignatureBytes(again.zone) == F.withoutSignatureBytes(fresh.zone))
        #expect(again.zone.names == fresh.zone.names)
        #expect(again.nextResign == fresh.nextResign)
        #expect(ZoneVerifier.verify(again.zone, now: F.now) == [])
    }

    @Test("every algorithm signs a zone that our verifier accepts",
          arguments: [DNSSECAlgorithm.ECDSAP256SHA256, .ECDSAP384SHA384, .ED25519, .RSASHA256])
    func algorithms(algorithm: DNSSECAlgorithm) throws {
        let keys = try F.keys(algorithm: algorithm)
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: F.nsec3, now: F.now)
        #expect(ZoneVerifier.verify(signed.zone, now: F.now) == [])
        #expect(F.rrsigs(signed.zone, at: F.origin, covering: .SOA).map(\.algorithm) == [algorithm.rawValue])
    }

    @Test("refuses zones without SOA, keys of another zone and unusable policies")
    func errors() throws {
        let keys = try F.keys()
        #expect(throws: ZoneSigningError.noSOA(zone: F.origin)) {
            try ZoneSigner.sign(zone: F.zone("$ORIGIN example.test.\n@ 3600 NS ns1\nns1 3600 A 192.0.2.1\n"), keys: keys, now: F.now)
        }
        let otherKeys = try ZoneKeySet(zone: "example.org.", keys: [SigningKey.generate()])
        #expect(throws: ZoneSigningError.keysForOtherZone(zone: F.origin, keys: "example.org.")) {
            try ZoneSigner.sign(zone: F.zone(), keys: otherKeys, now: F.now)
        }
        var policy = SigningPolicy()
        policy.validity = 3 * 86400
        #expect(throws: ZoneSigningError.self) { try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: policy, now: F.now) }
        #expect(policy.problem != nil)
    }

    @Test("a zone of thousands of names, signed on all cores, has exactly one signature per signed RRset and verifies")
    func largerZone() throws {
        var text = "$ORIGIN example.test.\n$TTL 600\n@ SOA ns1 h 1 2 3 4 60\n@ NS ns1\nns1 A 192.0.2.1\n"
        for i in 0..<3000 {
            text += "h\(i).s\(i % 50) A 10.0.\(i / 250).\(i % 250)\n"
            if i % 100 == 0 { text += "d\(i) NS ns.d\(i)\nns.d\(i) A 192.0.2.2\n" }
        }
        let zone = try F.zone(text)
        let keys = try F.keys()
        // 3003 data RRsets (SOA, NS, ns1, 3000 hosts; delegation NS and glue unsigned), DNSKEY, CDS,
        // CDNSKEY, then NSEC3PARAM and the chain: 3032 names, plus 50 empty non-terminals for NSEC3,
        // minus 30 insecure delegations under opt-out.
        for (policy, expected) in [(F.nsec, 3003 + 3 + 3032), (F.nsec3, 3003 + 4 + 3082), (F.optOut, 3003 + 4 + 3052)] {
            let signed = try ZoneSigner.sign(zone: zone, keys: keys, policy: policy, now: F.now)
            let signatures = signed.zone.rrsets.filter { $0.type == .RRSIG }
            #expect(signatures.allSatisfy { $0.count == 1 })
            #expect(signatures.count == expected)
            #expect(ZoneVerifier.verify(signed.zone, now: F.now) == [])
        }
    }
}
