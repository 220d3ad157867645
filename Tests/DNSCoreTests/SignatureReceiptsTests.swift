import Foundation
import Testing

@testable import DNSCore

/// The self-check with receipts must reach exactly the verdict of full public-key verification: the
/// receipts only spare the curve arithmetic for signatures the signer made over the very bytes the
/// verifier rebuilds, with the very key it checks against.
@Suite("Signature receipts")
struct SignatureReceiptsTests {
    typealias F = SigningFixtures

    static func signatureCount(_ zone: Zone) -> Int {
        zone.rrsets.filter { $0.type == .RRSIG }.reduce(0) { $0 + $1.rdatas.count }
    }

    @Test("every signature made has a receipt, and a good zone passes with and without them")
    func goodZones() throws {
        for (_, policy) in F.policies {
            for csk in [false, true] {
                let receipts = SignatureReceipts()
                let signed = try ZoneSigner.sign(zone: F.zone(), keys: F.keys(csk: csk), policy: policy, now: F.now, receipts: receipts)
                #expect(receipts.count == Self.signatureCount(signed.zone))
                #expect(ZoneVerifier.verify(signed.zone, now: F.now, receipts: receipts) == [])
                #expect(ZoneVerifier.verify(signed.zone, now: F.now) == [])
            }
        }
    }

    @Test("a receipt names its key: another key's public bytes find none")
    func receiptsAreBoundToTheKey() throws {
        let keys = try F.keys()
        let receipts = SignatureReceipts()
        let data: [UInt8] = Array("signed data".utf8)
        let signature = try keys.keys[1].sign(data)
        receipts.record(keys.keys[1], signedData: data, signature: signature)
        #expect(receipts.holds(publicKey: keys.keys[1].publicKeyBytes, signedData: data, signature: signature))
        #expect(!receipts.holds(publicKey: keys.keys[0].publicKeyBytes, signedData: data, signature: signature))
        #expect(!receipts.holds(publicKey: keys.keys[1].publicKeyBytes, signedData: data + [0], signature: signature))
        var other = signature
        other[0] ^= 1
        #expect(!receipts.holds(publicKey: keys.keys[1].publicKeyBytes, signedData: data, signature: other))
    }

    /// Random damage to a signed zone (a fresh seed each run, printed): whatever it is, the verifier with
    /// the signer's receipts reports exactly what it reports without them.
    @Test("damaged zones get the same verdict with receipts as without", arguments: F.denials)
    func sameVerdictOnDamage(denial: String) throws {
        let seed = UInt64.random(in: 1 ... .max)
        print("SignatureReceiptsTests \(denial) seed \(seed)")
        var random = SplitMix64(seed: seed)
        let receipts = SignatureReceipts()
        let keys = try F.keys()
        let signed = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: F.policy(denial), now: F.now, receipts: receipts)
        let other = try F.keys()
        var damaging = 0
        for round in 0..<60 {
            var zone = signed.zone
            let sets = zone.rrsets
            let victim = sets[random.below(sets.count)]
            let kind = random.below(6)
            switch kind {
            case 0:  // a flipped signature byte
                let signatures = sets.filter { $0.type == .RRSIG }
                var set = signatures[random.below(signatures.count)]
                var rdatas = set.rdatas
                guard case .rrsig(var rrsig) = rdatas[0] else { continue }
                rrsig.signature[random.below(rrsig.signature.count)] ^= UInt8(1 << random.below(8))
                rdatas[0] = .rrsig(rrsig)
                set = RRset(name: set.name, type: .RRSIG, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: rdatas)
                zone.insert(set)
            case 1:  // an RRset's TTL changed after signing
                guard victim.type != .RRSIG else { continue }
                zone.insert(RRset(name: victim.name, type: victim.type, dnsClass: victim.dnsClass, ttl: victim.ttl + 1, rdatas: victim.rdatas))
            case 2:  // a record added to a signed RRset
                guard victim.type == .A else { continue }
                zone.add(ResourceRecord(name: victim.name, ttl: victim.ttl, rdata: .a(A(IPv4Address("203.0.113.\(random.below(250) + 1)")!))))
            case 3:  // the signatures of two RRsets swapped
                let signatures = sets.filter { $0.type == .RRSIG }
                let first = signatures[random.below(signatures.count)]
                let second = signatures[random.below(signatures.count)]
                zone.insert(RRset(name: first.name, type: .RRSIG, dnsClass: first.dnsClass, ttl: first.ttl, rdatas: second.rdatas))
            case 4:  // the DNSKEY RRset replaced by other keys (the signing keys no longer published)
                zone.insert(RRset(name: F.origin, type: .DNSKEY, dnsClass: .IN, ttl: 3600, rdatas: other.dnskeys.map(\.rdata)))
            default:  // an RRSIG field changed: original TTL, key tag or expiration
                let signatures = sets.filter { $0.type == .RRSIG }
                let set = signatures[random.below(signatures.count)]
                guard case .rrsig(var rrsig) = set.rdatas[0] else { continue }
                switch random.below(3) {
                case 0: rrsig.originalTTL &+= 1
                case 1: rrsig.keyTag &+= 1
                default: rrsig.expiration &+= 1
                }
                var rdatas = set.rdatas
                rdatas[0] = .rrsig(rrsig)
                zone.insert(RRset(name: set.name, type: .RRSIG, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: rdatas))
            }
            let full = ZoneVerifier.verify(zone, now: F.now)
            let withReceipts = ZoneVerifier.verify(zone, now: F.now, receipts: receipts)
            if !full.isEmpty { damaging += 1 }
            #expect(Set(withReceipts) == Set(full), "seed \(seed), round \(round), damage \(kind) at \(victim.name) \(victim.type)")
        }
        #expect(damaging > 20, "seed \(seed): most damage must be found (\(damaging) of 60)")
    }

    @Test("an incremental change: the changed part verifies the same with the update's receipts", arguments: F.denials)
    func incrementalChanges(denial: String) throws {
        let keys = try F.keys()
        let policy = F.policy(denial)
        let before = try ZoneSigner.sign(zone: F.zone(), keys: keys, policy: policy, now: F.now)
        var unsigned = try F.zone()
        unsigned.add(ResourceRecord(name: "fresh.example.test.", ttl: 3600, rdata: .a(A(IPv4Address("192.0.2.200")!))))
        let receipts = SignatureReceipts()
        let after = try ZoneSigner.update(before, applying: ZoneDiff(from: try F.zone(), to: unsigned), keys: keys, policy: policy,
                                          now: F.now, receipts: receipts)
        #expect(receipts.count > 0 && receipts.count < Self.signatureCount(after.zone), "only the new signatures have receipts")
        let names = after.changedNames ?? []
        #expect(ZoneVerifier.verifyChanges(after.zone, names: names, now: F.now, receipts: receipts) == [])
        var damaged = after.zone
        damaged.add(ResourceRecord(name: "fresh.example.test.", ttl: 3600, rdata: .a(A(IPv4Address("192.0.2.201")!))))
        let full = ZoneVerifier.verifyChanges(damaged, names: names, now: F.now)
        #expect(!full.isEmpty)
        #expect(Set(ZoneVerifier.verifyChanges(damaged, names: names, now: F.now, receipts: receipts)) == Set(full))
    }
}
