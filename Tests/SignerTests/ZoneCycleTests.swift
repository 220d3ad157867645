import Testing
@testable import Signer

/// The cycle's timing and alerts, by feeding events with simulated time: no sockets, no sleeps.
@Suite struct ZoneCycleTests {
    static let facts = ZoneCycle.Published(soaExpire: 86_400, nextResign: 1_000_000 + 7 * 86_400, earliestExpiry: 1_000_000 + 14 * 86_400)

    static func machine(_ edit: (inout ZoneCycle.Settings) -> Void = { _ in }) -> ZoneCycle {
        var settings = ZoneCycle.Settings()
        edit(&settings)
        return ZoneCycle(settings: settings)
    }

    @Test func pollsAtStartThenEveryIntervalWithJitterBelowATenth() {
        var cycle = Self.machine()
        #expect(cycle.event(.started(now: 1_000_000, published: nil, lastSuccess: nil)) == [.poll])
        #expect(cycle.event(.tick(now: 1_000_001)) == [], "no second cycle while one runs")
        #expect(cycle.event(.pollFinished(now: 1_000_002, .published(Self.facts))) == [])
        let next = cycle.nextPoll
        #expect(next >= 1_000_062 && next < 1_000_068)
        #expect(cycle.event(.tick(now: next - 1)) == [])
        #expect(cycle.event(.tick(now: next)) == [.poll])
    }

