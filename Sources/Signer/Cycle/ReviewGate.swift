/// The review step before publishing (issue 16 item 3), as a pure state machine: a new version that
/// passed the guards and was signed and self-verified goes through the unsigned review, then the signed
/// review; each is off, a command (exit 0 passes) or an operator's `zone approve|reject`. `ZoneWorker`
/// runs the hooks, stores the pending review and raises the events; it asks this machine what to do.
///
/// Only new content is reviewed: signature refreshes and key-step re-signings of the version already
/// published never come here, so a version waiting for an operator never holds them back. A rejected or
/// waiting version is remembered by its content hash, so polling the same content again runs no hook,
/// signs nothing and raises no second event; other content from the primary supersedes it.
struct ReviewGate: Sendable, Equatable {
    enum Mode: String, Sendable, Equatable, Codable, CaseIterable {
        case off, command, manual
    }

    enum Stage: String, Sendable, Equatable, Codable, CaseIterable {
        /// The zone as transferred, after the guards.
        case unsigned
        /// The signed zone, after self-verification.
        case signed
    }

    struct Settings: Sendable, Equatable {
        var unsigned: Mode = .off
        var signed: Mode = .off
        /// Seconds a command may run before it counts as a rejection.
        var timeout: Int64 = 300

        func mode(_ stage: Stage) -> Mode { stage == .unsigned ? unsigned : signed }
        var isOff: Bool { unsigned == .off && signed == .off }
    }

    /// A version on its way to publication, known by the content the primary sent.
    struct Candidate: Sendable, Equatable {
        /// Of the transfer (`TransferResult.contentHash`): the same content polled again is the same candidate.
        var contentHash: [UInt8]
        var unsignedSerial: UInt32
        /// The serial the signed version gets (known before the unsigned review: the worker signs first).
        var signedSerial: UInt32
        /// The signed serial served when the candidate was made; nil: nothing published yet.
        var previousSignedSerial: UInt32?

        func serial(for stage: Stage) -> UInt32 { stage == .unsigned ? unsignedSerial : signedSerial }
    }

    /// How a review command ended.
    enum HookResult: Sendable, Equatable {
        case passed
        /// Exited non-zero, was killed, or could not be started; the reason says which (with its output).
        case failed(String)
        case timedOut(seconds: Int64)
    }

    enum Phase: Sendable, Equatable {
        case idle
        /// A command reviews `stage`; the worker awaits it.
        case running(Candidate, Stage)
        /// The operator's turn (`zone approve|reject ZONE SERIAL`).
        case waiting(Candidate, Stage, since: Int64)
        /// The operator approved `through`: the next poll takes the candidate on from the following stage.
        case approved(Candidate, through: Stage)
        /// Refused; the previous version stays until the primary sends other content.
        case rejected(Candidate, Stage, reason: String)
    }

    enum Action: Sendable, Equatable {
        /// Every stage passed (or review is off): store and serve it.
        case publish(Candidate)
        case runHook(Candidate, Stage, timeout: Int64)
        /// Store the pending review and raise `review.pending`; `superseded` was waiting before it.
        case askOperator(Candidate, Stage, superseded: Candidate?)
        /// A command rejected it: store that and raise `review.rejected` (once).
        case rejected(Candidate, Stage, reason: String)
        /// Nothing new: the candidate waits or was rejected; the text is for the poll result.
        case hold(String)
        /// The operator approved: poll now so the candidate goes on.
        case pollNow
    }

    var settings: Settings
    private(set) var phase: Phase = .idle

    init(settings: Settings) {
        self.settings = settings
    }

    /// The candidate the phase concerns, if any.
    var candidate: Candidate? {
        switch phase {
        case .idle: nil
        case .running(let candidate, _), .waiting(let candidate, _, _), .approved(let candidate, _), .rejected(let candidate, _, _): candidate
        }
    }

    /// Whether a poll that brought `contentHash` can stop before signing: that content waits for the
    /// operator or was rejected. The text says which, for the poll result.
    func holding(_ contentHash: [UInt8]) -> String? {
        switch phase {
        case let .waiting(candidate, stage, _) where candidate.contentHash == contentHash:
            "waiting for review of the \(stage.rawValue) version (serial \(candidate.serial(for: stage)))"
        case let .rejected(candidate, stage, reason) where candidate.contentHash == contentHash:
            "the \(stage.rawValue) review rejected this version (serial \(candidate.serial(for: stage))): \(reason)"
        default:
            nil
        }
    }

