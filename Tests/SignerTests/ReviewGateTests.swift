import DNSEdge
import DaemonKit
import Foundation
import Testing
@testable import Signer

/// The review step before publishing, fed events with simulated time (no sockets, no processes), and
/// its stored half: the review row, `zone approve|reject` and the settings columns.
@Suite struct ReviewGateTests {
    static func candidate(_ unsigned: UInt32, signed: UInt32? = nil, hash: UInt8? = nil) -> ReviewGate.Candidate {
        ReviewGate.Candidate(contentHash: [hash ?? UInt8(unsigned % 256)], unsignedSerial: unsigned,
                             signedSerial: signed ?? 1_700_000_000 + unsigned, previousSignedSerial: 1_700_000_000)
    }

    static func gate(_ unsigned: ReviewGate.Mode, _ signed: ReviewGate.Mode) -> ReviewGate {
        ReviewGate(settings: ReviewGate.Settings(unsigned: unsigned, signed: signed, timeout: 30))
    }

    @Test func withReviewOffEveryNewVersionIsPublishedAtOnce() {
        var gate = Self.gate(.off, .off)
        #expect(gate.offer(Self.candidate(101), now: 0) == .publish(Self.candidate(101)))
        #expect(gate.phase == .idle)
    }

    @Test func commandsReviewTheUnsignedThenTheSignedVersion() {
        var gate = Self.gate(.command, .command)
        let version = Self.candidate(101)
        #expect(gate.offer(version, now: 0) == .runHook(version, .unsigned, timeout: 30))
        #expect(gate.hookFinished(version, .unsigned, .passed, now: 1) == .runHook(version, .signed, timeout: 30))
        #expect(gate.hookFinished(version, .signed, .passed, now: 2) == .publish(version))
    }

    @Test func aRejectedVersionIsHeldWithoutAnotherReviewUntilOtherContentArrives() {
        var gate = Self.gate(.command, .off)
        let bad = Self.candidate(102)
        _ = gate.offer(bad, now: 0)
        #expect(gate.hookFinished(bad, .unsigned, .failed("exited 1"), now: 1) == .rejected(bad, .unsigned, reason: "exited 1"))
        #expect(gate.holding(bad.contentHash) != nil, "the same content is not signed or reviewed again")
        guard case .hold = gate.offer(bad, now: 2) else { Issue.record("a rejected version offered again must be held"); return }
        let next = Self.candidate(103)
        #expect(gate.holding(next.contentHash) == nil)
        #expect(gate.offer(next, now: 3) == .runHook(next, .unsigned, timeout: 30), "other content is reviewed afresh")
        #expect(gate.hookFinished(next, .unsigned, .passed, now: 4) == .publish(next))
    }

