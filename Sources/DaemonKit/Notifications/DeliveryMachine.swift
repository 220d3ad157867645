/// One event's delivery to one channel, as a pure state machine: the row of `outbox_deliveries` it is
/// loaded from and stored back to, and what happens to it after each attempt.
///
///     pending ──attempt ok──▶ delivered
///        │ ╰──attempt failed──▶ pending, next attempt per RetryPolicy ──(tried ≥ giveUpAfter)──▶ failed
///        ╰──HTTP 410 / endpoint disabled──▶ disabled
///
/// `attempts` is counted when an attempt *starts* (and stored before the send), so an attempt cut short
/// by a crash still counts, and a digest's membership is fixed from its first attempt on.
package struct DeliveryMachine: Sendable, Equatable {
    package enum State: String, Sendable, Equatable, CaseIterable {
        case pending, delivered, failed, disabled
    }

    package var state: State
    package var attempts: Int
    package var firstFailureAt: Int64?
    package var nextAttemptAt: Int64
    package var lastError: String?
    package var deliveredAt: Int64?

    package init(state: State = .pending, attempts: Int = 0, firstFailureAt: Int64? = nil, nextAttemptAt: Int64,
                 lastError: String? = nil, deliveredAt: Int64? = nil) {
        self.state = state
        self.attempts = attempts
        self.firstFailureAt = firstFailureAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.deliveredAt = deliveredAt
    }

    package enum Event: Sendable {
        /// The worker is about to send (store the machine before sending).
        case attemptStarted(now: Int64)
        /// The send came back.
        case attemptFinished(DeliveryOutcome, now: Int64)
        /// The channel was disabled (its endpoint answered 410 for another event).
        case channelDisabled(reason: String)
    }

    package enum Action: Sendable, Equatable {
        /// Send now.
        case send
        /// Delivered: store it; the channel's next event may go.
        case markDelivered
        /// Store and wait; the channel's later events wait behind this one.
        case retry(at: Int64)
        /// Tried long enough: store as failed and let the channel's next event go.
        case giveUp
        /// Disable the channel (persisted) and tell the operator by email.
        case disableChannel(reason: String)
        /// Nothing to do (an event that does not apply in this state).
        case none
    }

    package var isDue: Bool { state == .pending }

    package mutating func event<R: RandomNumberGenerator>(_ event: Event, policy: RetryPolicy, using rng: inout R) -> Action {
        guard state == .pending else { return .none }
        switch event {
        case .attemptStarted:
            attempts += 1
            return .send
        case let .attemptFinished(outcome, now):
            switch outcome {
            case .delivered:
                state = .delivered
                deliveredAt = now
                lastError = nil
                return .markDelivered
            case let .gone(reason):
                state = .disabled
                lastError = reason
                return .disableChannel(reason: reason)
            case let .failed(reason, retryAfter):
                lastError = reason
                let first = firstFailureAt ?? now
                firstFailureAt = first
                switch policy.decide(failures: max(attempts, 1), firstFailure: first, now: now, retryAfter: retryAfter, using: &rng) {
                case let .retry(at):
                    nextAttemptAt = at
                    return .retry(at: at)
                case .giveUp:
                    state = .failed
                    return .giveUp
                }
            }
        case let .channelDisabled(reason):
            state = .disabled
            lastError = reason
            return .none
        }
    }
}
