import Foundation
import Testing

@testable import DNSCore

@Suite("Zone verifier")
struct ZoneVerifierTests {
    typealias F = SigningFixtures

    static func signed(_ policy: SigningPolicy = F.nsec, keys: ZoneKeySet? = nil) throws -> (Zone, ZoneKeySet) {
        let keys = try keys ?? F.keys()
        return (try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: policy, now: F.now).zone, keys)
    }

    static func reasons(_ failures: [VerificationFailure], at owner: DomainName) -> [VerificationFailure.Reason] {
        failures.filter { $0.owner == owner }.map(\.reason)
    }

    @Test("accepts what the signer produced, with every denial method and key layout")
    func acceptsGoodZones() throws {
        for (_, policy) in F.policies {
            #expect(ZoneVerifier.verify(try Self.signed(policy).0, now: F.now) == [])
            #expect(ZoneVerifier.verify(try Self.signed(policy, keys: F.keys(csk: true)).0, now: F.now) == [])
        }
    }

    @Test("one flipped byte in one signature is reported at that RRset and nowhere else")
    func flippedSignature() throws {
        var (zone, _) = try Self.signed(F.nsec3)
        let owner: DomainName = "www.example.test."
        var set = zone.signatures(at: owner, covering: .CNAME)!
        guard case .rrsig(var rrsig) = set.rdatas[0] else { Issue.record("no RRSIG"); return }
        rrsig.signature[10] ^= 0x40
        set = RRset(name: owner, type: .RRSIG, ttl: set.ttl, rdatas: [.rrsig(rrsig)])
        zone.insert(set)
        let failures = ZoneVerifier.verify(zone, now: F.now)
        #expect(Set(failures.map(\.reason)) == [.invalidSignature(keyTag: rrsig.keyTag), .missingSignature(algorithm: .ECDSAP256SHA256)])
        #expect(failures.allSatisfy { $0.owner == owner && $0.type == .CNAME })
    }

    @Test("a record added after signing: unsigned RRset, changed RRset and the broken chain are reported",
          arguments: [F.nsec, F.nsec3])
    func recordAddedAfterSigning(policy: SigningPolicy) throws {
        var (zone, _) = try Self.signed(policy)
        zone.add(ResourceRecord(name: "new.example.test.", ttl: 3600, rdata: .a(A(IPv4Address("192.0.2.77")!))))
        zone.add(ResourceRecord(name: "ns1.example.test.", ttl: 3600, rdata: .a(A(IPv4Address("192.0.2.54")!))))
        let failures = ZoneVerifier.verify(zone, now: F.now)
        let added = Self.reasons(failures, at: "new.example.test.")
        #expect(added.contains(.missingSignature(algorithm: .ECDSAP256SHA256)))
        #expect(added.contains(.missingDenialRecord))
        #expect(Self.reasons(failures, at: "ns1.example.test.").contains { if case .invalidSignature = $0 { true } else { false } })
    }

    @Test("signatures outside their validity period are reported as expired or not yet valid")
    func validityPeriod() throws {
        let (zone, _) = try Self.signed()
        var latest: UInt32 = 0
        var count = 0
        for set in zone.rrsets where set.type == .RRSIG {
            for case .rrsig(let rrsig) in set.rdatas {
                latest = max(latest, rrsig.expiration)
                count += 1
            }
        }
        let late = ZoneVerifier.verify(zone, now: latest + 1)
        #expect(late.filter { if case .expired = $0.reason { true } else { false } }.count == count)
        let justBefore = ZoneVerifier.verify(zone, now: F.now + 13 * 86400)
        #expect(justBefore.isEmpty)
        let early = ZoneVerifier.verify(zone, now: F.now - 7200)
        #expect(early.filter { if case .notYetValid = $0.reason { true } else { false } }.count == count)
    }

    @Test("signatures over glue or delegation NS, and orphan signatures, are reported")
    func unexpectedSignatures() throws {
        var (zone, _) = try Self.signed()
        // Move a valid-looking signature onto glue and onto the NS of a cut.
        let template = zone.signatures(at: "mail.example.test.", covering: .A)!
        zone.insert(RRset(name: "ns.secure.example.test.", type: .RRSIG, ttl: 3600, rdatas: template.rdatas))
        guard case .rrsig(var ns) = template.rdatas[0] else { return }
        ns.typeCovered = .NS
        zone.insert(RRset(name: "insecure.example.test.", type: .RRSIG, ttl: 3600, rdatas: [.rrsig(ns)]))
        ns.typeCovered = .MX
        zone.insert(RRset(name: "txt.example.test.", type: .RRSIG, ttl: 3600, rdatas: [.rrsig(ns)]))
        let failures = ZoneVerifier.verify(zone, now: F.now)
        #expect(failures.contains(.init(owner: "ns.secure.example.test.", type: .A, reason: .unexpectedSignature)))
        #expect(failures.contains(.init(owner: "insecure.example.test.", type: .NS, reason: .unexpectedSignature)))
        #expect(failures.contains(.init(owner: "txt.example.test.", type: .MX, reason: .orphanSignature)))
    }

    @Test("a DNSKEY RRset signed only by the ZSK is reported; a signature by an unpublished key too")
    func keyProblems() throws {
        let keys = try F.keys()
        var combined = F.nsec
        combined.keyRoles = .combined
        var (zone, _) = try Self.signed(combined, keys: keys)
        let ksk = keys.keySigningKeys[0].keyTag
        let dnskeySigs = zone.signatures(at: F.origin, covering: .DNSKEY)!
        zone.insert(RRset(
            name: F.origin, type: .RRSIG, ttl: dnskeySigs.ttl,
            rdatas: dnskeySigs.rdatas.filter { if case .rrsig(let r) = $0 { r.keyTag != ksk } else { true } }))
        #expect(ZoneVerifier.verify(zone, now: F.now) == [
            .init(owner: F.origin, type: .DNSKEY, reason: .dnskeyNotSignedBySEPKey),
        ])

        // The ZSK withdrawn from the DNSKEY RRset: its signatures point at nothing.
        var (other, _) = try Self.signed(F.nsec, keys: keys)
        other.insert(RRset(name: F.origin, type: .DNSKEY, ttl: 3600, rdatas: [.dnskey(keys.keySigningKeys[0].dnskey)]))
        let failures = ZoneVerifier.verify(other, now: F.now)
        let zsk = keys.zoneSigningKeys[0].keyTag
        #expect(failures.contains(.init(owner: "www.example.test.", type: .CNAME, reason: .unknownKey(keyTag: zsk, algorithm: 13))))
        // The DNSKEY RRset changed under its signature too.
        #expect(failures.contains(.init(owner: F.origin, type: .DNSKEY, reason: .invalidSignature(keyTag: ksk))))

        var unsigned = try F.zone()
        #expect(ZoneVerifier.verify(unsigned, now: F.now) == [.init(owner: F.origin, type: .DNSKEY, reason: .noDNSKEY)])
        unsigned.insert(RRset(name: F.origin, type: .DNSKEY, ttl: 3600, rdatas: [.dnskey(keys.keys[0].dnskey)]))
        #expect(ZoneVerifier.verify(unsigned, now: F.now).contains(.init(owner: "mail.example.test.", type: .A, reason: .missingSignature(algorithm: .ECDSAP256SHA256))))
    }

    @Test("NSEC chain: wrong next name, wrong bitmap, missing and extra records")
    func brokenNSEC() throws {
        let (zone, _) = try Self.signed()
        var wrongNext = zone
        wrongNext.insert(RRset(name: "mail.example.test.", type: .NSEC, ttl: 300, rdatas: [
            .nsec(NSEC(nextName: "txt.example.test.", types: TypeBitmap([.A, .RRSIG, .NSEC]))),
        ]))
        #expect(ZoneVerifier.verify(wrongNext, now: F.now).contains(.init(
            owner: "mail.example.test.", type: .NSEC,
            reason: .wrongNext(expected: "ns1.example.test.", found: "txt.example.test."))))

        var wrongTypes = zone
        wrongTypes.insert(RRset(name: "mail.example.test.", type: .NSEC, ttl: 300, rdatas: [
            .nsec(NSEC(nextName: "ns1.example.test.", types: TypeBitmap([.A, .AAAA, .RRSIG, .NSEC]))),
        ]))
        #expect(ZoneVerifier.verify(wrongTypes, now: F.now).contains(.init(
            owner: "mail.example.test.", type: .NSEC,
            reason: .wrongTypes(expected: [.A, .RRSIG, .NSEC], found: [.A, .AAAA, .RRSIG, .NSEC]))))

        var missing = zone
        missing.removeRRset(at: "mail.example.test.", type: .NSEC)
        missing.removeSignatures(at: "mail.example.test.", covering: .NSEC)
        #expect(ZoneVerifier.verify(missing, now: F.now).contains(.init(owner: "mail.example.test.", type: .NSEC, reason: .missingDenialRecord)))

        var extra = zone
        extra.insert(RRset(name: "ns.insecure.example.test.", type: .NSEC, ttl: 300, rdatas: [
            .nsec(NSEC(nextName: "mail.example.test.", types: TypeBitmap([.A, .AAAA, .RRSIG, .NSEC]))),
        ]))
        #expect(ZoneVerifier.verify(extra, now: F.now).contains(.init(owner: "ns.insecure.example.test.", type: .NSEC, reason: .extraDenialRecord)))
    }

    @Test("NSEC3 chain: missing empty non-terminal, extra record, other parameters, opt-out not set")
    func brokenNSEC3() throws {
        let (zone, _) = try Self.signed(F.nsec3)
        let hash = NSEC3Hash()
        let entOwner = NSEC3Hash.ownerName(hash: hash.hash("c.ent.example.test."), zone: F.origin)

        var missing = zone
        missing.removeRRset(at: entOwner, type: .NSEC3)
        missing.removeSignatures(at: entOwner, covering: .NSEC3)
        let missingFailures = ZoneVerifier.verify(missing, now: F.now)
        #expect(missingFailures.contains(.init(owner: "c.ent.example.test.", type: .NSEC3, reason: .missingDenialRecord)))
        #expect(missingFailures.contains { if case .wrongNext = $0.reason { true } else { false } })

        var extra = zone
        let bogus = NSEC3Hash.ownerName(hash: hash.hash("nothing-here.example.test."), zone: F.origin)
        extra.insert(RRset(name: bogus, type: .NSEC3, ttl: 300, rdatas: [
            .nsec3(NSEC3(flags: 0, iterations: 0, salt: [], nextHashedOwner: hash.hash(F.origin), types: TypeBitmap([.A]))),
        ]))
        #expect(ZoneVerifier.verify(extra, now: F.now).contains(.init(owner: bogus, type: .NSEC3, reason: .extraDenialRecord)))

        var salted = zone
        salted.insert(RRset(name: F.origin, type: .NSEC3PARAM, ttl: 300, rdatas: [.nsec3param(NSEC3PARAM(salt: [1, 2]))]))
        let saltedFailures = ZoneVerifier.verify(salted, now: F.now)
        #expect(saltedFailures.contains { if case .nsec3Parameters = $0.reason { true } else { false } })
        #expect(saltedFailures.contains(.init(owner: "www.example.test.", type: .NSEC3, reason: .missingDenialRecord)))

        // An opt-out chain whose records lost the flag no longer covers the insecure delegations.
        var (optOut, _) = try Self.signed(F.optOut)
        for set in optOut.rrsets where set.type == .NSEC3 {
            guard case .nsec3(var record) = set.rdatas[0] else { continue }
            record.flags = 0
            optOut.insert(RRset(name: set.name, type: .NSEC3, ttl: set.ttl, rdatas: [.nsec3(record)]))
        }
        let optOutFailures = ZoneVerifier.verify(optOut, now: F.now)
        #expect(optOutFailures.contains(.init(owner: "insecure.example.test.", type: .NSEC3, reason: .notCoveredByOptOut)))
        #expect(optOutFailures.contains(.init(owner: "zone1.customers.example.test.", type: .NSEC3, reason: .notCoveredByOptOut)))
    }

    @Test("opt-out: a name with data above an insecure delegation is not mistaken for an empty non-terminal")
    func optOutBelowData() throws {
        let zone = try F.zone(F.zoneText + "parent A 192.0.2.5\nchild.parent NS ns.example.net.\nb.a.z NS ns.example.net.\n")
        let signed = try ZoneSigner.sign(zone: zone, keys: F.keys(), policy: F.optOut, now: F.now).zone
        #expect(ZoneVerifier.verify(signed, now: F.now) == [])
        let records = F.nsec3Records(signed)
        #expect(records[NSEC3Hash.ownerName(hash: NSEC3Hash().hash("parent.example.test."), zone: F.origin)]?.types.types == [.A, .RRSIG])
        #expect(records[NSEC3Hash.ownerName(hash: NSEC3Hash().hash("a.z.example.test."), zone: F.origin)] == nil)
    }

    @Test("a zone with both chains, or none, is reported")
    func chainKinds() throws {
        var (zone, _) = try Self.signed(F.nsec)
        zone.insert(RRset(name: F.origin, type: .NSEC3PARAM, ttl: 300, rdatas: [.nsec3param(NSEC3PARAM())]))
        #expect(ZoneVerifier.verify(zone, now: F.now).contains(.init(owner: F.origin, type: nil, reason: .mixedDenialChains)))
        var (bare, _) = try Self.signed(F.nsec)
        for name in bare.names { bare.removeRRset(at: name, type: .NSEC); bare.removeSignatures(at: name, covering: .NSEC) }
        #expect(ZoneVerifier.verify(bare, now: F.now) == [.init(owner: F.origin, type: nil, reason: .noDenialChain)])
    }

    @Test("failures read as owner, type and reason")
    func failureText() {
        let failure = VerificationFailure(owner: "www.example.test.", type: .A, reason: .expired(keyTag: 42, expiration: 0))
        #expect(failure.description == "www.example.test. A: signature by key 42 expired at 19700101000000")
    }
}
