import DNSCore

/// A zone's keys through their lives, as a pure state machine (style rule 2): it holds each key's state
/// and the rollover in progress, decides from the policy, the zone's TTLs, the parent's answers and
/// `now` what the zone's keys do next, and says what the worker must carry out (make keys, ask the
/// parent, sign again, tell operators). It never reads a clock, a socket or the store.
///
/// Waits follow RFC 7583: a published key is used only after Dprp + TTLkey, a retired signer's key
/// stays until Dprp + TTLsig, a KSK leaves only after the parent serves the new DS everywhere and
/// Dprp + TTLds more have passed. The machine and the signed zone that matches it are committed in
/// one transaction, so after `kill -9` the step resumes with its start time, and no wait is shortened.
struct KeyLifecycle: Codable, Sendable, Equatable {
    var keys: [ManagedKey] = []
    var rollover: Rollover?
    /// The zone is served without DNSSEC (after going unsigned).
    var insecure = false
    /// `keys roll` asked for this kind; started at the next step of the worker.
    var requestedRoll: Rollover.Kind?

    enum Action: Sendable, Equatable {
        /// Make keys of these roles and call `begin` with them.
        case generate(Generation)
        /// Ask every parent server and call `parentChecked` with the result.
        case checkParent(ParentCheck)
        /// What the keys do changed: sign the zone again with `keySet` and publish it with this machine.
        case resign
        case notice(KeyNotice)
    }

    struct Generation: Sendable, Equatable {
        /// nil: the zone's first keys (or its first after being insecure).
        var rollover: Rollover.Kind?
        var roles: [KeyRole]
        var algorithm: DNSSECAlgorithm
        var reason: String
    }

    struct ParentCheck: Sendable, Equatable {
        var condition: Rollover.ParentCondition
        /// The arriving KSKs/CSKs (`newDS`), or every key the DS may name (`noDS`).
        var keys: [Rollover.KeyRef]
    }

    /// One check of every parent server.
    struct ParentObservation: Sendable, Equatable {
        /// The condition holds at every server, with answers validated.
        var satisfied: Bool
        /// The DS RRset's TTL as the parent serves it.
        var dsTTL: Int64?
        /// For operators: which servers have what.
        var report: String
    }

    var liveKeys: [ManagedKey] { keys.filter(\.isLive) }

    // MARK: Adopting keys from before the lifecycle

    /// The lifecycle of a zone signed before keys had states: every stored key active from its creation.
    static func adopting(_ stored: [(tag: UInt16, algorithm: UInt8, flags: UInt16, created: Int64)], csk: Bool) -> KeyLifecycle {
        let allSEP = stored.allSatisfy { $0.flags & DNSKEY.sepFlag != 0 }
        var lifecycle = KeyLifecycle()
        lifecycle.keys = stored.map { key in
            let sep = key.flags & DNSKEY.sepFlag != 0
            let role: KeyRole = allSEP || csk ? .csk : sep ? .ksk : .zsk
            return ManagedKey(tag: key.tag, algorithm: key.algorithm, role: role, state: .active, since: key.created,
                              created: key.created, activeSince: key.created)
        }
        return lifecycle
    }

    // MARK: Deciding

