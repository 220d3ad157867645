import DNSCore
import Foundation
import Testing
@testable import Signer

/// The key lifecycle as a pure machine: driven with simulated time from deadline to deadline, a
/// simulated parent and registrar, no sockets and no sleeps. Each rollover is checked against RFC 7583's
/// formulas (the computed times are printed), and resumed from its stored JSON at every step.
@Suite struct KeyLifecycleTests {
    /// TTLs and delays of one scenario.
    struct Timing: CustomStringConvertible {
        var propagation: Int64
        var dnskeyTTL: Int64
        var maxTTL: Int64
        /// What the parent answers as its DS TTL.
        var parentDSTTL: Int64
        /// Seconds between the signer asking for a DS change (CDS published) and the parent doing it.
        var registrarDelay: Int64

        var policy: KeyPolicy {
            var policy = KeyPolicy()
            policy.propagationDelay = propagation
            policy.dsCheckInterval = 600
            policy.zskLifetime = nil
            return policy
        }
        var facts: ZoneTTLFacts { ZoneTTLFacts(dnskeyTTL: dnskeyTTL, maxZoneTTL: maxTTL) }
        var description: String {
            "Dprp \(propagation)s, TTLkey \(dnskeyTTL)s, TTLsig \(maxTTL)s, TTLds \(parentDSTTL)s, registrar after \(registrarDelay)s"
        }
    }

    static let defaults = Timing(propagation: 3600, dnskeyTTL: 3600, maxTTL: 86_400, parentDSTTL: 86_400, registrarDelay: 2 * 86_400)
    /// Odd TTLs: no propagation delay, a 1 s DNSKEY TTL under a week-long record TTL, a two-day DS TTL,
    /// and a registrar that acts at once.
    static let odd = Timing(propagation: 0, dnskeyTTL: 1, maxTTL: 7 * 86_400, parentDSTTL: 172_800, registrarDelay: 0)
    static let start: Int64 = 1_800_000_000

    /// A usage change of one key, as published.
    struct Change: CustomStringConvertible {
        var at: Int64
        var key: Rollover.KeyRef
        var role: KeyRole
        var usage: KeyUsage
        var description: String {
            "t+\(at - KeyLifecycleTests.start)s \(role.label) \(key.tag)/\(key.algorithm): "
                + "\(usage.published ? "published" : "unpublished")\(usage.signsKeys ? ", signs keys" : "")"
                + "\(usage.signsZone ? ", signs zone" : "")\(usage.inCDS ? ", in CDS" : "")"
        }
    }

    /// Drives a lifecycle: generates keys with made-up tags, answers parent checks from a simulated
    /// registrar, records every publication. `restartEveryStep` round-trips the machine through its
    /// stored JSON after every step, as a `kill -9` and restart would.
    struct Simulator {
        var lifecycle = KeyLifecycle()
        var timing: Timing
        var policy: KeyPolicy
        var now: Int64 = KeyLifecycleTests.start
        var nextTag: UInt16 = 1000
        /// The parent's DS set (key refs) and since when each change is visible at every parent server.
        var parentDS: Set<Rollover.KeyRef> = []
        var pendingDS: (set: Set<Rollover.KeyRef>, at: Int64)?
        var changes: [Change] = []
        var published: [Rollover.KeyRef: KeyUsage] = [:]
        var notices: [KeyNotice] = []
        var parentSeenAt: [Int64] = []
        var restartEveryStep = false
        var steps = 0

        init(timing: Timing) {
            self.timing = timing
            policy = timing.policy
        }

