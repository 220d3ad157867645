import Foundation
import Testing

/// Issue 13's proof, nothing mocked: a real chain of trust from a local root (RolloverChainHarness.swift), TTLs
/// of seconds, a validating unbound asked every 0.5 s for a positive and a negative answer, and a registrar that
/// follows the signer's CDS. Each rollover must finish by itself, in the order RFC 6781/7583 ask for as seen from
/// outside, while unbound never answers SERVFAIL and every answer stays validated (AD) for as long as the zone is
/// meant to be signed. Each test prints the timeline it observed (and the seed of anything random).
@Suite(.serialized)
struct KeyRolloverChainTests {
    static let zone = RolloverChain.zone

    // MARK: Shared checks

    /// Stops the prober and checks what unbound answered: enough questions asked, no SERVFAIL, no other
    /// failure, and with `secure` every answer validated; then the registrar's complaints.
    static func expectChainHeld(_ chain: RolloverChain, secure: Bool, minimumProbes: Int = 20,
                                sourceLocation: SourceLocation = #_sourceLocation) -> RolloverChain.Prober.Report {
        let report = chain.prober.finish()
        chain.note("prober: \(report.summary)")
        let failures = report.failures.prefix(10).map(\.description).joined(separator: "\n")
        #expect(report.probes >= minimumProbes, "the prober asked only \(report.probes) questions:\n\(chain.timeline)",
                sourceLocation: sourceLocation)
        let unboundSays = chain.unboundValidationLog()
        #expect(report.servfails == 0, "unbound answered SERVFAIL \(report.servfails) times:\n\(failures)\n\(unboundSays)\ntimeline:\n\(chain.timeline)",
                sourceLocation: sourceLocation)
        #expect(report.failures.isEmpty, "\(report.failures.count) wrong answers from unbound:\n\(failures)\ntimeline:\n\(chain.timeline)",
                sourceLocation: sourceLocation)
        if secure {
            let first = report.firstWithoutAD.map { String(format: "+%.1f s", $0) } ?? "-"
            #expect(report.withoutAD == 0, Comment(rawValue: "\(report.withoutAD) answers not validated (no AD), the first at \(first), "
                    + "although the zone stayed signed:\n\(chain.timeline)"), sourceLocation: sourceLocation)
        }
        let complaints = chain.registrar.complaints.joined(separator: "\n")
        #expect(chain.registrar.complaints.isEmpty, "the registrar refused what the signer published:\n\(complaints)",
                sourceLocation: sourceLocation)
        return report
    }

    /// `keys status` before a rollover, required.
    static func statusBefore(_ chain: RolloverChain, sourceLocation: SourceLocation = #_sourceLocation) throws -> KeysStatus {
        let (status, output) = chain.keysStatus()
        let before = try #require(status, "keys status --json gave nothing usable:\n\(output)", sourceLocation: sourceLocation)
        #expect(before.rollover == nil, "no rollover before the test starts one: \(before.summary)", sourceLocation: sourceLocation)
        chain.note("before: \(before.summary)")
        return before
    }

    /// Waits (at most 10 s) until `keys status` shows a rollover: the daemon picked the command up.
    static func expectRolloverStarted(_ chain: RolloverChain, kind: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        let started = RolloverChain.poll(10, step: 0.5) { chain.keysStatus().status } until: { $0?.rollover != nil }
        #expect(started.ok, "keys status shows no rollover 10 s after starting one:\n\(started.value?.summary ?? chain.keysStatus().output)",
                sourceLocation: sourceLocation)
        if let kind, let rollover = started.value?.rollover {
            #expect(rollover.kind.lowercased().contains(kind), "rollover kind \(rollover.kind), expected \(kind)", sourceLocation: sourceLocation)
        }
    }

    /// The observed gap between two moments seen by the observer can be short of the real one by at most the
    /// longest spacing between its samples.
    static func slack(_ chain: RolloverChain) -> Double {
        let times = chain.observer.samples.map(\.time)
        return zip(times.dropFirst(), times).map { $0 - $1 }.max() ?? 1
    }

    static func keysRoll(_ chain: RolloverChain, _ role: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let roll = try chain.signerCLI(["keys", "roll", zone, role])
        chain.note("dns-signer keys roll \(zone) \(role) → exit \(roll.status): \(roll.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(roll.status == 0, "keys roll \(role): \(roll.output)", sourceLocation: sourceLocation)
    }

    /// The DS the parent serves is exactly the SHA-256 DS of `tags` among the keys the signer serves.
    static func expectParentDS(_ chain: RolloverChain, is tags: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        let keys = chain.signerKeys()
        let expected = Set(tags.compactMap { tag in keys.first { $0.tag == tag }?.ds(owner: zone, digestType: 2) })
        let served = RolloverChain.poll(10) { chain.servedParentDS() } until: { Set($0.filter { $0.digestType == 2 }) == expected }
        let wanted = DSRecord.describe(expected.sorted { $0.text < $1.text })
        #expect(!expected.isEmpty && served.ok, "the parent serves DS \(DSRecord.describe(served.value)); expected the DS of \(tags) (\(wanted))",
                sourceLocation: sourceLocation)
    }

    // MARK: 0. The chain itself

    /// The harness's own baseline, and the state every rollover starts from: the signer's first signing, the DS
    /// from `dns-signer ds` at the parent, and unbound validating from the root down for 10 s without a SERVFAIL,
    /// while the signer asks the registrar for no change.
    @Test func theChainValidatesFromTheLocalRootBeforeAnyRollover() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("baseline")
        defer { chain.stop() }
        Thread.sleep(forTimeInterval: 10)
        let ds = DSRecord.parseLines(try chain.signerCLI(["ds", Self.zone]).output)
        #expect(Set(chain.servedParentDS()) == Set(ds), "the parent serves \(chain.servedParentDS()), dns-signer ds says \(ds)")
        let keyChanges = chain.registrar.changes.filter { Set($0.from.map(\.tag)) != Set($0.to.map(\.tag)) }
        #expect(keyChanges.isEmpty, "nothing rolls, yet the CDS asked for DS of other keys: \(keyChanges.map { DSRecord.describe($0.to) })")
        let negative = chain.askUnbound("nope.\(Self.zone)", "A")
        #expect(negative.status == "NXDOMAIN" && negative.flags.contains("ad"), "a validated NXDOMAIN:\n\(negative.raw)")
        let report = Self.expectChainHeld(chain, secure: true, minimumProbes: 30)
        #expect(report.withAD >= 30, "\(report.summary)")
    }

    /// The control: a DS at the parent that matches none of the signer's keys makes example.test. bogus, and the
    /// prober must see it (SERVFAIL, with unbound's Extended DNS Error saying why). Without this, "zero SERVFAIL"
    /// in the tests below would prove nothing. (Putting the right DS back does not help at once: unbound keeps the
    /// zone's keys marked bad for up to a minute — what a botched DS change costs in real life too.)
    @Test func theProberSeesABrokenChain() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("control")
        defer { chain.stop() }
        Thread.sleep(forTimeInterval: 2)
        #expect(chain.prober.current.servfails == 0, "\(chain.prober.current.summary)")

        chain.registrar.acting = false
        let stranger = try chain.unrelatedDS(for: Self.zone)
        try #require(try chain.setParentDS([stranger], why: "the control: a DS for a key the signer does not have"))
        let broken = RolloverChain.poll(20, step: 0.5) { chain.prober.current } until: { report in
            report.failures.contains { $0.question.hasPrefix("nx-") || $0.question.hasPrefix(RolloverChain.www) }
        }
        #expect(broken.ok, "the prober saw no failure with a DS that matches no key: \(broken.value.summary)\n\(chain.timeline)")
        let reasons = broken.value.failures.map(\.what)
        #expect(reasons.contains { $0.contains("SERVFAIL") && $0.contains("EDE") }, "unbound says why (EDE): \(reasons.prefix(3))")

        let report = chain.prober.finish()
        chain.note("prober: \(report.summary)")
    }

    // MARK: 1. ZSK

    @Test func aZSKRolloverFinishesByItselfWithoutAServfail() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("zsk")
        defer { chain.stop() }
        guard chain.requireRolloverInterface() else { return }
        let before = try Self.statusBefore(chain)
        let oldZSK = try #require(before.live("ZSK").first?.keyTag, "a ZSK before the rollover: \(before.summary)")
        let ksks = Set(before.live("KSK").map(\.keyTag))
        let dnskeyTTL = chain.askSigner(Self.zone, "DNSKEY").answer(type: "DNSKEY").first?.ttl ?? RolloverChain.childSOATTL
        Thread.sleep(forTimeInterval: 2)

        let rolled = chain.elapsed
        try Self.keysRoll(chain, "zsk")
        Self.expectRolloverStarted(chain, kind: "zsk")
        let done = chain.waitForRolloverToFinish(90) { $0.live("ZSK").count == 1 && $0.live("ZSK")[0].keyTag != oldZSK }
        #expect(done.ok, "the ZSK rollover did not finish within 90 s: \(done.status?.summary ?? done.output)\n\(chain.logs)")
        let newZSK = try #require(done.status?.live("ZSK").first?.keyTag)

        let served = RolloverChain.poll(10) { chain.signerKeys() } until: { keys in
            !keys.contains { $0.tag == oldZSK } && keys.contains { $0.tag == newZSK }
        }
        #expect(served.ok, "the signer still serves DNSKEY \(Key.describe(served.value)) (old ZSK \(oldZSK), new \(newZSK))")
        #expect(Set(served.value.filter(\.isKSK).map(\.tag)) == ksks, "a ZSK rollover leaves the KSK alone: \(Key.describe(served.value))")
        #expect(chain.signatureTags(RolloverChain.www, "A") == [newZSK], "www A is signed by the new ZSK only")
        #expect(Set(chain.servedParentDS().map(\.tag)) == ksks, "the parent's DS did not change")
        Thread.sleep(forTimeInterval: 3)

        // Pre-publish, seen from outside: the new DNSKEY was served a DNSKEY TTL before anything was signed with
        // it, and the old one stayed until the signatures it made were out of every cache.
        let slack = Self.slack(chain)
        let published = chain.observer.first(after: rolled) { $0.keys.contains { $0.tag == newZSK } }
        let used = chain.observer.first(after: rolled) { $0.wwwSignatureTags.contains(newZSK) }
        let lastOldSignature = chain.observer.last { $0.wwwSignatureTags.contains(oldZSK) }
        let gone = chain.observer.first(after: rolled) { !$0.keys.contains { $0.tag == oldZSK } }
        if let published, let used {
            #expect(used.time - published.time >= Double(dnskeyTTL) - slack,
                    "signed with ZSK \(newZSK) at +\(used.time) s, \(used.time - published.time) s after its DNSKEY appeared (TTL \(dnskeyTTL))")
        } else {
            Issue.record("the observer never saw the new ZSK published (\(published == nil)) or used (\(used == nil))")
        }
        if let lastOldSignature, let gone {
            #expect(gone.time - lastOldSignature.time >= Double(RolloverChain.childTTL) - slack,
                    "old ZSK removed at +\(gone.time) s, \(gone.time - lastOldSignature.time) s after its last signature was served")
        }
        _ = Self.expectChainHeld(chain, secure: true)
    }

    // MARK: 2. KSK, the registrar acting

    @Test func aKSKRolloverFollowedByTheRegistrarFinishesWithTheNewDSAtTheParent() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("ksk")
        defer { chain.stop() }
        guard chain.requireRolloverInterface() else { return }
        let before = try Self.statusBefore(chain)
        let oldKSK = try #require(before.live("KSK").first?.keyTag, "a KSK before the rollover: \(before.summary)")
        let zsks = Set(before.live("ZSK").map(\.keyTag))
        Thread.sleep(forTimeInterval: 2)

        let rolled = chain.elapsed
        try Self.keysRoll(chain, "ksk")
        Self.expectRolloverStarted(chain, kind: "ksk")
        let done = chain.waitForRolloverToFinish(90) { $0.live("KSK").count == 1 && $0.live("KSK")[0].keyTag != oldKSK }
        #expect(done.ok, "the KSK rollover did not finish within 90 s: \(done.status?.summary ?? done.output)\n\(chain.logs)")
        let newKSK = try #require(done.status?.live("KSK").first?.keyTag)

        let served = RolloverChain.poll(10) { chain.signerKeys() } until: { keys in
            !keys.contains { $0.tag == oldKSK } && keys.contains { $0.tag == newKSK }
        }
        #expect(served.ok, "the signer still serves DNSKEY \(Key.describe(served.value)) (old KSK \(oldKSK), new \(newKSK))")
        #expect(Set(served.value.filter { !$0.isKSK }.map(\.tag)) == zsks, "a KSK rollover leaves the ZSK alone")
        Self.expectParentDS(chain, is: [newKSK])
        let changes = chain.registrar.changes
        #expect(!changes.isEmpty, "the registrar never changed the DS")
        Thread.sleep(forTimeInterval: 3)

        // Double-KSK, seen from outside: the old KSK left the DNSKEY set only after the parent had served the
        // new DS for a DS TTL.
        let slack = Self.slack(chain)
        let newDS = changes.first { change in change.to.contains { $0.tag == newKSK } && !change.to.contains { $0.tag == oldKSK } }
        let gone = chain.observer.first(after: rolled) { !$0.keys.contains { $0.tag == oldKSK } }
        if let newDS, let gone {
            #expect(gone.time - newDS.time >= Double(RolloverChain.dsTTL) - slack,
                    Comment(rawValue: "old KSK \(oldKSK) left the DNSKEY set at +\(gone.time) s, \(gone.time - newDS.time) s after the parent's DS "
                    + "changed to \(newKSK)"))
        } else {
            Issue.record("no DS change to the new KSK alone (\(changes.map { DSRecord.describe($0.to) })) or old KSK never seen gone")
        }
        _ = Self.expectChainHeld(chain, secure: true)
    }

    // MARK: 3. Algorithm 13 → 15

    @Test func anAlgorithmRolloverFrom13To15FinishesWithEverythingAlgorithm15() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("algorithm")
        defer { chain.stop() }
        guard chain.requireRolloverInterface() else { return }
        let before = try Self.statusBefore(chain)
        #expect(before.keys.filter { !$0.isRemoved }.allSatisfy { $0.algorithm == 13 }, "ECDSA P-256 to begin with: \(before.summary)")
        Thread.sleep(forTimeInterval: 2)

        let rolled = chain.elapsed
        let set = try chain.signerCLI(["zone", "set", Self.zone, "--algorithm", "ed25519"])
        chain.note("dns-signer zone set --algorithm ed25519 → exit \(set.status): \(set.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(set.status == 0 && !set.output.contains("not supported"), "zone set --algorithm on a signed zone starts a rollover:\n\(set.output)")
        // (The contract names no kind for an algorithm rollover; this signer calls it "key-set".)
        Self.expectRolloverStarted(chain, kind: nil)
        let done = chain.waitForRolloverToFinish(120) { status in
            let live = status.keys.filter { !$0.isRemoved }
            return !live.isEmpty && live.allSatisfy { $0.algorithm == 15 }
        }
        #expect(done.ok, "the algorithm rollover did not finish within 120 s: \(done.status?.summary ?? done.output)\n\(chain.logs)")

        let served = RolloverChain.poll(10) { chain.signerKeys() } until: { !$0.isEmpty && $0.allSatisfy { $0.algorithm == 15 } }
        #expect(served.ok, "the signer serves DNSKEY \(Key.describe(served.value))")
        let signatures = RolloverChain.poll(10) { chain.signatureAlgorithms(RolloverChain.www, "A") } until: { $0 == [15] }
        #expect(signatures.ok, "www A signed with algorithms \(signatures.value.sorted())")
        let newKSKs = served.value.filter(\.isKSK).map(\.tag)
        #expect(newKSKs.count == 1, "one KSK (or CSK) after the rollover: \(Key.describe(served.value))")
        Self.expectParentDS(chain, is: newKSKs)
        #expect(chain.servedParentDS().allSatisfy { $0.algorithm == 15 }, "the parent's DS: \(DSRecord.describe(chain.servedParentDS()))")
        Thread.sleep(forTimeInterval: 3)

        // RFC 6781 §4.1.4, seen from outside: signatures of the new algorithm before its DNSKEY, and the old
        // DNSKEYs kept until the parent had dropped the old algorithm's DS for a DS TTL.
        let slack = Self.slack(chain)
        let signed15 = chain.observer.first(after: rolled) { $0.wwwSignatureAlgorithms.contains(15) }
        let keys15 = chain.observer.first(after: rolled) { $0.keys.contains { $0.algorithm == 15 } }
        if let signed15, let keys15 {
            #expect(signed15.time < keys15.time, Comment(rawValue: "first signatures of algorithm 15 at +\(signed15.time) s, "
                    + "its DNSKEYs at +\(keys15.time) s: RFC 6781's conservative order signs first"))
        } else {
            Issue.record("the observer never saw algorithm 15 signatures (\(signed15 == nil)) or keys (\(keys15 == nil))")
        }
        let dsWithout13 = chain.registrar.changes.first { change in !change.to.isEmpty && change.to.allSatisfy { $0.algorithm == 15 } }
        let keysWithout13 = chain.observer.first(after: rolled) { !$0.keys.isEmpty && !$0.keys.contains { $0.algorithm == 13 } }
        if let dsWithout13, let keysWithout13 {
            #expect(keysWithout13.time - dsWithout13.time >= Double(RolloverChain.dsTTL) - slack,
                    Comment(rawValue: "algorithm 13 DNSKEYs gone at +\(keysWithout13.time) s, \(keysWithout13.time - dsWithout13.time) s after the parent's "
                    + "last alg-13 DS"))
        } else {
            Issue.record("the parent's DS never became algorithm 15 only, or the alg-13 keys were never seen gone")
        }
        _ = Self.expectChainHeld(chain, secure: true)
    }

    // MARK: 4. Going insecure

    @Test func goingUnsignedPublishesCDSDeleteWaitsForTheDSToGoThenStopsSigning() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("unsigned")
        defer { chain.stop() }
        guard chain.requireRolloverInterface() else { return }
        _ = try Self.statusBefore(chain)
        Thread.sleep(forTimeInterval: 2)

        let set = try chain.signerCLI(["zone", "set", Self.zone, "--unsigned"])
        chain.note("dns-signer zone set --unsigned → exit \(set.status): \(set.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(set.status == 0, "zone set --unsigned:\n\(set.output)")
        let delete = RolloverChain.poll(30, step: 0.5) { chain.askSigner(Self.zone, "CDS") } until: { reply in
            DSRecord.parse(reply.answer(type: "CDS")).contains(where: \.isDelete) && !reply.answer(type: "RRSIG").isEmpty
        }
        #expect(delete.ok, "no signed CDS DELETE (0 0 0 00) within 30 s:\n\(delete.value.raw)")
        let cdnskeyDelete = chain.askSigner(Self.zone, "CDNSKEY").answer(type: "CDNSKEY").map(\.rdata)
        #expect(cdnskeyDelete == ["0 3 0 AA=="], "CDNSKEY DELETE beside the CDS DELETE: \(cdnskeyDelete)")
        let dsGone = RolloverChain.poll(30, step: 0.5) { chain.servedParentDS() } until: { $0.isEmpty }
        #expect(dsGone.ok, "the registrar did not remove the DS: \(DSRecord.describe(dsGone.value))")

        let unsigned = RolloverChain.poll(90, step: 0.5) { (chain.askSigner(Self.zone, "DNSKEY"), chain.askSigner(RolloverChain.www, "A")) } until: {
            $0.0.status == "NOERROR" && $0.0.answer(type: "DNSKEY").isEmpty && $0.1.answer(type: "RRSIG").isEmpty && !$0.1.answer(type: "A").isEmpty
        }
        #expect(unsigned.ok, Comment(rawValue: "the signer still serves DNSKEY or RRSIG 90 s after the DS went:\n"
                + "\(unsigned.value.0.raw)\n\(unsigned.value.1.raw)\n\(chain.logs)"))
        chain.note("the signer serves example.test. unsigned")
        let soa = chain.askSigner(Self.zone, "SOA")
        #expect(soa.answer(type: "RRSIG").isEmpty && soa.status == "NOERROR", "SOA unsigned too:\n\(soa.raw)")

        // Unbound now answers insecure (no AD), positive and negative.
        let insecure = RolloverChain.poll(15, step: 0.5) { chain.askUnbound(RolloverChain.www, "A") } until: {
            $0.status == "NOERROR" && !$0.flags.contains("ad")
        }
        #expect(insecure.ok, "unbound's answer for an unsigned zone without a DS:\n\(insecure.value.raw)")
        let nx = chain.askUnbound("gone-insecure.\(Self.zone)", "A")
        #expect(nx.status == "NXDOMAIN" && !nx.flags.contains("ad"), "\(nx.raw)")
        Thread.sleep(forTimeInterval: 3)

        // The signatures stopped only after the parent's DS had been gone for a DS TTL.
        let slack = Self.slack(chain)
        let removal = chain.registrar.changes.first { $0.to.isEmpty }
        let stopped = chain.observer.first(after: 0) { $0.keys.isEmpty && $0.wwwSignatureTags.isEmpty }
        if let removal, let stopped {
            #expect(stopped.time - removal.time >= Double(RolloverChain.dsTTL) - slack,
                    "signing stopped at +\(stopped.time) s, \(stopped.time - removal.time) s after the parent's DS went (TTL \(RolloverChain.dsTTL))")
        } else {
            Issue.record("the registrar never removed the DS (\(removal == nil)) or the observer never saw the zone unsigned (\(stopped == nil))")
        }
        _ = Self.expectChainHeld(chain, secure: false)
    }

    // MARK: 5. The registrar never acts

    @Test func aKSKRolloverWaitsForTheParentAlertsOnceAndKeepsTheChainValid() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("ksk-waits", registrarActs: false)
        defer { chain.stop() }
        guard chain.requireRolloverInterface() else { return }
        let before = try Self.statusBefore(chain)
        let oldKSK = try #require(before.live("KSK").first?.keyTag, "a KSK before the rollover: \(before.summary)")
        let oldDS = chain.servedParentDS()
        let alertsBefore = chain.eventKinds().filter { $0.kind == "key.action-needed" }.count

        try Self.keysRoll(chain, "ksk")
        let waiting = RolloverChain.poll(60, step: 0.5) { chain.keysStatus().status } until: {
            $0?.rollover?.reason?.lowercased().contains("waiting for ds") == true
        }
        #expect(waiting.ok, "the rollover never said it waits for the DS: \(waiting.value?.summary ?? chain.keysStatus().output)\n\(chain.logs)")
        guard let step = waiting.value?.rollover?.step else { _ = Self.expectChainHeld(chain, secure: true); return }
        let newKSK = try #require(waiting.value?.live("KSK").map(\.keyTag).first { $0 != oldKSK }, "a new KSK: \(waiting.value!.summary)")
        chain.note("waiting at step \"\(step)\" for the DS of KSK \(newKSK)")
        // The reason names the DS and the parent server it is checked at, as `keys status` promises the operator.
        let reason = waiting.value?.rollover?.reason ?? ""
        #expect(reason.contains("\(newKSK)") && reason.contains("127.0.0.1:\(chain.parentPort)"),
                "the reason names the DS awaited and the parent server asked: \(reason)")
        let cds = RolloverChain.poll(15, step: 0.5) { DSRecord.parse(chain.askSigner(Self.zone, "CDS").answer(type: "CDS")) } until: {
            $0.contains { $0.tag == newKSK }
        }
        #expect(cds.ok, "the CDS asks for no DS of the new KSK \(newKSK): \(DSRecord.describe(cds.value))")

        // 25 s of a parent that does nothing: the signer stays where it is and keeps the old KSK.
        let holdEnd = Date().addingTimeInterval(25)
        var held = 0
        while Date() < holdEnd {
            let status = chain.keysStatus().status
            let keys = chain.signerKeys()
            #expect(status?.rollover?.step == step, "the rollover moved on without the DS: \(status?.summary ?? "-")")
            #expect(keys.contains { $0.tag == oldKSK && $0.isKSK },
                    "the old KSK left the DNSKEY set while the parent still has only its DS: \(Key.describe(keys))")
            #expect(Set(chain.servedParentDS()) == Set(oldDS))
            held += 1
            Thread.sleep(forTimeInterval: 1)
        }
        chain.note("held for 25 s (\(held) checks)")
        let alerts = chain.eventKinds().filter { $0.kind == "key.action-needed" }
        let alertText = alerts.map(\.summary).joined(separator: " | ")
        #expect(alerts.count - alertsBefore == 1, "exactly one key.action-needed for the rollover's DS step; got \(alerts.count - alertsBefore): \(alertText)")
        if let alert = alerts.last, alerts.count > alertsBefore {
            #expect(alert.summary.contains("\(newKSK)"), "the alert names the new KSK \(newKSK): \(alert.summary)")
        }

        // A ds-seen for a key tag the zone does not have is refused, says why, and changes nothing.
        let tags = Set(chain.keysStatus().status?.keys.map(\.keyTag) ?? []).union([oldKSK, newKSK])
        let wrong = (1...65535).lazy.map { (newKSK + $0) % 65536 }.first { !tags.contains($0) }!
        let refused = try chain.signerCLI(["keys", "ds-seen", Self.zone, "\(wrong)"])
        chain.note("dns-signer keys ds-seen \(Self.zone) \(wrong) → exit \(refused.status): "
                   + refused.output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(refused.status != 0, "ds-seen for tag \(wrong), which no key of the zone has, was accepted:\n\(refused.output)")
        #expect(refused.output.contains("\(wrong)") && refused.output.contains("\(newKSK)"),
                "the refusal names the tag given and the one the rollover waits for:\n\(refused.output)")
        #expect(chain.keysStatus().status?.rollover?.step == step, "the refused ds-seen changed nothing")

        // The registrar acts late: the rollover then finishes.
        chain.registrar.acting = true
        let done = chain.waitForRolloverToFinish(60) { $0.live("KSK").map(\.keyTag) == [newKSK] }
        #expect(done.ok, "once the DS was there the rollover did not finish within 60 s: \(done.status?.summary ?? done.output)")
        Self.expectParentDS(chain, is: [newKSK])
        _ = Self.expectChainHeld(chain, secure: true, minimumProbes: 60)
    }

    // MARK: 6. kill -9 during KSK rollovers

    @Test func killNineAtRandomMomentsOfAKSKRolloverNeverBreaksTheChain() throws {
        guard RolloverChain.toolsPresent() else { return }
        let chain = try RolloverChain.start("ksk-kill")
        defer { chain.stop() }
        guard chain.requireRolloverInterface() else { return }
        let seed = UInt64.random(in: 1...UInt64.max)
        var random = SplitMix64(seed: seed)
        chain.note("kill -9 moments from seed \(seed)")
        print("[chain] KeyRolloverChainTests.killNine seed: \(seed)")
        let before = try Self.statusBefore(chain)
        var currentKSK = try #require(before.live("KSK").first?.keyTag)
        let firstKSK = currentKSK

        // Kill at random moments from each `keys roll` until its rollover finished (the request itself, every
        // step and every wait included); another rollover follows until at least 10 kills landed inside one.
        try Self.keysRoll(chain, "ksk")
        var requested = chain.elapsed
        var firstKillOfRollover = true
        var rollovers = 1
        var kills = 0
        var killsDuringRollover = 0
        var stuck = false
        let deadline = Date().addingTimeInterval(150)
        while Date() < deadline {
            let status = chain.keysStatus().status
            if let status, status.rollover == nil, status.live("KSK").count == 1, status.live("KSK")[0].keyTag != currentKSK {
                currentKSK = status.live("KSK")[0].keyTag
                chain.note("rollover \(rollovers) finished: KSK \(currentKSK)")
                if killsDuringRollover >= 10 { break }
                try Self.keysRoll(chain, "ksk")
                requested = chain.elapsed
                firstKillOfRollover = true
                rollovers += 1
                continue
            }
            if status?.rollover == nil && chain.elapsed - requested > 15 {
                Issue.record("""
                    the KSK rollover requested at +\(String(format: "%.1f", requested)) s has not started 15 s later \
                    (\(kills) kills so far, the last at a moment shown in the timeline):
                    \(chain.keysStatusText())
                    timeline:
                    \(chain.timeline)
                    """)
                stuck = true
                break
            }
            // The first kill after each `keys roll` lands within a second of it, before or just after the daemon
            // took the request; the others anywhere in the rollover.
            Thread.sleep(forTimeInterval: firstKillOfRollover ? 0.05 + Double(random.below(950)) / 1000 : 0.3 + Double(random.below(2200)) / 1000)
            let at = chain.keysStatus().status
            let restart = try chain.killAndRestartSigner()
            kills += 1
            killsDuringRollover += 1
            firstKillOfRollover = false
            let moment = at.map { $0.rollover.map { "step \"\($0.step)\"" } ?? "no rollover in progress" } ?? "?"
            chain.note("kill -9 #\(kills) at \(moment), \(String(format: "%.1f", chain.elapsed - requested)) s after `keys roll`; "
                       + "answering again after \(String(format: "%.2f", restart.down)) s")
            #expect(restart.ok, "kill #\(kills): the restarted signer did not answer within 10 s:\n\(chain.logs)")
        }
        #expect(killsDuringRollover >= 10, "only \(killsDuringRollover) kills landed inside a rollover (of \(kills))")
        let done = chain.waitForRolloverToFinish(stuck ? 5 : 90) { $0.live("KSK").count == 1 && $0.live("KSK")[0].keyTag != firstKSK }
        #expect(done.ok, "after \(kills) kills the rollover did not finish within 90 s: \(done.status?.summary ?? done.output)\n\(chain.logs)")
        let finalKSK = try #require(done.status?.live("KSK").first?.keyTag)
        chain.note("\(rollovers) rollover(s), \(kills) kills (\(killsDuringRollover) inside a rollover); KSK \(firstKSK) → \(finalKSK)")
        let served = RolloverChain.poll(10) { chain.signerKeys() } until: { keys in keys.filter(\.isKSK).map(\.tag) == [finalKSK] }
        #expect(served.ok, "the signer serves KSKs \(Key.describe(served.value.filter(\.isKSK))), expected only \(finalKSK)")
        Self.expectParentDS(chain, is: [finalKSK])
        _ = Self.expectChainHeld(chain, secure: true, minimumProbes: 60)
    }
}