    /// What is due at `now`. Call it at `nextDeadline`, after a settings change or an operator request.
    mutating func advance(now: Int64, policy: KeyPolicy, facts: ZoneTTLFacts) -> [Action] {
        if var rollover {
            let step = rollover.currentStep
            if let wait = step.wait {
                let end = rollover.stepStarted + Self.interval(wait, policy: policy, facts: facts)
                rollover.waitUntil = max(rollover.waitUntil ?? end, end)
            }
            self.rollover = rollover
            let timed = rollover.waitUntil.map { now >= $0 } ?? true
            var parentDone = true
            var actions: [Action] = []
            if let condition = step.parent {
                if let seen = rollover.parentSatisfiedAt {
                    parentDone = now >= seen + dsWait(policy: policy)
                } else {
                    parentDone = false
                    if rollover.lastParentCheck.map({ now >= $0 + policy.dsCheckInterval }) ?? true {
                        actions.append(.checkParent(ParentCheck(condition: condition, keys: parentKeys(condition))))
                    }
                }
            }
            guard timed && parentDone else { return actions }
            return nextStep(now: now, policy: policy, facts: facts)
        }
        let live = liveKeys
        if insecure || live.isEmpty {
            if policy.unsigned {
                if insecure { return [] }
                insecure = true
                return [.resign]
            }
            return [.generate(Generation(rollover: nil, roles: KeyRole.set(csk: policy.csk), algorithm: policy.algorithm,
                                         reason: insecure ? "signing turned on again" : "first signing"))]
        }
        if policy.unsigned {
            return begin(Generation(rollover: .unsign, roles: [], algorithm: policy.algorithm, reason: "the operator turned signing off"),
                         keys: [], now: now, policy: policy, facts: facts)
        }
        let csk = live.contains { $0.role == .csk }
        if csk != policy.csk || live.contains(where: { $0.algorithm != policy.algorithm.rawValue }) {
            let from = "\(Self.describe(live))"
            return [.generate(Generation(
                rollover: .keySet, roles: KeyRole.set(csk: policy.csk), algorithm: policy.algorithm,
                reason: "settings ask for \(policy.csk ? "a CSK" : "a KSK and a ZSK") of \(policy.algorithm.mnemonic); the zone has \(from)"))]
        }
        if let kind = requestedRoll {
            requestedRoll = nil
            return [.generate(generation(for: kind, policy: policy, reason: "started by the operator (keys roll)"))]
        }
        if let due = lifetimeDue(now: now, policy: policy) {
            return [.generate(generation(for: due, policy: policy, reason: "the \(due == .zsk ? "ZSK" : due == .ksk ? "KSK" : "CSK") reached its lifetime"))]
        }
        return []
    }

    /// Takes up keys made for `generation` (their tags and algorithm; their private halves are the
    /// worker's) and starts what they are for.
    mutating func begin(_ generation: Generation, keys new: [ManagedKey], now: Int64, policy: KeyPolicy,
                        facts: ZoneTTLFacts) -> [Action] {
        guard let kind = generation.rollover else {
            // First keys: in use at once, nothing cached to wait for; the registrar needs the DS.
            for var key in new {
                key.state = .active
                key.since = now
                key.activeSince = now
                keys.append(key)
            }
            insecure = false
            return [.resign, .notice(.initialKeys(new.filter { $0.role.signsKeys }.map(Self.ref)))]
        }
        let leaving = liveKeys.filter { key in
            switch kind {
            case .zsk: key.role == .zsk
            case .ksk: key.role == .ksk
            case .csk: key.role == .csk
            case .keySet, .unsign: true
            }
        }
        keys.append(contentsOf: new)
        rollover = Rollover(
            kind: kind, old: leaving.map(Self.ref), new: new.map(Self.ref), step: 0, started: now, stepStarted: now,
            waitUntil: nil, parentSatisfiedAt: nil, parentDSTTL: nil, lastParentCheck: nil, parentReport: nil,
            reason: generation.reason)
        enterStep(now: now, policy: policy, facts: facts)
        var actions: [Action] = [.resign, .notice(.started(kind, old: rollover!.old, new: rollover!.new, reason: generation.reason))]
        actions += stepNotices()
        return actions
    }

    /// The result of asking the parent's servers.
    mutating func parentChecked(_ observation: ParentObservation, now: Int64, policy: KeyPolicy, facts: ZoneTTLFacts) -> [Action] {
        guard var rollover, rollover.currentStep.parent != nil, rollover.parentSatisfiedAt == nil else { return [] }
        rollover.lastParentCheck = now
        rollover.parentReport = observation.report
        if observation.satisfied {
            rollover.parentSatisfiedAt = now
            rollover.parentDSTTL = observation.dsTTL
        }
        self.rollover = rollover
        return observation.satisfied ? advance(now: now, policy: policy, facts: facts) : []
    }

    // MARK: Operator requests

    enum Request: Sendable, Equatable, Codable, CustomStringConvertible {
        case roll(Rollover.Kind)
        case dsSeen(tag: UInt16)
        case dsGone(tag: UInt16)

