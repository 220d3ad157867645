/// When one zone is polled, re-signed, taken out of service or put back, and what operators are told —
/// as a pure state machine (style rule 3). `ZoneWorker` feeds it events and carries out its actions;
/// tests feed it events with simulated time, no sockets, no sleeps.
///
/// It enforces the cycle's invariants: never two cycles of one zone at once (a NOTIFY during a poll
/// queues one more poll, however many arrive); back off when the primary fails; after the unsigned SOA's
/// expire time without a successful poll, stop answering (when configured); and alert once per change
/// of state — failing then recovered, expiring, refused — never once a minute.
struct ZoneCycle: Sendable {
    struct Settings: Sendable, Equatable {
        /// Seconds between polls when all is well.
        var pollInterval: Int64 = 60
        /// First retry after a failed poll; doubles per failure up to `pollInterval`.
        var retryInterval: Int64 = 10
        /// Consecutive failed polls before `transfer.failing`.
        var failingThreshold = 3
        /// Stop answering (SERVFAIL) after SOA expire without a successful poll.
        var stopServingOnExpire = true
        /// Warn when the earliest signature expiry is closer than this (re-signing is not keeping up).
        var expiryWarning: Int64 = 3 * 86_400
        /// Seconds before retrying a re-signing that failed.
        var resignRetry: Int64 = 300
        /// Seeds the poll jitter, so zones polled by one signer spread out (and tests are repeatable).
        var jitterSeed: UInt64 = 0
    }

    /// What a finished poll found.
    enum PollOutcome: Sendable, Equatable {
        /// The transfer equals what we serve.
        case unchanged(Published)
        /// A new signed version was committed and is being served.
        case published(Published)
        /// The transfer failed a guard; the old version stays. `guardName` identifies the guard.
        case refused(guardName: String, reason: String)
        /// No transfer (network, timeout, TSIG, malformed).
        case failed(reason: String)
        /// Signing or verification failed; nothing was published.
        case signingFailed(reason: String)
        /// A good transfer whose publication waits for review or was rejected by it (`ReviewGate`): the
        /// previous version stays. The primary answered, so it counts as a success (the expire clock restarts).
        case held
    }

    enum ResignOutcome: Sendable, Equatable {
        case done(Published)
        case failed(reason: String)
    }

    /// The facts about the published version the machine needs.
    struct Published: Sendable, Equatable {
        /// The unsigned SOA's EXPIRE field, seconds.
        var soaExpire: Int64
        /// When the signatures must next be refreshed (unix seconds).
        var nextResign: Int64
        /// The earliest signature expiration (unix seconds).
        var earliestExpiry: Int64
    }

    enum Event: Sendable, Equatable {
        /// At daemon start: what the store holds, and when it last polled successfully.
        case started(now: Int64, published: Published?, lastSuccess: Int64?)
        case tick(now: Int64)
        /// NOTIFY from the primary, or `zone refresh`.
        case notified(now: Int64)
        case pollFinished(now: Int64, PollOutcome)
        case resignFinished(now: Int64, ResignOutcome)
        /// The published version must be signed again now (the operator switched denial): a re-signing
        /// as soon as no cycle runs, after a poll that is due or queued. Ignored while nothing is published.
        case resignRequested(now: Int64)
        /// When the key lifecycle next needs a step (nil: nothing scheduled); a time at or before `now`
        /// asks for one as soon as no cycle runs.
        case keysDue(now: Int64, at: Int64?)
        /// While the machine slept, the signer's shared poller (`SerialWatch`) asked the primary for the
        /// SOA at the poll pace and found the serial held every time, last at `lastAt`: as if an unchanged
        /// poll had finished then. Ignored unless idle with nothing published missing and no failure
        /// counted (a zone is parked only then).
        case quietPolls(now: Int64, lastAt: Int64)
    }

    enum Alert: Sendable, Equatable {
        case failing(failures: Int, reason: String)
        case recovered(failures: Int)
        case refused(guardName: String, reason: String)
        case signingFailed(reason: String)
        case expiring(earliestExpiry: Int64)
        case expired(lastSuccess: Int64?)
    }

    enum Action: Sendable, Equatable {
        case poll
        case resign
        /// A key lifecycle step (a rollover's next state, a parent check, an operator request); finished
        /// with `resignFinished`.
        case keyStep
        case stopServing
        case resumeServing
        case alert(Alert)
    }

    enum Phase: Sendable, Equatable { case idle, polling, resigning }

    let settings: Settings
    private(set) var phase: Phase = .idle
    private(set) var nextPoll: Int64 = 0
    private(set) var pollQueued = false
    /// A `resignRequested` not started yet.
    private(set) var resignQueued = false
    /// When the key lifecycle wants its next step.
    private(set) var keysDueAt: Int64?
    private(set) var published: Published?
    private(set) var lastSuccess: Int64?
    private(set) var failures = 0
    private(set) var isExpired = false
    private var nextResignAttempt: Int64?
    private var alertedFailing = false
    private var alertedExpiring = false
    private var lastRefusal: String?
    private var lastSigningFailure: String?
    private var jitterState: UInt64

    init(settings: Settings) {
        self.settings = settings
        jitterState = settings.jitterSeed
    }

    /// The earliest time something is due, for a driver that sleeps between events.
    var nextDeadline: Int64 {
        var deadline = nextPoll
        if let resign = nextResignAttempt ?? published?.nextResign { deadline = min(deadline, resign) }
        if let expiry = expiresAt, !isExpired { deadline = min(deadline, expiry) }
        if let keys = keysDueAt, published != nil { deadline = min(deadline, keys) }
        return deadline
    }

