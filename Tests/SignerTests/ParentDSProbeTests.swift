import DNSCore
import Testing
@testable import Signer

/// The verdict over the parent's servers: a rollover moves on only when every server serves what it
/// waits for, validated; one server behind, or one whose answer was not signed, holds it back.
@Suite struct ParentDSProbeTests {
    static let zone: DomainName = "example.test."
    static let parent: DomainName = "test."

    static func ds(_ key: SigningKey) throws -> DS { try key.dnskey.ds(owner: zone, digestType: .sha256) }

    @Test func newDSMustBeAtEveryServer() throws {
        let old = try SigningKey.generate(flags: SigningKey.keySigningFlags)
        let new = try SigningKey.generate(flags: SigningKey.keySigningFlags)
        let check = KeyLifecycle.ParentCheck(condition: .newDS, keys: [Rollover.KeyRef(tag: new.keyTag, algorithm: 13)])
        let partial = ParentDSProbe.judge(zone: Self.zone, parent: Self.parent, check: check, keys: [new.dnskey], answers: [
            ("a.nic.test.", .ds(records: [try Self.ds(old), try Self.ds(new)], ttl: 3600)),
            ("b.nic.test.", .ds(records: [try Self.ds(old)], ttl: 3600)),
        ])
        #expect(!partial.satisfied)
        #expect(partial.report.contains("DS \(new.keyTag) at 1 of 2 servers of test."), "\(partial.report)")
        #expect(partial.report.contains("b.nic.test.: DS \(old.keyTag)"), "\(partial.report)")

        let unsigned = ParentDSProbe.judge(zone: Self.zone, parent: Self.parent, check: check, keys: [new.dnskey], answers: [
            ("a.nic.test.", .ds(records: [try Self.ds(new)], ttl: 3600)),
            ("b.nic.test.", .unusable("DS not signed by test.'s keys")),
        ])
        #expect(!unsigned.satisfied, "an answer the parent did not sign counts for nothing")

        let everywhere = ParentDSProbe.judge(zone: Self.zone, parent: Self.parent, check: check, keys: [new.dnskey], answers: [
            ("a.nic.test.", .ds(records: [try Self.ds(new)], ttl: 600)),
            ("b.nic.test.", .ds(records: [try Self.ds(old), try Self.ds(new)], ttl: 7200)),
        ])
        #expect(everywhere.satisfied)
        #expect(everywhere.dsTTL == 7200, "the longest TTL any server gives is what caches may hold")
        #expect(!ParentDSProbe.judge(zone: Self.zone, parent: Self.parent, check: check, keys: [new.dnskey], answers: []).satisfied,
                "no server, no proof")
    }

    @Test func noDSMustBeProvenAtEveryServer() throws {
        let key = try SigningKey.generate(flags: SigningKey.keySigningFlags)
        let check = KeyLifecycle.ParentCheck(condition: .noDS, keys: [Rollover.KeyRef(tag: key.keyTag, algorithm: 13)])
        let still = ParentDSProbe.judge(zone: Self.zone, parent: Self.parent, check: check, keys: [key.dnskey], answers: [
            ("a.nic.test.", .noDS), ("b.nic.test.", .ds(records: [try Self.ds(key)], ttl: 3600)),
        ])
        #expect(!still.satisfied)
        #expect(still.report.contains("still DS \(key.keyTag)"), "\(still.report)")
        let gone = ParentDSProbe.judge(zone: Self.zone, parent: Self.parent, check: check, keys: [key.dnskey], answers: [
            ("a.nic.test.", .noDS), ("b.nic.test.", .noDS),
        ])
        #expect(gone.satisfied)
    }
}