        /// As the command that asked for it: `roll zsk`, `ds-seen 12345`.
        var description: String {
            switch self {
            case .roll(let kind): "roll \(kind.rawValue)"
            case .dsSeen(let tag): "ds-seen \(tag)"
            case .dsGone(let tag): "ds-gone \(tag)"
            }
        }
    }

    /// Why `request` cannot be taken now; nil when it can. The CLI asks before queueing a request, the
    /// daemon again before taking it (the state may have moved in between).
    func refusal(of request: Request, policy: KeyPolicy) -> String? {
        switch request {
        case .roll(let kind):
            if let rollover {
                return "a \(rollover.kind.rawValue) rollover is in progress (step \(rollover.currentStep.name)); start another when it has finished"
            }
            if insecure || policy.unsigned { return "the zone is not signed" }
            if liveKeys.isEmpty { return "the zone has no keys yet: they are made at the first signing" }
            let csk = liveKeys.contains { $0.role == .csk }
            switch kind {
            case .zsk, .ksk:
                if csk { return "the zone has one combined key: roll it with `keys roll ZONE csk`" }
            case .csk:
                if !csk { return "the zone has a KSK and a ZSK: roll them with `keys roll ZONE ksk|zsk`, or change to a CSK with `zone set ZONE --csk`" }
            case .keySet, .unsign:
                return "use `zone set ZONE --algorithm …`, `--csk`/`--no-csk` or `--unsigned` for that"
            }
            if requestedRoll != nil { return "a \(requestedRoll!.rawValue) rollover is already requested" }
            return nil
        case .dsSeen(let tag):
            guard let rollover, rollover.currentStep.parent == .newDS else {
                return "no rollover is waiting for a new DS at the parent; nothing to confirm"
            }
            let expected = rollover.new.filter { ref in keys.contains { Self.ref($0) == ref && $0.role.signsKeys } }
            guard expected.contains(where: { $0.tag == tag }) else {
                return "the rollover waits for the DS of \(expected.map { "\($0.tag)" }.joined(separator: ", ")), not \(tag): "
                    + "confirming another key's DS would let the signer remove the key the parent's DS points at"
            }
            if rollover.parentSatisfiedAt != nil { return "the DS of \(tag) was already seen; the rollover is waiting for the DS TTL" }
            return nil
        case .dsGone(let tag):
            guard let rollover, rollover.currentStep.parent == .noDS else {
                return "no rollover is waiting for the parent to remove the DS (start one with `zone set ZONE --unsigned`)"
            }
            guard rollover.old.contains(where: { $0.tag == tag }) else {
                return "key \(tag) is not one of the zone's keys (\(rollover.old.map { "\($0.tag)" }.joined(separator: ", ")))"
            }
            if rollover.parentSatisfiedAt != nil { return "the DS was already seen gone; the rollover is waiting for the DS TTL" }
            return nil
        }
    }

    /// Takes an operator request; the caller checked `refusal` first.
    mutating func apply(_ request: Request, now: Int64, policy: KeyPolicy, facts: ZoneTTLFacts) -> [Action] {
        guard refusal(of: request, policy: policy) == nil else { return [] }
        switch request {
        case .roll(let kind):
            requestedRoll = kind
            return advance(now: now, policy: policy, facts: facts)
        case .dsSeen(let tag), .dsGone(let tag):
            let seen = request == .dsSeen(tag: tag)
            return parentChecked(ParentObservation(
                satisfied: true, dsTTL: nil,
                report: "the operator confirmed that the DS of \(tag) is \(seen ? "published" : "gone") (keys \(seen ? "ds-seen" : "ds-gone"))"),
                now: now, policy: policy, facts: facts)
        }
    }

    // MARK: What the zone is signed with

    /// The live keys with what each does, for `ZoneKeySet`.
    var usages: [(ref: Rollover.KeyRef, usage: KeyUsage)] {
        liveKeys.map { (Self.ref($0), $0.usage) }
    }

    /// CDS/CDNSKEY DELETE are published (going insecure).
    var publishesDelete: Bool { rollover?.kind == .unsign }