    @Test func notifyDuringAPollQueuesExactlyOneMorePoll() {
        var cycle = Self.machine()
        _ = cycle.event(.started(now: 100, published: Self.facts, lastSuccess: 100))
        #expect(cycle.phase == .polling)
        for second in 101...105 { #expect(cycle.event(.notified(now: Int64(second))) == []) }
        #expect(cycle.event(.pollFinished(now: 106, .unchanged(Self.facts))) == [.poll], "the queued NOTIFY polls at once")
        #expect(cycle.event(.pollFinished(now: 107, .unchanged(Self.facts))) == [], "five NOTIFYs made one extra poll")
        #expect(cycle.event(.notified(now: 108)) == [.poll], "an idle zone polls on NOTIFY at once")
    }

    @Test func failuresBackOffAndAlertOnceThenRecoveryIsAnnouncedOnce() {
        var cycle = Self.machine { $0.pollInterval = 300; $0.retryInterval = 10 }
        var now: Int64 = 1_000
        _ = cycle.event(.started(now: now, published: Self.facts, lastSuccess: now))
        var delays: [Int64] = []
        var alerts: [ZoneCycle.Action] = []
        for _ in 0..<8 {
            alerts += cycle.event(.pollFinished(now: now, .failed(reason: "timeout")))
            delays.append(cycle.nextPoll - now)
            now = cycle.nextPoll
            #expect(cycle.event(.tick(now: now)) == [.poll])
        }
        #expect(delays == [10, 20, 40, 80, 160, 300, 300, 300])
        #expect(alerts == [.alert(.failing(failures: 3, reason: "timeout"))])
        #expect(cycle.event(.pollFinished(now: now, .unchanged(Self.facts))) == [.alert(.recovered(failures: 8))])
        #expect(cycle.failures == 0)
    }

    @Test func aRefusalIsAnnouncedOncePerDistinctReason() {
        var cycle = Self.machine()
        var now: Int64 = 0
        _ = cycle.event(.started(now: now, published: Self.facts, lastSuccess: now))
        var alerts: [ZoneCycle.Action] = []
        for reason in ["shrink 80 %", "shrink 80 %", "shrink 80 %", "soa only"] {
            now += 60
            alerts += cycle.event(.pollFinished(now: now, .refused(guardName: "g", reason: reason)))
            now = cycle.nextPoll
            _ = cycle.event(.tick(now: now))
        }
        #expect(alerts == [.alert(.refused(guardName: "g", reason: "shrink 80 %")), .alert(.refused(guardName: "g", reason: "soa only"))])
    }

    @Test func pastSOAExpireWithoutSuccessTheZoneStopsAndComesBackOnSuccess() {
        var cycle = Self.machine { $0.pollInterval = 3_600 }
        _ = cycle.event(.started(now: 0, published: Self.facts, lastSuccess: 0))
        _ = cycle.event(.pollFinished(now: 1, .failed(reason: "refused")))
        #expect(cycle.event(.tick(now: 86_399)).contains(.stopServing) == false)
        let actions = cycle.event(.tick(now: 86_400))
        #expect(actions.contains(.stopServing))
        #expect(actions.contains(.alert(.expired(lastSuccess: 0))))
        #expect(!cycle.event(.tick(now: 86_401)).contains(.stopServing), "said once")
        _ = cycle.event(.tick(now: cycle.nextPoll))
        #expect(cycle.event(.pollFinished(now: cycle.nextPoll, .unchanged(Self.facts))).contains(.resumeServing))
    }

    @Test func keepServingNeverExpires() {
        var cycle = Self.machine { $0.stopServingOnExpire = false }
        _ = cycle.event(.started(now: 0, published: Self.facts, lastSuccess: 0))
        #expect(!cycle.event(.tick(now: 10 * 86_400)).contains(.stopServing))
    }

    @Test func reSigningRunsWhenDueAndNotDuringAPoll() {
        var cycle = Self.machine { $0.pollInterval = 1_000_000 }
        let facts = ZoneCycle.Published(soaExpire: 10_000_000, nextResign: 500, earliestExpiry: 10_000)
        _ = cycle.event(.started(now: 0, published: facts, lastSuccess: 0))
        #expect(cycle.event(.tick(now: 600)) == [], "the first poll is still running")
        #expect(cycle.event(.pollFinished(now: 601, .unchanged(facts))) == [.resign])
        let later = ZoneCycle.Published(soaExpire: 10_000_000, nextResign: 90_000, earliestExpiry: 700_000)
        #expect(cycle.event(.resignFinished(now: 602, .done(later))) == [])
        #expect(cycle.event(.tick(now: 89_999)) == [])
        #expect(cycle.event(.tick(now: 90_000)) == [.resign])
        #expect(cycle.event(.resignFinished(now: 90_001, .failed(reason: "disk full"))) == [.alert(.signingFailed(reason: "disk full"))])
        #expect(cycle.event(.tick(now: 90_100)) == [], "retried after resignRetry, not at every tick")
        #expect(cycle.event(.tick(now: 90_301)) == [.resign])
    }

    @Test func expiringSignaturesAreAnnouncedOnce() {
        var cycle = Self.machine()
        let facts = ZoneCycle.Published(soaExpire: 10_000_000, nextResign: 0, earliestExpiry: 2 * 86_400)
        let actions = cycle.event(.started(now: 0, published: facts, lastSuccess: 0))
        #expect(actions.contains(.alert(.expiring(earliestExpiry: 2 * 86_400))))
        #expect(!cycle.event(.tick(now: 10)).contains(.alert(.expiring(earliestExpiry: 2 * 86_400))))
    }

    /// Polls the shared poller ran while the worker slept count as unchanged polls at their time: the
    /// expire clock restarts from the last one and the next poll follows it.
    @Test func quietPollsRunElsewhereMoveTheExpireClockAndTheNextPoll() {
        var cycle = Self.machine { $0.pollInterval = 60 }
        var facts = Self.facts
        facts.soaExpire = 600
        _ = cycle.event(.started(now: 1_000_000, published: facts, lastSuccess: 1_000_000))
        _ = cycle.event(.pollFinished(now: 1_000_001, .unchanged(facts)))
        #expect(cycle.expiresAt == 1_000_601)
        let besides = cycle.nextDeadlineBesidesPoll
        #expect(besides == 1_000_601, "while parked the worker sleeps until the expire time, not the poll")
        // The worker wakes at the expire time it knew; the poller polled quietly until 1_000_590.
        #expect(cycle.event(.quietPolls(now: 1_000_601, lastAt: 1_000_590)) == [], "no expiry: the primary answered")
        #expect(cycle.lastSuccess == 1_000_590)
        #expect(cycle.expiresAt == 1_001_190)
        #expect(cycle.nextPoll >= 1_000_650 && cycle.nextPoll < 1_000_656)
        #expect(!cycle.isExpired)
        // An older report (a quiet poll noted before the last own poll) changes nothing.
        #expect(cycle.event(.quietPolls(now: 1_000_602, lastAt: 1_000_500)) == [])
        #expect(cycle.lastSuccess == 1_000_590)
    }

    @Test func quietPollsAreIgnoredWhileFailingOrPolling() {
        var cycle = Self.machine { $0.pollInterval = 60 }
        _ = cycle.event(.started(now: 1_000, published: Self.facts, lastSuccess: 1_000))
        #expect(cycle.phase == .polling)
        #expect(cycle.event(.quietPolls(now: 1_001, lastAt: 1_001)) == [], "a poll runs: its outcome decides")
        #expect(cycle.lastSuccess == 1_000)
        _ = cycle.event(.pollFinished(now: 1_002, .failed(reason: "timeout")))
        #expect(cycle.failures == 1)
        _ = cycle.event(.quietPolls(now: 1_003, lastAt: 1_003))
        #expect(cycle.failures == 1 && cycle.lastSuccess == 1_000, "a failing zone is never parked; a stray report is not a recovery")
    }
}
