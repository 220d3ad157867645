import Foundation
import Testing

@testable import DNSCore

@Suite("Incremental signing")
struct IncrementalSigningTests {
    typealias F = SigningFixtures

    /// Edits of the fixture zone, each a (description, new zone text) pair.
    static let edits: [(String, String)] = [
        ("add a name", F.zoneText + "new A 192.0.2.200\n"),
        ("remove a name", F.zoneText.replacingOccurrences(of: "txt TXT \"hello\" \"world\"\n", with: "")),
        ("change an RRset", F.zoneText.replacingOccurrences(of: "www CNAME web", with: "www CNAME host.deep")
            + "ns1 A 192.0.2.54\n"),
        ("change only the SOA serial", F.zoneText.replacingOccurrences(of: "2024010101", with: "2024010102")),
        ("add a delegation over existing names", F.zoneText + "deep NS ns.example.net.\n"),
        ("remove a delegation", F.zoneText.replacingOccurrences(of: "insecure NS ns.insecure\ninsecure NS ns.example.net.\n", with: "")),
        ("secure an insecure delegation", F.zoneText + "zone1.customers DS 1 13 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n"),
        ("add a name under new empty non-terminals", F.zoneText + "x.y.z.fresh AAAA 2001:db8::99\n"),
        ("remove the only name under empty non-terminals", F.zoneText.replacingOccurrences(of: "a.b.c.ent AAAA 2001:db8::1\n", with: "")),
        ("remove a DNAME and add data below it", F.zoneText.replacingOccurrences(of: "alias DNAME example.net.\n", with: "")
            + "www.alias A 192.0.2.33\n"),
        ("add an insecure delegation under a new empty non-terminal", F.zoneText + "zone3.more.customers NS ns.example.net.\n"),
        ("many changes at once", F.zoneText.replacingOccurrences(of: "2024010101", with: "2024010105")
            .replacingOccurrences(of: "mail A 192.0.2.25\n", with: "")
            + "mail2 A 192.0.2.26\nq.r.s MX 5 mail2\n*.w2 TXT \"w\"\nsecure2 NS ns.secure2\nsecure2 DS 2 13 2 AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899\nns.secure2 A 192.0.2.12\n"),
    ]

    static let cases: [(String, String)] = edits.flatMap { edit in F.denials.map { (edit.0, $0) } }

    /// RRSIG sets (by owner and covered type) that are not byte-for-byte the same in both zones.
    static func changedSignatureSets(_ old: Zone, _ new: Zone) -> Set<String> {
        var result: Set<String> = []
        for set in new.rrsets where set.type == .RRSIG {
            if old.signatures(at: set.name, covering: set.coveredType!) != set {
                result.insert("\(set.name.text.lowercased()) \(set.coveredType!)")
            }
        }
        return result
    }