    @Test func aCommandThatRunsPastTheTimeoutRejects() {
        var gate = Self.gate(.off, .command)
        let version = Self.candidate(105)
        #expect(gate.offer(version, now: 0) == .runHook(version, .signed, timeout: 30))
        let action = gate.hookFinished(version, .signed, .timedOut(seconds: 30), now: 30)
        #expect(action == .rejected(version, .signed, reason: "the review command did not finish within 30 s"))
        #expect(gate.hookFinished(version, .signed, .passed, now: 31) == .hold("a review finished for a version no longer offered"),
                "a late result does not publish a rejected version")
    }

    @Test func manualReviewWaitsForTheOperatorStageByStageAndByTheRightSerial() {
        var gate = Self.gate(.manual, .manual)
        let version = Self.candidate(101, signed: 1_700_000_500)
        #expect(gate.offer(version, now: 10) == .askOperator(version, .unsigned, superseded: nil))
        #expect(gate.holding(version.contentHash) == "waiting for review of the unsigned version (serial 101)")
        #expect(gate.decided(.unsigned, serial: 1_700_000_500, approved: true, by: "ann") == nil, "the signed serial is not the one waiting")
        #expect(gate.decided(.signed, serial: 101, approved: true, by: "ann") == nil, "nor is another stage")
        #expect(gate.decided(.unsigned, serial: 101, approved: true, by: "ann") == .pollNow)
        #expect(gate.pinnedSignedSerial(version.contentHash) == 1_700_000_500, "signed again under the serial shown")
        // The next poll derives the candidate again and takes it to the signed review.
        #expect(gate.offer(version, now: 20) == .askOperator(version, .signed, superseded: nil))
        #expect(gate.decided(.signed, serial: 1_700_000_500, approved: true, by: "ann") == .pollNow)
        #expect(gate.offer(version, now: 30) == .publish(version))
        gate.published()
        #expect(gate.phase == .idle)
    }

    @Test func anOperatorRejectionHoldsAndNewContentSupersedesAWaitingVersion() {
        var gate = Self.gate(.manual, .off)
        let first = Self.candidate(101)
        _ = gate.offer(first, now: 0)
        let second = Self.candidate(102)
        #expect(gate.offer(second, now: 5) == .askOperator(second, .unsigned, superseded: first))
        #expect(gate.decided(.unsigned, serial: 101, approved: false, by: "bob") == nil, "the superseded serial is gone")
        #expect(gate.decided(.unsigned, serial: 102, approved: false, by: "bob") == .hold("rejected by bob"))
        #expect(gate.holding(second.contentHash)?.contains("rejected by bob") == true)
    }

    @Test func aStoredReviewSurvivesARestartAndNewSettingsReviewAfresh() {
        var gate = Self.gate(.manual, .manual)
        let version = Self.candidate(101)
        #expect(gate.restore(.approved(version, through: .unsigned)) == [.pollNow], "an approval made while down is taken at once")
        #expect(gate.offer(version, now: 0) == .askOperator(version, .signed, superseded: nil))
        let dropped = gate.update(ReviewGate.Settings(unsigned: .manual, signed: .off, timeout: 30))
        #expect(dropped, "the waiting version is dropped")
        #expect(gate.offer(version, now: 1) == .askOperator(version, .unsigned, superseded: nil))
        let same = gate.update(gate.settings)
        #expect(!same, "the same settings change nothing")
    }

    /// A version held by review is a successful poll for the cycle: refreshes of the published version
    /// and the expire clock go on as if nothing waited.
    @Test func aHeldVersionDoesNotHoldBackSignatureRefreshes() {
        let facts = ZoneCycle.Published(soaExpire: 86_400, nextResign: 1_000_300, earliestExpiry: 1_000_000 + 7 * 86_400)
        var cycle = ZoneCycle(settings: ZoneCycle.Settings())
        #expect(cycle.event(.started(now: 1_000_000, published: facts, lastSuccess: 1_000_000)) == [.poll])
        var now: Int64 = 1_000_000
        var lastHeld = now
        while now < 1_000_300 {
            #expect(cycle.event(.pollFinished(now: now, .held)) == [], "a held version raises no alert")
            lastHeld = now
            now = min(cycle.nextPoll, 1_000_300)
            let actions = cycle.event(.tick(now: now))
            if now < 1_000_300 { #expect(actions == [.poll]) } else { #expect(actions == [.resign], "the refresh is due and runs") }
        }
        #expect(cycle.lastSuccess == lastHeld && lastHeld > 1_000_000, "held polls restart the expire clock")
        var refreshed = facts
        refreshed.nextResign += 86_400
        #expect(cycle.event(.resignFinished(now: now, .done(refreshed))) == [], "the next refresh is a day later")
    }

    // MARK: Store

    @Test func approveAndRejectDecideOnlyTheSerialWaitingAndRecordWho() throws {
        let directory = ScratchDirectory.make("signer-review")
        let store = try SignerStore(path: directory + "/signer.db")
        var config = SignerZoneConfig(origin: "example.test.", primaries: [ListenAddress(host: "192.0.2.1", port: 53)])
        config.reviewUnsigned = .manual
        try store.addZone(config, now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(try store.zone("example.test.").reviewUnsigned == .manual)
        #expect(try store.zone("example.test.").reviewSigned == .off)
        let none = #expect(throws: SignerStoreError.self) {
            try store.decideReview(zone: "example.test.", serial: 101, approve: true, by: "ann", now: Date())
        }
        #expect(none?.description.contains("no version is waiting for review") == true)

        let version = Self.candidate(101, signed: 1_700_000_500)
        try store.recordReview(zone: "example.test.", SignerStore.ReviewRecord(
            stage: .unsigned, status: .pending, candidate: version, zoneFile: nil, reason: nil, createdAt: 1_700_000_100), events: [])
        let wrong = #expect(throws: SignerStoreError.self) {
            try store.decideReview(zone: "example.test.", serial: 1_700_000_500, approve: true, by: "ann", now: Date())
        }
        #expect(wrong?.description == "zone example.test.: serial 1700000500: not the version waiting for review: the unsigned version with serial 101 is (give that serial)")
        #expect(try store.review(zone: "example.test.")?.status == .pending, "a refused decision changes nothing")

        let version0 = try store.configVersion()
        try store.decideReview(zone: "example.test.", serial: 101, approve: false, by: "ann", now: Date())
        let stored = try #require(try store.review(zone: "example.test."))
        #expect(stored.status == .rejected && stored.decidedBy == "ann" && stored.reason == "rejected by ann")
        #expect(try store.configVersion() > version0, "the running daemon hears of it")
        let events = try store.recentEvents(zone: "example.test.", limit: 5)
        #expect(events.map(\.kind) == [.reviewRejected] && events[0].summary.contains("ann rejected the unsigned version with serial 101"))

        var bad = config
        bad.origin = "other.test."
        bad.reviewSigned = .command
        let noCommand = #expect(throws: SignerStoreError.self) { try store.addZone(bad, now: Date()) }
        #expect(noCommand?.description.contains("give the program to run with --review-command PATH") == true)
        #expect(throws: SignerStoreError.self) {
            try store.updateZone("example.test.", SignerZoneChanges(reviewCommand: .some("hook.sh")), now: Date())
        }
        #expect(throws: SignerStoreError.self) { try store.updateZone("example.test.", SignerZoneChanges(reviewTimeout: 0), now: Date()) }
        #expect(try store.zone("example.test.").reviewCommand == nil)
    }
}