    /// Keys whose DS the parent may hold now: each must stay published and sign the DNSKEY RRset.
    var anchors: [Rollover.KeyRef] {
        var refs = liveKeys.filter { $0.usage.inCDS }.map(Self.ref)
        if let rollover, rollover.currentStep.oldAnchored {
            refs += keys.filter { rollover.old.contains(Self.ref($0)) && $0.role.signsKeys }.map(Self.ref)
        }
        return Array(Set(refs)).sorted { ($0.algorithm, $0.tag) < ($1.algorithm, $1.tag) }
    }

    /// When `advance` must next be called (nil: nothing scheduled).
    func nextDeadline(policy: KeyPolicy, facts: ZoneTTLFacts) -> Int64? {
        if let rollover {
            let step = rollover.currentStep
            var deadline: Int64?
            if let wait = step.wait {
                let end = rollover.stepStarted + Self.interval(wait, policy: policy, facts: facts)
                deadline = max(rollover.waitUntil ?? end, end)
            }
            if step.parent != nil {
                let parentTime = rollover.parentSatisfiedAt.map { $0 + dsWait(policy: policy) }
                    ?? rollover.lastParentCheck.map { $0 + policy.dsCheckInterval } ?? rollover.stepStarted
                deadline = max(deadline ?? parentTime, parentTime)
                // While the parent is still checked, the timed wait alone does not end the step.
                if rollover.parentSatisfiedAt == nil { deadline = min(deadline!, parentTime) }
            }
            return deadline ?? rollover.stepStarted
        }
        if requestedRoll != nil { return 0 }
        return lifetimeDeadline(policy: policy)
    }

    // MARK: Steps

    private mutating func nextStep(now: Int64, policy: KeyPolicy, facts: ZoneTTLFacts) -> [Action] {
        guard var rollover else { return [] }
        if rollover.isLastStep {
            let finished = rollover
            for index in keys.indices {
                let ref = Self.ref(keys[index])
                if finished.old.contains(ref) && !finished.new.contains(ref) {
                    set(index, .removed, now: now)
                } else if finished.new.contains(ref) {
                    set(index, .active, now: now)
                }
            }
            self.rollover = nil
            if finished.kind == .unsign { insecure = true }
            return [.resign, .notice(.finished(finished.kind, old: finished.old, new: finished.new))]
        }
        rollover.step += 1
        rollover.stepStarted = now
        rollover.waitUntil = nil
        rollover.parentSatisfiedAt = nil
        rollover.parentDSTTL = nil
        rollover.lastParentCheck = nil
        rollover.parentReport = nil
        self.rollover = rollover
        enterStep(now: now, policy: policy, facts: facts)
        return [.resign] + stepNotices() + advance(now: now, policy: policy, facts: facts).filter { $0 != .resign }
    }

    /// Puts the rollover's keys in the states of its current step and fixes the step's timed wait.
    private mutating func enterStep(now: Int64, policy: KeyPolicy, facts: ZoneTTLFacts) {
        guard var rollover else { return }
        let step = rollover.currentStep
        for index in keys.indices {
            let ref = Self.ref(keys[index])
            if rollover.new.contains(ref) {
                set(index, step.new, now: now)
            } else if rollover.old.contains(ref) {
                set(index, step.old, now: now)
            }
        }
        if let wait = step.wait { rollover.waitUntil = now + Self.interval(wait, policy: policy, facts: facts) }
        self.rollover = rollover
    }

    private mutating func set(_ index: Int, _ requested: KeyState, now: Int64) {
        // A ZSK has no DS to wait for: where a step submits the new KSK, the new ZSK is simply active.
        let state: KeyState = keys[index].role == .zsk && requested == .submitted ? .active : requested
        guard keys[index].state != state else { return }
        keys[index].state = state
        keys[index].since = now
        let usage = keys[index].usage
        // A key's lifetime counts from when it signs in its full role.
        if keys[index].activeSince == nil && usage.published && (usage.signsZone || keys[index].role == .ksk)
            && (state == .active || state == .submitted) {
            keys[index].activeSince = now
        }
    }