        mutating func run(_ initial: [KeyLifecycle.Action]) {
            var queue = initial
            while !queue.isEmpty {
                switch queue.removeFirst() {
                case .generate(let generation):
                    let keys = generation.roles.map { role -> ManagedKey in
                        nextTag += 1
                        return ManagedKey(tag: nextTag, algorithm: generation.algorithm.rawValue, role: role, state: .prePublished,
                                          since: now, created: now, activeSince: nil)
                    }
                    queue += lifecycle.begin(generation, keys: keys, now: now, policy: policy, facts: timing.facts)
                case .checkParent(let check):
                    registrarActs()
                    let satisfied = check.condition == .newDS ? check.keys.allSatisfy { parentDS.contains($0) } : parentDS.isEmpty
                    if satisfied { parentSeenAt.append(now) }
                    queue += lifecycle.parentChecked(.init(satisfied: satisfied, dsTTL: timing.parentDSTTL, report: "simulated"),
                                                     now: now, policy: policy, facts: timing.facts)
                case .resign:
                    publish()
                case .notice(let notice):
                    notices.append(notice)
                }
            }
            // The registrar reads CDS from what is published.
            let cds = Set(lifecycle.liveKeys.filter { $0.usage.inCDS }.map(KeyLifecycle.ref))
            let wanted: Set<Rollover.KeyRef> = lifecycle.publishesDelete ? [] : cds
            if wanted != parentDS && (pendingDS == nil || pendingDS!.set != wanted) && (!cds.isEmpty || lifecycle.publishesDelete) {
                pendingDS = (wanted, now + timing.registrarDelay)
            }
            if restartEveryStep {
                let data = try! JSONEncoder().encode(lifecycle)
                lifecycle = try! JSONDecoder().decode(KeyLifecycle.self, from: data)
            }
        }

        mutating func registrarActs() {
            if let pending = pendingDS, now >= pending.at {
                parentDS = pending.set
                pendingDS = nil
            }
        }

        mutating func publish() {
            for key in lifecycle.keys {
                let ref = KeyLifecycle.ref(key)
                if published[ref] != key.usage {
                    published[ref] = key.usage
                    changes.append(Change(at: now, key: ref, role: key.role, usage: key.usage))
                }
            }
            // The safety rail the worker checks before every publication.
            for anchor in lifecycle.anchors {
                let usage = published[anchor] ?? .none
                #expect(usage.published && usage.signsKeys, "t+\(now - KeyLifecycleTests.start): key \(anchor.tag) may be named by the parent's DS but is not published and signing the DNSKEY RRset")
            }
        }

        /// From deadline to deadline until nothing is scheduled or `limit` steps passed.
        mutating func runToEnd(limit: Int = 5000) {
            while steps < limit, let deadline = lifecycle.nextDeadline(policy: policy, facts: timing.facts) {
                // A step is never taken before its deadline: one second earlier nothing may change.
                if deadline > now + 1 {
                    let before = lifecycle
                    now = deadline - 1
                    var probe = lifecycle
                    let early = probe.advance(now: now, policy: policy, facts: timing.facts)
                    #expect(!early.contains(.resign), "a transition fired before its deadline at t+\(now - KeyLifecycleTests.start)")
                    lifecycle = before
                }
                now = max(now, deadline)
                steps += 1
                run(lifecycle.advance(now: now, policy: policy, facts: timing.facts))
                if lifecycle.rollover == nil && lifecycle.requestedRoll == nil { break }
            }
        }

        func first(_ key: Rollover.KeyRef, after: Int64 = 0, where test: (KeyUsage) -> Bool) -> Int64? {
            changes.first { $0.key == key && $0.at >= after && test($0.usage) }?.at
        }
    }