    /// The signed serial to sign `contentHash` with again: the one the operator saw, for an approved
    /// candidate re-derived by the next poll (or after a restart).
    func pinnedSignedSerial(_ contentHash: [UInt8]) -> UInt32? {
        if case let .approved(candidate, _) = phase, candidate.contentHash == contentHash { return candidate.signedSerial }
        if case let .waiting(candidate, _, _) = phase, candidate.contentHash == contentHash { return candidate.signedSerial }
        return nil
    }

    /// A poll made `candidate` (guards passed, signed, verified, different from what is served).
    mutating func offer(_ candidate: Candidate, now: Int64) -> Action {
        if case let .approved(approved, through) = phase, approved.contentHash == candidate.contentHash {
            return next(candidate, after: through, superseded: nil, now: now)
        }
        if let reason = holding(candidate.contentHash) { return .hold(reason) }
        var superseded: Candidate?
        if case let .waiting(waiting, _, _) = phase { superseded = waiting }
        return next(candidate, from: .unsigned, superseded: superseded, now: now)
    }

    /// The command reviewing `stage` of `candidate` ended.
    mutating func hookFinished(_ candidate: Candidate, _ stage: Stage, _ result: HookResult, now: Int64) -> Action {
        guard phase == .running(candidate, stage) else { return .hold("a review finished for a version no longer offered") }
        switch result {
        case .passed:
            return next(candidate, after: stage, superseded: nil, now: now)
        case .failed(let reason):
            phase = .rejected(candidate, stage, reason: reason)
            return .rejected(candidate, stage, reason: reason)
        case .timedOut(let seconds):
            let reason = "the review command did not finish within \(seconds) s"
            phase = .rejected(candidate, stage, reason: reason)
            return .rejected(candidate, stage, reason: reason)
        }
    }

    /// The operator's decision as the store holds it (`zone approve|reject`, checked there against the
    /// serial waiting). nil when it does not concern the candidate waiting here.
    mutating func decided(_ stage: Stage, serial: UInt32, approved: Bool, by: String) -> Action? {
        guard case let .waiting(candidate, waitingStage, _) = phase, waitingStage == stage, candidate.serial(for: stage) == serial else {
            return nil
        }
        if approved {
            phase = .approved(candidate, through: stage)
            return .pollNow
        }
        phase = .rejected(candidate, stage, reason: "rejected by \(by)")
        return .hold("rejected by \(by)")
    }

    /// The candidate was stored and is served.
    mutating func published() {
        phase = .idle
    }

    /// At start: the review the store holds (a version waiting for, or decided by, the operator; or
    /// rejected by a command). The candidate itself is re-derived by the next poll.
    mutating func restore(_ phase: Phase) -> [Action] {
        self.phase = phase
        if case .approved = phase { return [.pollNow] }
        return []
    }

    /// New review settings: a waiting or rejected candidate is forgotten, so the primary's version is
    /// reviewed afresh under them at the next poll (true: the worker drops the stored review).
    mutating func update(_ new: Settings) -> Bool {
        guard new != settings else { return false }
        settings = new
        switch phase {
        case .idle, .running: return false
        case .waiting, .approved, .rejected:
            phase = .idle
            return true
        }
    }

    // MARK: Stages

    private mutating func next(_ candidate: Candidate, after stage: Stage, superseded: Candidate?, now: Int64) -> Action {
        if stage == .signed {
            phase = .idle
            return .publish(candidate)
        }
        return next(candidate, from: .signed, superseded: superseded, now: now)
    }

    private mutating func next(_ candidate: Candidate, from stage: Stage, superseded: Candidate?, now: Int64) -> Action {
        switch settings.mode(stage) {
        case .off:
            return next(candidate, after: stage, superseded: superseded, now: now)
        case .command:
            phase = .running(candidate, stage)
            return .runHook(candidate, stage, timeout: settings.timeout)
        case .manual:
            phase = .waiting(candidate, stage, since: now)
            return .askOperator(candidate, stage, superseded: superseded)
        }
    }
}
