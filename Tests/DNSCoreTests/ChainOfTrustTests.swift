import Foundation
import Testing
@testable import DNSCore

private let child: DomainName = "child.test."

/// The key and DS records of RFC 4034 §5.4 and RFC 4509 §2.3: published digests we did not compute.
private let rfcZone: DomainName = "dskey.example.com."
private let rfcKey = DNSKEY(flags: 256, algorithm: 5, publicKey: Base64.decode("""
    AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvx\
    egXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==
    """)!)
private let rfcSHA1 = DS(keyTag: 60485, algorithm: 5, digestType: 1,
                         digest: Base16.decode(Array("2BB183AF5F22588179A53B0A98631FAD1A292118".utf8)[...])!)
private let rfcSHA256 = DS(keyTag: 60485, algorithm: 5, digestType: 2,
                           digest: Base16.decode(Array("D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A".utf8)[...])!)

private func response(aa: Bool = true, rcode: RCode = .NOERROR, answers: [ResourceRecord] = [],
                      authority: [ResourceRecord] = []) -> Message {
    var query = Message.query(name: child, type: .DS, id: 7)
    query.flags.rd = false
    var message = query.makeResponse(rcode: rcode)
    message.flags.aa = aa
    message.answers = answers
    message.authority = authority
    return message
}

private func soa(_ owner: DomainName) -> ResourceRecord {
    ResourceRecord(name: owner, ttl: 300, rdata: .soa(SOA(
        mname: "ns.test.", rname: "h.test.", serial: SerialNumber(1), refresh: 1, retry: 1, expire: 1, minimum: 300)))
}

@Suite struct ChainOfTrustTests {
    let ksk: SigningKey
    let zsk: SigningKey
    let other: SigningKey
    let chain: ChainOfTrust

    init() throws {
        ksk = try SigningKey.generate(flags: SigningKey.keySigningFlags)
        zsk = try SigningKey.generate(flags: SigningKey.zoneSigningFlags)
        other = try SigningKey.generate(flags: SigningKey.keySigningFlags)
        chain = ChainOfTrust(zone: child, keys: [ksk.dnskey, zsk.dnskey])
    }

    func ds(_ key: SigningKey, digest: DSDigestType = .sha256) throws -> DS { try key.dnskey.ds(owner: child, digestType: digest) }

    // MARK: Matching

    @Test func publishedRFCDigestsMatchThePublishedKey() {
        // A key without the SEP flag: with no KSK in the set, any zone key may be pointed at.
        let rfc = ChainOfTrust(zone: rfcZone, keys: [rfcKey])
        #expect(rfc.keySigningKeys == [rfcKey])
        #expect(rfc.assess(.ds([rfcSHA1])) == .matching(keyTags: [60485], unmatchedDSTags: []))
        #expect(rfc.assess(.ds([rfcSHA256])) == .matching(keyTags: [60485], unmatchedDSTags: []))
        #expect(rfc.expectedDS == [rfcSHA256], "we hand the registrar SHA-256, RFC 4509's digest")
        // The same DS under another owner name does not match: the owner is part of the digest.
        let elsewhere = ChainOfTrust(zone: "other.example.com.", keys: [rfcKey])
        #expect(elsewhere.assess(.ds([rfcSHA256])) == .mismatch(dsTags: [60485]))
    }

    @Test func aDSForOurKSKEstablishesTheChain() throws {
        #expect(chain.keySigningKeys == [ksk.dnskey], "the ZSK is not a KSK")
        let verdict = chain.verdict([("ns1.test.", .ds([try ds(ksk)])), ("ns2.test.", .ds([try ds(ksk, digest: .sha384)]))])
        #expect(verdict == .established(matching: [ksk.keyTag], unmatchedDSTags: []))
        #expect(verdict.isEstablished)
        #expect(chain.conclusion(verdict) == "chain of trust established (DS for KSK \(ksk.keyTag) at the parent)")
    }

    @Test func staleDSBesideAMatchingOneIsStillEstablishedAndPointedOut() throws {
        let verdict = chain.verdict([("ns1.test.", .ds([try ds(ksk), try ds(other)]))])
        #expect(verdict == .established(matching: [ksk.keyTag], unmatchedDSTags: [other.keyTag]))
        #expect(chain.conclusion(verdict).contains("the parent also has DS for tag \(other.keyTag), which matches none of our keys"))
    }

    // MARK: Not there, or wrong

    @Test func noDSSaysWhatToGiveTheRegistrar() throws {
        let verdict = chain.verdict([("ns1.test.", .noDS), ("ns2.test.", .noDS)])
        #expect(verdict == .notPublished)
        let text = chain.conclusion(verdict)
        let expected = try ds(ksk)
        #expect(text.hasPrefix("DS not published at the parent yet — give your registrar:\n"))
        #expect(text.contains("child.test.\t3600\tIN\tDS\t\(ksk.keyTag) 13 2 \(Base16.encode(expected.digest))"))
        #expect(text.contains("Key Tag: \(ksk.keyTag)\nAlgorithm: 13 (ECDSAP256SHA256)\nDigest Type: 2 (SHA-256)"))
        #expect(!text.contains("Key Tag: \(zsk.keyTag)"), "only KSKs go to the registrar")
    }