    @Test("an incremental update equals a full signing of the new zone at the same time", arguments: cases)
    func equalsFullSigning(edit: String, denial: String) throws {
        let text = Self.edits.first { $0.0 == edit }!.1
        let policy = F.policy(denial)
        let keys = try F.keys()
        let old = try F.zone()
        let new = try F.zone(text)
        let diff = ZoneDiff(from: old, to: new)
        #expect(!diff.isEmpty)
        let previous = try ZoneSigner.sign(zone: old, keys: keys, policy: policy, now: F.now)
        let updated = try ZoneSigner.update(previous, applying: diff, keys: keys, policy: policy, now: F.now)
        let full = try ZoneSigner.sign(zone: new, keys: keys, policy: policy, now: F.now)

        #expect(F.withoutSignatureBytes(updated.zone) == F.withoutSignatureBytes(full.zone), "\(edit), \(denial)")
        #expect(updated.zone.names == full.zone.names)
        #expect(updated.nextResign == full.nextResign)
        #expect(updated.nsec3Digests == full.nsec3Digests)
        #expect(ZoneVerifier.verify(updated.zone, now: F.now) == [], "\(edit), \(denial)")

        // Only what the edit touches was signed again: far fewer sets than a full signing makes.
        let changed = Self.changedSignatureSets(previous.zone, updated.zone)
        let total = updated.zone.rrsets.filter { $0.type == .RRSIG }.count
        #expect(changed.count <= total / 2, "\(edit), \(denial): re-signed \(changed.sorted())")
        // Unrelated RRsets keep their exact signatures.
        #expect(updated.zone.signatures(at: "_sip._tcp.example.test.", covering: .SRV)
            == previous.zone.signatures(at: "_sip._tcp.example.test.", covering: .SRV))
        #expect(updated.zone.signatures(at: F.origin, covering: .DNSKEY) == previous.zone.signatures(at: F.origin, covering: .DNSKEY))
    }

    @Test("what an edit re-signs: the changed RRsets and the chain records around them, nothing else")
    func resignsOnlyWhatChanged() throws {
        let keys = try F.keys()
        let old = try F.zone()
        let new = try F.zone(F.zoneText + "new A 192.0.2.200\n")
        let previous = try ZoneSigner.sign(zone: old, keys: keys, policy: F.nsec, now: F.now)
        let updated = try ZoneSigner.update(previous, applying: ZoneDiff(from: old, to: new), keys: keys, policy: F.nsec, now: F.now + 60)
        // The new A, its NSEC, and the NSEC of the name before it (mail) are signed at the new time.
        #expect(Self.changedSignatureSets(previous.zone, updated.zone)
            == ["new.example.test. A", "new.example.test. NSEC", "mail.example.test. NSEC"])
        #expect(F.rrsigs(updated.zone, at: "new.example.test.", covering: .A).map(\.inception) == [F.now + 60 - 3600])
        #expect(ZoneVerifier.verify(updated.zone, now: F.now + 60) == [])

        let previous3 = try ZoneSigner.sign(zone: old, keys: keys, policy: F.nsec3, now: F.now)
        let updated3 = try ZoneSigner.update(previous3, applying: ZoneDiff(from: old, to: new), keys: keys, policy: F.nsec3, now: F.now + 60)
        let changed3 = Self.changedSignatureSets(previous3.zone, updated3.zone)
        // The A, the new name's NSEC3 and the one before it in hash order.
        #expect(changed3.count == 3)
        #expect(changed3.contains("new.example.test. A"))
        #expect(changed3.filter { $0.hasSuffix("NSEC3") }.count == 2)
    }

    @Test("changed keys or denial settings make the update a full signing")
    func settingsChangeSignsEverything() throws {
        let old = try F.zone()
        let new = try F.zone(F.zoneText + "new A 192.0.2.200\n")
        let previous = try ZoneSigner.sign(zone: old, keys: F.keys(), policy: F.nsec, now: F.now)
        let newKeys = try F.keys()
        let rolled = try ZoneSigner.update(previous, applying: ZoneDiff(from: old, to: new), keys: newKeys, policy: F.nsec, now: F.now)
        let tags = Set(newKeys.keys.map(\.keyTag))
        for set in rolled.zone.rrsets where set.type == .RRSIG {
            for case .rrsig(let rrsig) in set.rdatas { #expect(tags.contains(rrsig.keyTag)) }
        }
        #expect(ZoneVerifier.verify(rolled.zone, now: F.now) == [])

        let switched = try ZoneSigner.update(previous, applying: ZoneDiff(from: old, to: new), keys: newKeys, policy: F.nsec3, now: F.now)
        let full = try ZoneSigner.sign(zone: new, keys: newKeys, policy: F.nsec3, now: F.now)
        #expect(F.withoutSignatureBytes(switched.zone) == F.withoutSignatureBytes(full.zone))
    }

    @Test("an SOA MINIMUM change moves every NSEC TTL and is handled like a full signing")
    func denialTTLChange() throws {
        let keys = try F.keys()
        let old = try F.zone()
        let new = try F.zone(F.zoneText.replacingOccurrences(of: "1209600 300", with: "1209600 120"))
        let previous = try ZoneSigner.sign(zone: old, keys: keys, policy: F.nsec3, now: F.now)
        let updated = try ZoneSigner.update(previous, applying: ZoneDiff(from: old, to: new), keys: keys, policy: F.nsec3, now: F.now)
        let full = try ZoneSigner.sign(zone: new, keys: keys, policy: F.nsec3, now: F.now)
        #expect(F.withoutSignatureBytes(updated.zone) == F.withoutSignatureBytes(full.zone))
        #expect(updated.zone.rrsets.filter { $0.type == .NSEC3 }.allSatisfy { $0.ttl == 120 })
    }

    // MARK: Refresh

    @Test("refresh re-signs only signatures inside the refresh margin and moves nextResign forward",
          arguments: F.denials)
    func refreshRenewsDueSignatures(denial: String) throws {
        let policy = F.policy(denial)
        let keys = try F.keys()
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: policy, now: F.now)

        // Nothing is due before nextResign.
        let early = try ZoneSigner.refresh(signed, keys: keys, policy: policy, now: signed.nextResign - 3601)
        #expect(early == signed)

        let later = signed.nextResign
        let refreshed = try ZoneSigner.refresh(signed, keys: keys, policy: policy, now: later)
        var renewed = 0
        var kept = 0
        for set in refreshed.zone.rrsets where set.type == .RRSIG {
            for case .rrsig(let rrsig) in set.rdatas {
                if rrsig.inception == later - 3600 {
                    renewed += 1
                } else {
                    kept += 1
                    #expect(rrsig.inception == F.now - 3600)
                    // Kept signatures have more than margin + batch left.
                    #expect(rrsig.expiration - later >= 7 * 86400 + 3600)
                }
            }
        }
        #expect(renewed > 0 && kept > 0)
        #expect(refreshed.nextResign > later)
        #expect(ZoneVerifier.verify(refreshed.zone, now: later) == [])
        // Everything except the signatures is as it was.
        #expect(refreshed.zone.rrsets.filter { $0.type != .RRSIG } == signed.zone.rrsets.filter { $0.type != .RRSIG })

        // Long after expiry everything is re-signed and valid again.
        let revived = try ZoneSigner.refresh(signed, keys: keys, policy: policy, now: F.now + 40 * 86400)
        #expect(ZoneVerifier.verify(revived.zone, now: F.now + 40 * 86400) == [])
        #expect(ZoneVerifier.verify(signed.zone, now: F.now + 40 * 86400) != [])
    }

    @Test("an update long after the previous signing also renews what has fallen due")
    func updateRefreshes() throws {
        let keys = try F.keys()
        let old = try F.zone()
        let new = try F.zone(F.zoneText + "new A 192.0.2.200\n")
        let previous = try ZoneSigner.sign(zone: old, keys: keys, policy: F.nsec3, now: F.now)
        let later = F.now + 20 * 86400
        let updated = try ZoneSigner.update(previous, applying: ZoneDiff(from: old, to: new), keys: keys, policy: F.nsec3, now: later)
        let full = try ZoneSigner.sign(zone: new, keys: keys, policy: F.nsec3, now: later)
        #expect(F.withoutSignatureBytes(updated.zone) == F.withoutSignatureBytes(full.zone))
        #expect(updated.nextResign == full.nextResign)
        #expect(ZoneVerifier.verify(updated.zone, now: later) == [])
    }

    @Test("the unsigned zone comes back out of a signed one")
    func unsignedZone() throws {
        let zone = try F.zone()
        for (_, policy) in F.policies {
            let signed = try ZoneSigner.sign(zone: zone, keys: F.keys(), policy: policy, now: F.now)
            #expect(signed.unsignedZone == zone)
            #expect(signed.unsignedZone.names == zone.names)
        }
    }

    @Test("a signed zone read back from its file can be updated incrementally", arguments: F.denials)
    func restoredZone(denial: String) throws {
        let policy = F.policy(denial)
        let keys = try F.keys()
        let old = try F.zone()
        let new = try F.zone(F.zoneText + "x.y.z.fresh AAAA 2001:db8::99\n")
        let signed = try ZoneSigner.sign(zone: old, keys: keys, policy: policy, now: F.now)
        let text = ZoneFileWriter().write(signed.zone)
        let restored = SignedZone(restoring: try Zone(parsing: text, origin: F.origin), keys: keys, policy: policy)
        #expect(restored.fingerprint != nil)
        #expect(restored.nextResign == signed.nextResign)
        #expect(restored.nsec3Digests == signed.nsec3Digests)
        let updated = try ZoneSigner.update(restored, applying: ZoneDiff(from: old, to: new), keys: keys, policy: policy, now: F.now)
        let full = try ZoneSigner.sign(zone: new, keys: keys, policy: policy, now: F.now)
        #expect(F.withoutSignatureBytes(updated.zone) == F.withoutSignatureBytes(full.zone))
        #expect(updated.zone.signatures(at: "txt.example.test.", covering: .TXT) == signed.zone.signatures(at: "txt.example.test.", covering: .TXT))

        // Other keys than the zone was signed with: nothing can be kept.
        let stranger = SignedZone(restoring: try Zone(parsing: text, origin: F.origin), keys: try F.keys(), policy: policy)
        #expect(stranger.fingerprint == nil)
    }
}