    /// Operator notices for the step just entered.
    private func stepNotices() -> [Action] {
        guard let rollover else { return [] }
        switch rollover.currentStep.parent {
        case .newDS?:
            let arriving = rollover.new.filter { ref in keys.contains { Self.ref($0) == ref && $0.role.signsKeys } }
            let leaving = rollover.old.filter { ref in keys.contains { Self.ref($0) == ref && $0.role.signsKeys } }
            return [.notice(.submitDS(new: arriving, old: leaving))]
        case .noDS?:
            return [.notice(.removeDS(rollover.old.filter { ref in keys.contains { Self.ref($0) == ref && $0.role.signsKeys } }))]
        case nil:
            return [.notice(.stepStarted(rollover.kind, step: rollover.currentStep.name))]
        }
    }

    private func parentKeys(_ condition: Rollover.ParentCondition) -> [Rollover.KeyRef] {
        guard let rollover else { return [] }
        let refs = condition == .newDS ? rollover.new : rollover.old
        return refs.filter { ref in keys.contains { Self.ref($0) == ref && $0.role.signsKeys } }
    }

    // MARK: Times

    /// RFC 7583's intervals: Dprp + TTLkey, Dprp + TTLsig.
    static func interval(_ wait: Rollover.Wait, policy: KeyPolicy, facts: ZoneTTLFacts) -> Int64 {
        switch wait {
        case .dnskey: policy.propagationDelay + facts.dnskeyTTL
        case .signatures: policy.propagationDelay + facts.maxZoneTTL
        }
    }

    /// Dprp + TTLds, after the parent was seen to change: caches may hold the old DS set that long.
    func dsWait(policy: KeyPolicy) -> Int64 {
        policy.propagationDelay + (policy.parentDSTTL ?? rollover?.parentDSTTL ?? KeyPolicy.fallbackDSTTL)
    }

    private func generation(for kind: Rollover.Kind, policy: KeyPolicy, reason: String) -> Generation {
        let roles: [KeyRole] = switch kind {
        case .zsk: [.zsk]
        case .ksk: [.ksk]
        case .csk: [.csk]
        case .keySet, .unsign: KeyRole.set(csk: policy.csk)
        }
        let algorithm = liveKeys.first { roles.contains($0.role) }.map { DNSSECAlgorithm($0.algorithm) } ?? policy.algorithm
        return Generation(rollover: kind, roles: roles, algorithm: algorithm, reason: reason)
    }

    /// The rollover a key's lifetime calls for at `now`, KSK/CSK first.
    private func lifetimeDue(now: Int64, policy: KeyPolicy) -> Rollover.Kind? {
        for (kind, role, lifetime) in [(Rollover.Kind.csk, KeyRole.csk, policy.kskLifetime), (.ksk, .ksk, policy.kskLifetime),
                                       (.zsk, .zsk, policy.zskLifetime)] {
            guard let lifetime else { continue }
            if liveKeys.contains(where: { $0.role == role && $0.state == .active && ($0.activeSince ?? $0.created) + lifetime <= now }) {
                return kind
            }
        }
        return nil
    }

    private func lifetimeDeadline(policy: KeyPolicy) -> Int64? {
        liveKeys.compactMap { key -> Int64? in
            guard key.state == .active, let lifetime = key.role == .zsk ? policy.zskLifetime : policy.kskLifetime else { return nil }
            return (key.activeSince ?? key.created) + lifetime
        }.min()
    }

    static func ref(_ key: ManagedKey) -> Rollover.KeyRef { Rollover.KeyRef(tag: key.tag, algorithm: key.algorithm) }

    static func describe(_ keys: [ManagedKey]) -> String {
        keys.map(\.summary).joined(separator: " and ")
    }
}

/// What operators are told about keys; the worker turns each into an event with the DS texts.
enum KeyNotice: Sendable, Equatable {
    /// The zone's first keys: the registrar needs their DS.
    case initialKeys([Rollover.KeyRef])
    case started(Rollover.Kind, old: [Rollover.KeyRef], new: [Rollover.KeyRef], reason: String)
    /// The parent should replace the DS of `old` with that of `new`.
    case submitDS(new: [Rollover.KeyRef], old: [Rollover.KeyRef])
    /// The parent should remove every DS (going insecure).
    case removeDS([Rollover.KeyRef])
    case stepStarted(Rollover.Kind, step: String)
    case finished(Rollover.Kind, old: [Rollover.KeyRef], new: [Rollover.KeyRef])
}
