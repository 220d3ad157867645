/// When to try a failed delivery again.
///
/// Exponential backoff: `initialDelay` after the first failure, doubling up to `maxDelay`, each delay
/// shortened by a random fraction of up to `jitter` (so senders that all failed at once do not all come
/// back at once). A receiver's `Retry-After` is a floor: never earlier than it asked, up to
/// `maxRetryAfter` (a receiver cannot park a delivery for a year). The policy gives up only when an
/// attempt made at least `giveUpAfter` seconds after the first failure has failed too, so every delivery
/// is tried for at least that long (a day by default, as the issue asks; the Standard Webhooks example
/// schedule spans three).
///
/// Pure: the random numbers come from the generator the caller passes; times are seconds since 1970.
package struct RetryPolicy: Sendable, Equatable {
    package var initialDelay: Int64
    package var maxDelay: Int64
    /// 0...1: the share of a delay that jitter may take away.
    package var jitter: Double
    package var giveUpAfter: Int64
    package var maxRetryAfter: Int64

    package init(initialDelay: Int64 = 5, maxDelay: Int64 = 3600, jitter: Double = 0.25,
                 giveUpAfter: Int64 = 86_400, maxRetryAfter: Int64 = 86_400) {
        self.initialDelay = max(1, initialDelay)
        self.maxDelay = max(self.initialDelay, maxDelay)
        self.jitter = min(max(jitter, 0), 1)
        self.giveUpAfter = max(0, giveUpAfter)
        self.maxRetryAfter = max(0, maxRetryAfter)
    }

    package enum Decision: Sendable, Equatable {
        case retry(at: Int64)
        case giveUp
    }

    /// What to do after a failed attempt.
    /// - Parameters:
    ///   - failures: failed attempts so far, this one included.
    ///   - firstFailure: when the first attempt failed.
    ///   - now: when this attempt failed.
    ///   - retryAfter: the receiver's `Retry-After`, in seconds from now, when it sent one.
    package func decide<R: RandomNumberGenerator>(
        failures: Int, firstFailure: Int64, now: Int64, retryAfter: Int64?, using rng: inout R
    ) -> Decision {
        if now - firstFailure >= giveUpAfter { return .giveUp }
        var delay = backoff(failures: failures, unit: Double.random(in: 0..<1, using: &rng))
        if let retryAfter { delay = max(delay, min(max(retryAfter, 0), maxRetryAfter)) }
        return .retry(at: now + delay)
    }

    /// The delay after `failures` failed attempts; `unit` in 0..<1 picks the jitter.
    package func backoff(failures: Int, unit: Double) -> Int64 {
        let exponent = Double(min(max(failures - 1, 0), 40))
        let raw = min(Double(maxDelay), Double(initialDelay) * pow2(exponent))
        let jittered = raw * (1 - jitter * min(max(unit, 0), 1))
        return max(1, Int64(jittered.rounded()))
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }

    /// A `Retry-After` value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as seconds from `now`
    /// (0 for a date in the past); nil when it is neither.
    package static func parseRetryAfter(_ value: String, now: Int64) -> Int64? {
        let text = value.trimmingWhitespace()
        if !text.isEmpty, text.allSatisfy(\.isASCIIDigit) {
            return Int64(text.prefix(12))
        }
        guard let date = NotificationTime.parseHTTPDate(text) else { return nil }
        return max(0, date - now)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" || first == "\r" || first == "\n" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" || last == "\n" { slice.removeLast() }
        return String(slice)
    }
}