    @Test func aDSForAnotherKeyIsAMismatchNamingBothSides() throws {
        let verdict = chain.verdict([("ns1.test.", .ds([try ds(other)]))])
        #expect(verdict == .mismatch(dsTags: [other.keyTag], ourKSKs: [ksk.keyTag]))
        #expect(chain.conclusion(verdict).hasPrefix(
            "DS at the parent does not match any KSK: parent has tags [\(other.keyTag)], our KSKs are [\(ksk.keyTag)]"))
    }

    @Test func aDSForTheZSKIsAMismatch() throws {
        #expect(chain.verdict([("ns1.test.", .ds([try ds(zsk)]))]) == .mismatch(dsTags: [zsk.keyTag], ourKSKs: [ksk.keyTag]))
    }

    @Test func theRightTagWithAWrongDigestIsCalledOut() throws {
        var wrong = try ds(ksk)
        wrong.digest[0] ^= 0xFF
        let verdict = chain.verdict([("ns1.test.", .ds([wrong]))])
        #expect(verdict == .mismatch(dsTags: [ksk.keyTag], ourKSKs: [ksk.keyTag]))
        #expect(chain.conclusion(verdict).contains("tag [\(ksk.keyTag)] is ours but the digest differs"))
    }

    @Test func aDSWithADigestTypeWeCannotComputeNeverMatches() throws {
        var gost = try ds(ksk)
        gost.digestType = 3
        #expect(chain.assess(.ds([gost])) == .mismatch(dsTags: [ksk.keyTag]))
    }

    @Test func nxdomainMeansNoDelegation() {
        let verdict = chain.verdict([("ns1.test.", .nxdomain)])
        #expect(verdict == .notDelegated)
        #expect(chain.conclusion(verdict).hasPrefix("the parent has no delegation for child.test. (NXDOMAIN)"))
    }

    // MARK: Several servers

    @Test func serversThatDisagreeArePartial() throws {
        let verdict = chain.verdict([("ns1.test.", .ds([try ds(ksk)])), ("ns2.test.", .noDS)])
        #expect(verdict == .partial(matching: [ksk.keyTag], serversWithDS: ["ns1.test."], serversWithout: ["ns2.test."]))
        #expect(!verdict.isEstablished)
        #expect(chain.conclusion(verdict).hasPrefix("the parent's servers disagree: 1 of 2 have the DS for KSK \(ksk.keyTag), ns2.test. does not yet"))
    }

    @Test func serversWithoutAUsableAnswerAreLeftOutUnlessNoneAnswers() throws {
        let verdict = chain.verdict([("ns1.test.", .unusable("timed out")), ("ns2.test.", .ds([try ds(ksk)]))])
        #expect(verdict.isEstablished)
        let silent = chain.verdict([("ns1.test.", .unusable("timed out")), ("ns2.test.", .unusable("answered REFUSED"))])
        #expect(silent == .noAnswer(["ns1.test.: timed out", "ns2.test.: answered REFUSED"]))
        #expect(chain.conclusion(silent) == "no parent server gave a usable answer: ns1.test.: timed out; ns2.test.: answered REFUSED")
        #expect(chain.verdict([]) == .noAnswer([]))
    }

    @Test func withoutKeysThereIsNothingToCompare() throws {
        let none = ChainOfTrust(zone: child, keys: [])
        #expect(none.verdict([("ns1.test.", .ds([try ds(ksk)]))]) == .noKeys)
        // A revoked KSK is not one a DS should point at.
        let revoked = DNSKEY(flags: 257 | 0x80, algorithm: 13, publicKey: ksk.dnskey.publicKey)
        #expect(ChainOfTrust(zone: child, keys: [revoked]).keySigningKeys.isEmpty)
    }

    // MARK: Reading responses

    @Test func authoritativeAnswersAreRead() throws {
        let record = ResourceRecord(name: child, ttl: 3600, rdata: .ds(try ds(ksk)))
        #expect(ParentDSAnswer(response: response(answers: [record]), zone: child) == .ds([try ds(ksk)]))
        #expect(ParentDSAnswer(response: response(authority: [soa("test.")]), zone: child) == .noDS)
        #expect(ParentDSAnswer(response: response(rcode: .NXDOMAIN, authority: [soa("test.")]), zone: child) == .nxdomain)
        // Owner names compare case-insensitively.
        let upper = ResourceRecord(name: "CHILD.Test.", ttl: 3600, rdata: .ds(try ds(ksk)))
        #expect(ParentDSAnswer(response: response(answers: [upper]), zone: child) == .ds([try ds(ksk)]))
    }

    @Test func answersThatProveNothingAreUnusable() throws {
        let record = ResourceRecord(name: child, ttl: 3600, rdata: .ds(try ds(ksk)))
        func reason(_ message: Message) -> String? {
            if case .unusable(let reason) = ParentDSAnswer(response: message, zone: child) { return reason }
            return nil
        }
        #expect(reason(response(aa: false, answers: [record]))?.contains("not authoritative") == true)
        #expect(reason(response(rcode: .REFUSED)) == "answered REFUSED")
        #expect(reason(response(rcode: .SERVFAIL)) == "answered SERVFAIL")
        // The child's own server answers NODATA from the child zone: that says nothing about the parent.
        #expect(reason(response(authority: [soa(child)]))
            == "answered from child.test. itself: this server serves the zone, not its parent")
        let referral = ResourceRecord(name: "test.", ttl: 300, rdata: .ns(NS(target: "a.nic.test.")))
        #expect(reason(response(aa: false, authority: [referral])) == "not authoritative for the parent: it refers to test.")
        #expect(reason(response(aa: false, rcode: .NXDOMAIN))?.contains("NXDOMAIN without the AA bit") == true)
    }
}