    /// A zone signed with its first keys (KSK + ZSK, or a CSK), then `roll` started.
    static func simulate(_ timing: Timing, csk: Bool = false, restart: Bool = false,
                         start roll: (inout Simulator) -> Void) -> Simulator {
        var sim = Simulator(timing: timing)
        sim.restartEveryStep = restart
        sim.policy.csk = csk
        sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: timing.facts))
        sim.parentDS = Set(sim.lifecycle.liveKeys.filter { $0.role.signsKeys }.map(KeyLifecycle.ref))
        sim.now += 30 * 86_400
        roll(&sim)
        sim.runToEnd()
        print("timing: \(timing)")
        for change in sim.changes { print("  \(change)") }
        return sim
    }

    static func roll(_ kind: Rollover.Kind) -> (inout Simulator) -> Void {
        { sim in
            #expect(sim.lifecycle.refusal(of: .roll(kind), policy: sim.policy) == nil)
            sim.run(sim.lifecycle.apply(.roll(kind), now: sim.now, policy: sim.policy, facts: sim.timing.facts))
        }
    }

    // MARK: ZSK pre-publish

    @Test(arguments: [defaults, odd], [false, true])
    func zskRolloverWaitsForDNSKEYThenForCachedSignatures(timing: Timing, restart: Bool) throws {
        let sim = Self.simulate(timing, restart: restart, start: Self.roll(.zsk))
        #expect(sim.lifecycle.rollover == nil, "the rollover finished")
        let zsks = sim.lifecycle.keys.filter { $0.role == .zsk }
        let old = try #require(zsks.first { $0.state == .removed })
        let new = try #require(zsks.first { $0.state == .active })
        let published = try #require(sim.first(KeyLifecycle.ref(new)) { $0.published })
        let signs = try #require(sim.first(KeyLifecycle.ref(new)) { $0.signsZone })
        let oldStops = try #require(sim.first(KeyLifecycle.ref(old), after: Self.start + 1) { !$0.signsZone })
        let oldGone = try #require(sim.first(KeyLifecycle.ref(old), after: Self.start + 1) { !$0.published })
        print("ZSK: new published t+\(published - Self.start), signs +\(signs - published)s (>= Dprp+TTLkey = \(timing.propagation + timing.dnskeyTTL)); "
            + "old stops signing t+\(oldStops - Self.start), unpublished +\(oldGone - oldStops)s (>= Dprp+TTLsig = \(timing.propagation + timing.maxTTL))")
        #expect(signs - published >= timing.propagation + timing.dnskeyTTL)
        #expect(oldStops == signs, "the switch is one publication: no moment without a signing ZSK")
        #expect(oldGone - oldStops >= timing.propagation + timing.maxTTL)
        #expect(sim.notices.contains { if case .finished(.zsk, _, _) = $0 { true } else { false } })
    }

    // MARK: Double-KSK

    @Test(arguments: [defaults, odd], [false, true])
    func kskRolloverWaitsForDNSKEYThenTheParentsDSAndItsTTL(timing: Timing, restart: Bool) throws {
        let sim = Self.simulate(timing, restart: restart, start: Self.roll(.ksk))
        #expect(sim.lifecycle.rollover == nil)
        let ksks = sim.lifecycle.keys.filter { $0.role == .ksk }
        let old = KeyLifecycle.ref(try #require(ksks.first { $0.state == .removed }))
        let new = KeyLifecycle.ref(try #require(ksks.first { $0.state == .active }))
        let published = try #require(sim.first(new) { $0.published })
        let inCDS = try #require(sim.first(new) { $0.inCDS })
        let dsSeen = try #require(sim.parentSeenAt.first)
        let oldGone = try #require(sim.first(old, after: Self.start + 1) { !$0.published })
        print("KSK: new published t+\(published - Self.start), in CDS +\(inCDS - published)s (>= Dprp+TTLkey = \(timing.propagation + timing.dnskeyTTL)); "
            + "DS seen t+\(dsSeen - Self.start); old removed +\(oldGone - dsSeen)s after (>= Dprp+TTLds = \(timing.propagation + timing.parentDSTTL))")
        #expect(inCDS - published >= timing.propagation + timing.dnskeyTTL)
        #expect(dsSeen >= inCDS + timing.registrarDelay, "the DS was not taken as seen before the registrar acted")
        #expect(oldGone - dsSeen >= timing.propagation + timing.parentDSTTL)
        #expect(sim.parentDS == [new], "the parent ends with the new DS only")
        let submits = sim.notices.filter { if case .submitDS = $0 { true } else { false } }
        #expect(submits.count == 1, "one action-needed notice for the DS change")
    }

    // MARK: CSK

    @Test(arguments: [defaults, odd], [false, true])
    func cskRolloverKeepsOldSignaturesAndDSWaits(timing: Timing, restart: Bool) throws {
        let sim = Self.simulate(timing, csk: true, restart: restart, start: Self.roll(.csk))
        #expect(sim.lifecycle.rollover == nil)
        let csks = sim.lifecycle.keys.filter { $0.role == .csk }
        let old = KeyLifecycle.ref(try #require(csks.first { $0.state == .removed }))
        let new = KeyLifecycle.ref(try #require(csks.first { $0.state == .active }))
        let published = try #require(sim.first(new) { $0.published })
        let signsZone = try #require(sim.first(new) { $0.signsZone })
        let oldStops = try #require(sim.first(old, after: Self.start + 1) { !$0.signsZone })
        let oldGone = try #require(sim.first(old, after: Self.start + 1) { !$0.published })
        let dsSeen = try #require(sim.parentSeenAt.first)
        print("CSK: new published t+\(published - Self.start), signs +\(signsZone - published)s; old zone signatures stop t+\(oldStops - Self.start), "
            + "old removed +\(oldGone - oldStops)s (>= Dprp+TTLsig = \(timing.propagation + timing.maxTTL)) and +\(oldGone - dsSeen)s after the DS (>= \(timing.propagation + timing.parentDSTTL))")
        #expect(signsZone - published >= timing.propagation + timing.dnskeyTTL)
        #expect(oldGone - oldStops >= timing.propagation + timing.maxTTL)
        #expect(oldGone - dsSeen >= timing.propagation + timing.parentDSTTL)
    }

    // MARK: Algorithm (key-set) rollover

    @Test(arguments: [defaults, odd], [false, true])
    func algorithmRolloverSignsBeforePublishingAndUnpublishesBeforeUnsigning(timing: Timing, restart: Bool) throws {
        let sim = Self.simulate(timing, restart: restart) { sim in
            sim.policy.algorithm = .ED25519
            sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: sim.timing.facts))
        }
        #expect(sim.lifecycle.rollover == nil)
        #expect(sim.lifecycle.liveKeys.allSatisfy { $0.algorithm == DNSSECAlgorithm.ED25519.rawValue })
        #expect(sim.lifecycle.liveKeys.count == 2)
        let newKSK = KeyLifecycle.ref(try #require(sim.lifecycle.liveKeys.first { $0.role == .ksk }))
        let newZSK = KeyLifecycle.ref(try #require(sim.lifecycle.liveKeys.first { $0.role == .zsk }))
        let oldZSK = KeyLifecycle.ref(try #require(sim.lifecycle.keys.first { $0.role == .zsk && $0.state == .removed }))
        let oldKSK = KeyLifecycle.ref(try #require(sim.lifecycle.keys.first { $0.role == .ksk && $0.state == .removed }))
        let signs = try #require(sim.first(newZSK) { $0.signsZone })
        let published = try #require(sim.first(newZSK) { $0.published })
        let inCDS = try #require(sim.first(newKSK) { $0.inCDS })
        let dsSeen = try #require(sim.parentSeenAt.first)
        let oldUnpublished = try #require(sim.first(oldZSK, after: Self.start + 1) { !$0.published })
        let oldUnsigned = try #require(sim.first(oldZSK, after: Self.start + 1) { !$0.signsZone })
        let oldKSKUnpublished = try #require(sim.first(oldKSK, after: Self.start + 1) { !$0.published })
        print("algorithm: new sign t+\(signs - Self.start), published +\(published - signs)s (>= Dprp+TTLsig = \(timing.propagation + timing.maxTTL)), "
            + "in CDS +\(inCDS - published)s (>= Dprp+TTLkey), DS seen t+\(dsSeen - Self.start), old unpublished +\(oldUnpublished - dsSeen)s after it "
            + "(>= Dprp+TTLds = \(timing.propagation + timing.parentDSTTL)), old signatures removed +\(oldUnsigned - oldUnpublished)s later (>= Dprp+TTLkey)")
        #expect(published - signs >= timing.propagation + timing.maxTTL)
        #expect(inCDS - published >= timing.propagation + timing.dnskeyTTL)
        #expect(oldUnpublished - dsSeen >= timing.propagation + timing.parentDSTTL)
        #expect(oldKSKUnpublished == oldUnpublished)
        #expect(oldUnsigned - oldUnpublished >= timing.propagation + timing.dnskeyTTL)
    }

    // MARK: Going unsigned

    @Test(arguments: [defaults, odd])
    func goingUnsignedKeepsSigningUntilTheDSIsGoneAndItsTTLPassed(timing: Timing) throws {
        let sim = Self.simulate(timing) { sim in
            sim.policy.unsigned = true
            sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: sim.timing.facts))
            #expect(sim.lifecycle.publishesDelete, "CDS/CDNSKEY DELETE published at once")
        }
        #expect(sim.lifecycle.insecure)
        #expect(sim.lifecycle.liveKeys.isEmpty)
        let gone = try #require(sim.parentSeenAt.first)
        let stopped = try #require(sim.changes.last?.at)
        print("unsign: DS gone t+\(gone - Self.start), signing stopped +\(stopped - gone)s (>= Dprp+TTLds = \(timing.propagation + timing.parentDSTTL))")
        #expect(stopped - gone >= timing.propagation + timing.parentDSTTL)
        #expect(sim.parentDS.isEmpty)
    }

    // MARK: The registrar never acts

    @Test func kskRolloverWaitsForeverForAnAbsentRegistrarWithTheOldKeyInService() throws {
        var timing = Self.defaults
        timing.registrarDelay = .max / 4
        var sim = Simulator(timing: timing)
        sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: timing.facts))
        sim.parentDS = Set(sim.lifecycle.liveKeys.filter { $0.role.signsKeys }.map(KeyLifecycle.ref))
        let oldKSK = try #require(sim.lifecycle.liveKeys.first { $0.role == .ksk })
        Self.roll(.ksk)(&sim)
        sim.runToEnd(limit: 2000)
        #expect(sim.lifecycle.rollover?.currentStep.name == "submit-ds", "still waiting for the DS after \(sim.now - Self.start)s")
        let old = try #require(sim.lifecycle.keys.first { $0.tag == oldKSK.tag })
        #expect(old.usage.published && old.usage.signsKeys, "the old KSK stays in service while the parent has only its DS")
        #expect(sim.notices.filter { if case .submitDS = $0 { true } else { false } }.count == 1, "asked once, not at every check")
        // A confirmation for the wrong key is refused with the reason; the right one moves on.
        let wrong = sim.lifecycle.refusal(of: .dsSeen(tag: oldKSK.tag), policy: sim.policy)
        #expect(wrong?.contains("not \(oldKSK.tag)") == true, "\(wrong ?? "accepted")")
        let newKSK = try #require(sim.lifecycle.liveKeys.first { $0.role == .ksk && $0.tag != oldKSK.tag })
        #expect(sim.lifecycle.refusal(of: .dsSeen(tag: newKSK.tag), policy: sim.policy) == nil)
    }

    // MARK: Refusals

    @Test func manualStepsThatWouldBreakTheChainAreRefusedWithAReason() {
        var sim = Simulator(timing: Self.defaults)
        #expect(sim.lifecycle.refusal(of: .roll(.zsk), policy: sim.policy)?.contains("no keys yet") == true)
        sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: Self.defaults.facts))
        #expect(sim.lifecycle.refusal(of: .roll(.csk), policy: sim.policy)?.contains("KSK and a ZSK") == true)
        #expect(sim.lifecycle.refusal(of: .dsGone(tag: 1), policy: sim.policy)?.contains("--unsigned") == true)
        #expect(sim.lifecycle.refusal(of: .dsSeen(tag: 1), policy: sim.policy)?.contains("nothing to confirm") == true)
        sim.run(sim.lifecycle.apply(.roll(.zsk), now: sim.now, policy: sim.policy, facts: Self.defaults.facts))
        #expect(sim.lifecycle.refusal(of: .roll(.ksk), policy: sim.policy)?.contains("in progress") == true)
    }

    // MARK: Lifetimes

    @Test func zskLifetimeStartsARolloverAtItsEndAndNotBefore() {
        var sim = Simulator(timing: Self.defaults)
        sim.policy.zskLifetime = 90 * 86_400
        sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: Self.defaults.facts))
        let deadline = sim.lifecycle.nextDeadline(policy: sim.policy, facts: Self.defaults.facts)
        #expect(deadline == Self.start + 90 * 86_400)
        var early = sim.lifecycle
        #expect(early.advance(now: Self.start + 90 * 86_400 - 1, policy: sim.policy, facts: Self.defaults.facts).isEmpty)
        sim.now = Self.start + 90 * 86_400
        sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: Self.defaults.facts))
        #expect(sim.lifecycle.rollover?.kind == .zsk)
    }

    /// A step's wait never shrinks: when a TTL drops during the wait, the end computed from the larger
    /// TTL at the step's start still holds (caches may hold what was published with it).
    @Test func aWaitDoesNotShrinkWhenTTLsDrop() throws {
        var sim = Simulator(timing: Self.defaults)
        sim.run(sim.lifecycle.advance(now: sim.now, policy: sim.policy, facts: Self.defaults.facts))
        sim.run(sim.lifecycle.apply(.roll(.zsk), now: sim.now, policy: sim.policy, facts: Self.defaults.facts))
        let first = try #require(sim.lifecycle.rollover?.waitUntil)
        let lower = ZoneTTLFacts(dnskeyTTL: 60, maxZoneTTL: 60)
        var copy = sim.lifecycle
        #expect(!copy.advance(now: first - 1, policy: sim.policy, facts: lower).contains(.resign))
        #expect(copy.rollover?.waitUntil == first)
    }
}
