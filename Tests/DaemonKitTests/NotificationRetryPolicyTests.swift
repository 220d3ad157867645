import Testing
@testable import DaemonKit

/// The retry schedule and the per-delivery state machine, without clocks or sockets: what an operator
/// notices as "retried for a day, backing off, never before the receiver's Retry-After".
@Suite struct NotificationRetryPolicyTests {
    @Test func backoffDoublesFromFiveSecondsUpToAnHour() {
        let policy = RetryPolicy()
        let delays = (1...12).map { policy.backoff(failures: $0, unit: 0) }
        #expect(delays == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600])
        #expect(policy.backoff(failures: 500, unit: 0) == 3600)
    }

    @Test func jitterOnlyShortensAndActuallyVaries() {
        let policy = RetryPolicy(jitter: 0.25)
        var rng = SplitMix64(seed: 7)
        var seen = Set<Int64>()
        for failures in 1...15 {
            let raw = policy.backoff(failures: failures, unit: 0)
            for _ in 0..<50 {
                guard case let .retry(at) = policy.decide(failures: failures, firstFailure: 1000, now: 1000, retryAfter: nil, using: &rng) else {
                    Issue.record("gave up at once")
                    return
                }
                let delay = at - 1000
                #expect(delay <= raw && Double(delay) >= (Double(raw) * 0.75).rounded(.down), "failures \(failures): \(delay) vs \(raw)")
                if failures == 12 { seen.insert(delay) }
            }
        }
        #expect(seen.count > 10, "jitter must spread the capped delays, got \(seen.sorted())")
    }

    @Test func keepsTryingForAtLeastADayThenGivesUp() {
        let policy = RetryPolicy()
        var rng = SplitMix64(seed: 42)
        let first: Int64 = 1_700_000_000
        var now = first
        var failures = 1
        var gaps: [Int64] = []
        while case let .retry(at) = policy.decide(failures: failures, firstFailure: first, now: now, retryAfter: nil, using: &rng) {
            gaps.append(at - now)
            now = at
            failures += 1
            if failures > 1000 { break }
        }
        #expect(now - first >= 86_400, "gave up after \(now - first) s")
        #expect(now - first < 86_400 + 3600, "kept going too long: \(now - first) s")
        #expect(failures < 60, "\(failures) attempts: the backoff is not backing off")
        #expect(gaps.allSatisfy { $0 >= 1 && $0 <= 3600 })
        #expect(Array(gaps.prefix(5)) == gaps.prefix(5).sorted(), "early delays grow")
    }

    @Test func retryAfterIsAFloorAndIsCapped() {
        let policy = RetryPolicy(jitter: 0)
        var rng = SplitMix64(seed: 1)
        // The receiver asks for two minutes: not earlier, though the backoff alone would say 5 s.
        #expect(policy.decide(failures: 1, firstFailure: 100, now: 100, retryAfter: 120, using: &rng) == .retry(at: 220))
        // A Retry-After shorter than the backoff does not make us hammer it.
        #expect(policy.decide(failures: 8, firstFailure: 100, now: 100, retryAfter: 1, using: &rng) == .retry(at: 100 + 640))
        // A receiver cannot park a delivery for years.
        #expect(policy.decide(failures: 1, firstFailure: 100, now: 100, retryAfter: 99_999_999, using: &rng) == .retry(at: 100 + 86_400))
    }

    @Test func parsesRetryAfterSecondsAndHTTPDates() {
        let date = NotificationTime.seconds(year: 1994, month: 11, day: 6, hour: 8, minute: 49, second: 37)
        #expect(RetryPolicy.parseRetryAfter("120", now: 0) == 120)
        #expect(RetryPolicy.parseRetryAfter(" 7 ", now: 0) == 7)
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: date - 90) == 90)
        #expect(RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: date + 90) == 0)
        #expect(RetryPolicy.parseRetryAfter("soon", now: 0) == nil)
        #expect(RetryPolicy.parseRetryAfter("-5", now: 0) == nil)
        #expect(RetryPolicy.parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now: 0) == nil)
    }

    @Test func formatsTimesExactly() {
        #expect(NotificationTime.iso8601(0) == "1970-01-01T00:00:00Z")
        #expect(NotificationTime.iso8601(1_700_000_000) == "2023-11-14T22:13:20Z")
        #expect(NotificationTime.rfc5322(1_700_000_000) == "Tue, 14 Nov 2023 22:13:20 +0000")
        #expect(NotificationTime.readable(1_709_164_800) == "2024-02-29 00:00 UTC")
        #expect(NotificationTime.rfc5322(-1) == "Wed, 31 Dec 1969 23:59:59 +0000")
        for seconds: Int64 in [0, 951_782_400, 1_709_164_799, 4_102_444_800, 1_700_000_000] {
            let c = NotificationTime.civil(seconds)
            #expect(NotificationTime.seconds(year: c.year, month: c.month, day: c.day, hour: c.hour, minute: c.minute, second: c.second) == seconds)
        }
    }

    @Test func deliveryMachineWalksItsStates() {
        let policy = RetryPolicy(jitter: 0)
        var rng = SplitMix64(seed: 3)
        var machine = DeliveryMachine(nextAttemptAt: 1000)
        #expect(machine.event(.attemptStarted(now: 1000), policy: policy, using: &rng) == .send)
        #expect(machine.attempts == 1)
        #expect(machine.event(.attemptFinished(.failed("HTTP 503", retryAfter: 60), now: 1001), policy: policy, using: &rng) == .retry(at: 1061))
        #expect(machine.state == .pending && machine.firstFailureAt == 1001 && machine.lastError == "HTTP 503")
        _ = machine.event(.attemptStarted(now: 1061), policy: policy, using: &rng)
        #expect(machine.event(.attemptFinished(.delivered("HTTP 204"), now: 1062), policy: policy, using: &rng) == .markDelivered)
        #expect(machine.state == .delivered && machine.deliveredAt == 1062 && machine.attempts == 2 && machine.lastError == nil)
        // Settled is settled: nothing moves it again.
        #expect(machine.event(.attemptStarted(now: 2000), policy: policy, using: &rng) == .none)
        #expect(machine.attempts == 2)

        var gone = DeliveryMachine(nextAttemptAt: 0)
        _ = gone.event(.attemptStarted(now: 0), policy: policy, using: &rng)
        #expect(gone.event(.attemptFinished(.gone("HTTP 410 Gone"), now: 1), policy: policy, using: &rng) == .disableChannel(reason: "HTTP 410 Gone"))
        #expect(gone.state == .disabled)

        var doomed = DeliveryMachine(attempts: 30, firstFailureAt: 0, nextAttemptAt: 86_400)
        _ = doomed.event(.attemptStarted(now: 86_400), policy: policy, using: &rng)
        #expect(doomed.event(.attemptFinished(.failed("connection refused"), now: 86_401), policy: policy, using: &rng) == .giveUp)
        #expect(doomed.state == .failed && doomed.attempts == 31)
    }
}