    /// The earliest time something other than a poll is due: how long a worker whose polls the shared
    /// poller runs may sleep.
    var nextDeadlineBesidesPoll: Int64? {
        var deadline: Int64?
        func earliest(_ time: Int64) { deadline = min(deadline ?? time, time) }
        if let resign = nextResignAttempt ?? published?.nextResign { earliest(resign) }
        if let expiry = expiresAt, !isExpired { earliest(expiry) }
        if let keys = keysDueAt, published != nil { earliest(keys) }
        // The warning a poll's tick would have raised (`due`).
        if let published, !alertedExpiring { earliest(published.earliestExpiry - settings.expiryWarning) }
        return deadline
    }

    /// When the zone stops being served without a successful poll (nil: never, or nothing to serve).
    var expiresAt: Int64? {
        guard settings.stopServingOnExpire, let published else { return nil }
        return (lastSuccess ?? 0) + published.soaExpire
    }

    mutating func event(_ event: Event) -> [Action] {
        switch event {
        case let .started(now, published, lastSuccess):
            self.published = published
            self.lastSuccess = lastSuccess
            nextPoll = now
            return due(now)
        case let .tick(now):
            return due(now)
        case let .notified(now):
            if phase == .idle { nextPoll = min(nextPoll, now) } else { pollQueued = true }
            return due(now)
        case let .resignRequested(now):
            if published != nil { resignQueued = true }
            return due(now)
        case let .keysDue(now, at):
            keysDueAt = at
            return due(now)
        case let .quietPolls(now, lastAt):
            guard phase == .idle, failures == 0, let published, lastAt > (lastSuccess ?? .min) else { return due(now) }
            return pollFinished(.unchanged(published), now: lastAt) + due(now)
        case let .pollFinished(now, outcome):
            precondition(phase == .polling, "a poll finished that was not started")
            phase = .idle
            return pollFinished(outcome, now: now) + due(now)
        case let .resignFinished(now, outcome):
            precondition(phase == .resigning, "a re-signing finished that was not started")
            phase = .idle
            var actions: [Action] = []
            switch outcome {
            case .done(let facts):
                published = facts
                nextResignAttempt = nil
                lastSigningFailure = nil
            case .failed(let reason):
                nextResignAttempt = now + settings.resignRetry
                if lastSigningFailure != reason {
                    lastSigningFailure = reason
                    actions.append(.alert(.signingFailed(reason: reason)))
                }
            }
            return actions + due(now)
        }
    }

    private mutating func pollFinished(_ outcome: PollOutcome, now: Int64) -> [Action] {
        var actions: [Action] = []
        switch outcome {
        case .unchanged, .published, .held:
            // A version published now was signed with the current settings: a requested re-signing is done.
            switch outcome {
            case .published(let facts):
                resignQueued = false
                published = facts
            case .unchanged(let facts):
                published = facts
            default:
                break
            }
            lastSuccess = now
            if alertedFailing { actions.append(.alert(.recovered(failures: failures))) }
            failures = 0
            alertedFailing = false
            lastRefusal = nil
            lastSigningFailure = nil
            nextResignAttempt = nil
            if isExpired {
                isExpired = false
                actions.append(.resumeServing)
            }
            nextPoll = now + settings.pollInterval + jitter()
        case let .refused(guardName, reason):
            // The primary answered with data we will not serve: poll again at the normal pace (retrying
            // sooner would only fetch the same data); say so once per distinct refusal.
            if lastRefusal != guardName + reason {
                lastRefusal = guardName + reason
                actions.append(.alert(.refused(guardName: guardName, reason: reason)))
            }
            nextPoll = now + settings.pollInterval + jitter()
        case .signingFailed(let reason):
            if lastSigningFailure != reason {
                lastSigningFailure = reason
                actions.append(.alert(.signingFailed(reason: reason)))
            }
            nextPoll = now + settings.pollInterval + jitter()
        case .failed(let reason):
            failures += 1
            if failures >= settings.failingThreshold && !alertedFailing {
                alertedFailing = true
                actions.append(.alert(.failing(failures: failures, reason: reason)))
            }
            let shift = Int64(min(failures - 1, 20))
            nextPoll = now + min(settings.pollInterval, settings.retryInterval << shift)
        }
        return actions
    }

    /// Starts what is due at `now`, one cycle at a time: a poll first (it may bring new data that
    /// would make a re-signing moot), else a re-signing; and takes the zone out of service at expiry.
    private mutating func due(_ now: Int64) -> [Action] {
        var actions: [Action] = []
        if let expiry = expiresAt, now >= expiry, !isExpired {
            isExpired = true
            actions.append(.stopServing)
            actions.append(.alert(.expired(lastSuccess: lastSuccess)))
        }
        // Signatures this close to expiry mean re-signing is not keeping up (the refresh margin is wider).
        if let published {
            if published.earliestExpiry - now < settings.expiryWarning {
                if !alertedExpiring {
                    alertedExpiring = true
                    actions.append(.alert(.expiring(earliestExpiry: published.earliestExpiry)))
                }
            } else {
                alertedExpiring = false
            }
        }
        guard phase == .idle else { return actions }
        if pollQueued || now >= nextPoll {
            pollQueued = false
            phase = .polling
            actions.append(.poll)
        } else if published != nil, let keys = keysDueAt, now >= keys {
            // Before a routine refresh: a key step signs the zone anew anyway.
            keysDueAt = nil
            phase = .resigning
            actions.append(.keyStep)
        } else if let published, resignQueued || now >= (nextResignAttempt ?? published.nextResign) {
            resignQueued = false
            phase = .resigning
            actions.append(.resign)
        }
        return actions
    }

    /// 0 ..< pollInterval/10 seconds (`PollJitter`).
    private mutating func jitter() -> Int64 { PollJitter.next(&jitterState, interval: settings.pollInterval) }
}
