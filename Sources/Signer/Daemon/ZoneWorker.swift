import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging

/// Runs one zone's cycle: feeds `ZoneCycle` its events and carries out what it decides — transfer,
/// guard, compare, re-sign, verify, commit, switch the served snapshot, NOTIFY downstream, alert.
///
/// The order of a publication is fixed: the new version is stored (unsigned copy, signed zone, state
/// and the events that report it, in one transaction) before it is served, so whatever is served after
/// a crash is what the store holds. A store that cannot commit (full disk) publishes nothing.
actor ZoneWorker {
    let origin: DomainName
    private(set) var config: SignerZoneConfig
    let store: SignerStore
    private let served: ServedZones
    let transfers: AXFRClient
    private let downstream: DownstreamNotifier
    let logger: Logger
    let now: @Sendable () -> Int64
    var machine: ZoneCycle
    /// The published version to change from; let go between cycles for small zones (ZoneWorker+Residency).
    var current: ZoneUpdate.Current?
    /// When the published version must be re-signed and expires; nil until a version is published.
    var publishedFacts: ZoneCycle.Published?
    /// The published version's TTLs, for the key lifecycle's waits; nil: not computed since it changed.
    var ttlFacts: ZoneTTLFacts?
    var state = ZoneState()
    /// The state as the store last recorded it, apart from poll times noted in `pollTimes`: an unchanged
    /// poll that leaves everything else as recorded is not written on its own.
    var recordedState: ZoneState?
    let pollTimes: PollTimes
    /// The key lifecycle and the keys' private halves; loaded at start, replaced only by a committed step.
    var keys: ZoneKeys?
    let parentProbe: ParentDSProbe
    /// A settings change or an operator request: take a key step at the next tick.
    private var keysAsked = false
    /// The records of the transfer `current.unsigned` was made from, in the order received: the next
    /// transfer is compared with them record by record (see `Zone.updated(from:to:)`). Not stored: after
    /// a restart the first transfer is compared zone to zone.
    var lastRecords: [ResourceRecord]?
    /// Whether the last `commit` stored and served its version.
    var committed = false
    private var started = false
    /// The served version denies existence otherwise than the settings ask (`zone set --nsec3`, or the
    /// change was made while the daemon was down): the next signing is a full one.
    private var needsFullResign = false
    /// The machine has been asked for the full re-signing `needsFullResign` calls for.
    private var fullResignAsked = false
    /// New cycle settings (poll interval, expire action) waiting for the machine to be idle.
    private var pendingTiming: ZoneCycle.Settings?
    /// New primaries or TSIG key: poll at the next tick.
    private var pollAsked = false
    /// A NOTIFY or `zone refresh` asked for a transfer, whatever the primary's serial says.
    var transferAsked = true
    /// When the zone was last transferred in full (content checked); nil: not since the start.
    var lastContentCheck: Int64?
    /// How long the last commit took to store the version and to switch the served snapshot, for the
    /// poll's log line (the two halves of `commit_s`).
    var lastCommitSplit: (store: Duration, switch: Duration)?
    /// The poll mode `auto` settled on.
    var detectedMode: SignerZoneConfig.PollMode?
    /// A `version.bind` question for `auto` is out.
    var modeSettling = false
    /// The primary answered IXFR with NOTIMP/REFUSED/FORMERR: AXFR only until then.
    var ixfrRetryAt: Int64?
    /// The last broken IXFR's error, refused and alerted once (`refuses(broken:from:)`).
    var lastBrokenIXFR: String?
    /// The unsigned copy we serve was built by IXFR since the last AXFR (the next content check proves it).
    var builtByIXFR = false
    /// Events the running poll reports besides the cycle's alerts (committed with its result).
    var pollEvents: [OperatorEvent] = []
    /// The review step before publishing and what the worker keeps for it (ZoneWorker+Review.swift).
    var reviewing: ReviewWork
    /// Cuts the loop's sleep short when something arrives before the next deadline.
    nonisolated let wakeup = WakeupSignal()
    /// What the machine asked for when the zone was loaded (its first poll, a key step): the first
    /// `tick` carries it out, so that loading thousands of zones serves them all before any is polled.
    var startActions: [ZoneCycle.Action]?
    /// Runs the zone's serial-only polls while it sleeps (ZoneWorker+Parking); nil: the worker polls itself.
    let poller: SerialPoller?
    /// The zone's polls are the poller's until the worker wakes.
    var parked = false
    /// What the poller reports while the zone is parked.
    nonisolated let parkedPolls = ParkedPolls()

    init(config: SignerZoneConfig, store: SignerStore, served: ServedZones, transfers: AXFRClient,
         downstream: DownstreamNotifier, logger: Logger, parentProbe: ParentDSProbe, pollTimes: PollTimes,
         poller: SerialPoller? = nil, now: @escaping @Sendable () -> Int64) {
        self.parentProbe = parentProbe
        self.poller = poller
        self.pollTimes = pollTimes
        self.origin = config.origin
        self.config = config
        self.store = store
        self.served = served
        self.transfers = transfers
        self.downstream = downstream
        self.logger = logger
        self.now = now
        machine = ZoneCycle(settings: Self.settings(config))
        reviewing = ReviewWork(gate: ReviewGate(settings: config.reviewSettings))
    }

    static func settings(_ config: SignerZoneConfig) -> ZoneCycle.Settings {
        var settings = ZoneCycle.Settings()
        settings.pollInterval = Int64(max(1, config.pollSeconds))
        settings.retryInterval = min(10, settings.pollInterval)
        settings.stopServingOnExpire = config.expireAction == .servfail
        var hasher = Hasher()
        hasher.combine(config.origin)
        settings.jitterSeed = UInt64(bitPattern: Int64(hasher.finalize()))
        return settings
    }

    /// Serves what the store holds (before any poll: a restarted signer answers at once) and starts the
    /// cycle; what the cycle asks for first waits for the first `tick`.
    func start() {
        guard !started else { return }
        started = true
        var facts: ZoneCycle.Published?
        do {
            state = try store.state(zone: origin.text)
            recordedState = state
            if let (stored, keys) = try loadPublished() {
                let signed = stored.signed
                current = stored
                needsFullResign = !keys.isInsecure && !ZoneUpdate.deniesExistence(signed.zone, as: config.signingPolicy)
                try served.publish(signed.zone)
                if state.expired && config.expireAction == .servfail { served.setUnavailable(origin, true) }
                facts = published(signed, unsigned: stored.unsigned)
                publishedFacts = facts
                // The gauges describe what is served from the start, not only after the next change.
                if let serial = stored.unsigned.serial { CountersignMetrics.setSerial(zone: origin.text, kind: .unsigned, value: serial.rawValue) }
                if let serial = signed.zone.serial { CountersignMetrics.setSerial(zone: origin.text, kind: .signed, value: serial.rawValue) }
                if let facts { CountersignMetrics.setEarliestSignatureExpiry(zone: origin.text, at: facts.earliestExpiry) }
                logger.info("serving stored version", metadata: meta(["serial": "\(signed.zone.serial.map { "\($0)" } ?? "-")"]))
            }
        } catch {
            logger.error("cannot load the stored version", metadata: meta(["reason": "\(error)"]))
        }
        // Operator key requests queued while the daemon was down are taken at the first key step.
        if let pending = try? store.keyRequests(zone: origin.text), !pending.isEmpty { keysAsked = true }
        restoreReview()
        var actions = machine.event(.started(now: now(), published: facts, lastSuccess: state.lastSuccessAt))
        let keysAt = keysDeadline()
        actions += machine.event(.keysDue(now: now(), at: keysAt))
        recordKeyMetrics(nextEvent: keysAt)
        startActions = actions
    }

    /// The loop's heartbeat; also where settings changes reach the machine, between cycles.
    func tick() async {
        guard started else { return }
        if let first = startActions {
            startActions = nil
            return await execute(first)
        }
        let time = now()
        var actions = unpark(now: time)
        if let settings = pendingTiming, machine.phase == .idle {
            pendingTiming = nil
            actions += restartCycle(settings, now: time)
            pollAsked = false  // the restarted cycle polls now anyway
        }
        if pollAsked {
            pollAsked = false
            actions += machine.event(.notified(now: time))
        }
        if keysAsked {
            keysAsked = false
            actions += machine.event(.keysDue(now: time, at: time))
        }
        if needsFullResign && !fullResignAsked && hasPublished {
            fullResignAsked = true
            logger.notice("denial settings changed: signing the zone again in full", metadata: meta([
                "denial": "\(config.denial.rawValue)\(config.optOut ? " opt-out" : "")",
            ]))
            actions += machine.event(.resignRequested(now: time))
        }
        actions += takeReviewDecision()
        actions += machine.event(.tick(now: time))
        await execute(actions)
    }

    /// Seconds the loop may sleep before the next `tick`: until the cycle's next deadline (a poll, a
    /// re-signing, expiry, a key step), at once when a settings change waits for a tick. At least a
    /// quarter second (a deadline that passed while a cycle ran in another task is taken at the next
    /// tick), at most an hour.
    func secondsToNextDeadline() -> Double {
        if hasPendingRequest { return 0 }
        let remaining = Double(machine.nextDeadline) - Date().timeIntervalSince1970
        return min(3600, max(0.25, remaining + 0.01))
    }

    /// Something waits for the next tick: new settings, a poll or key step asked for, a review decision,
    /// or the full re-signing a denial change calls for.
    var hasPendingRequest: Bool {
        pendingTiming != nil || pollAsked || keysAsked || reviewing.decisionAsked || (needsFullResign && !fullResignAsked && hasPublished)
    }

    /// NOTIFY from the primary, or `zone refresh`: poll now (or right after the cycle running).
    /// `serial` is the one the NOTIFY carried: when it is the serial we hold and the zone polls by serial,
    /// there is nothing to fetch (`notifiedSerialIsHeld`).
    func notified(serial: SerialNumber? = nil) async {
        guard started else { return }
        if let serial, notifiedSerialIsHeld(serial) {
            return CountersignMetrics.notified(zone: origin.text, result: .current)
        }
        if serial != nil { CountersignMetrics.notified(zone: origin.text, result: .refresh) }
        transferAsked = true
        // Before its first poll (waiting at start for a place among the first polls) the zone transfers
        // at that poll anyway: polling here would bypass the limit on first polls running at once.
        guard startActions == nil else { return }
        let time = now()
        let wasParked = parked
        await execute(unpark(now: time) + machine.event(.notified(now: time)))
        // Its loop sleeps past the polls the poller was to run: wake it to take its deadlines (and park) again.
        if wasParked { wakeup.wake() }
    }

    /// New settings from the store (`zone set`, accept-next, refresh, …), taken up at the next tick:
    /// a new poll interval or expire action restarts the cycle's timing (once no cycle runs), new
    /// primaries or TSIG key are polled at once, and a change of denial signs the zone again in full.
    func update(_ new: SignerZoneConfig) {
        let old = config
        config = new
        if Self.settings(new) != Self.settings(old) { pendingTiming = Self.settings(new) }
        if new.primaries != old.primaries || new.tsigKeyName != old.tsigKeyName {
            pollAsked = true
            transferAsked = true
            detectedMode = nil
        }
        if new.pollMode != old.pollMode { detectedMode = nil }
        // Other primaries or IXFR settings: what we learnt about the old primaries' IXFR no longer holds.
        if new.primaries != old.primaries || new.transferMode != old.transferMode || new.contentCheckSeconds != old.contentCheckSeconds {
            ixfrRetryAt = nil
            lastBrokenIXFR = nil
        }
        updateReview(new)
        // A changed key policy may start a rollover; an operator's key request raised the version too.
        keysAsked = true
        wakeup.wake()
        if new.signingPolicy.denial != old.signingPolicy.denial {
            ensureCurrent()
            needsFullResign = current.map { !ZoneUpdate.deniesExistence($0.signed.zone, as: new.signingPolicy) } ?? false
            fullResignAsked = false
        }
    }

    /// Replaces the machine by one with `settings`, started at `now` from what is published: it polls at
    /// once, then at the new pace. Its actions are returned to be carried out (the poll it started among
    /// them); what the old machine already did is not done again: no second alert, and a zone already
    /// out of service is put back only when the new settings keep serving it.
    private func restartCycle(_ settings: ZoneCycle.Settings, now time: Int64) -> [ZoneCycle.Action] {
        let wasExpired = machine.isExpired
        var replacement = ZoneCycle(settings: settings)
        var actions = replacement.event(.started(now: time, published: machine.published, lastSuccess: machine.lastSuccess))
        machine = replacement
        actions.removeAll { action in
            switch action {
            case .alert(.expired): wasExpired
            case .alert(.expiring): true
            case .stopServing: wasExpired
            default: false
            }
        }
        if wasExpired && !machine.isExpired { actions.append(.resumeServing) }
        return actions
    }

    var status: (phase: ZoneCycle.Phase, failures: Int, expired: Bool) { (machine.phase, machine.failures, machine.isExpired) }

    /// What `/healthz` judges this zone by.
    func healthInput(since: Int64) -> ZoneHealthInput {
        ZoneHealthInput(
            zone: origin.text, earliestSignatureExpiry: machine.published?.earliestExpiry,
            refreshMargin: Int64(config.signingPolicy.refreshMargin), expired: machine.isExpired,
            lastSuccess: [machine.lastSuccess, parked ? parkedPolls.lastQuiet : nil].compactMap { $0 }.max(), since: since,
            maxSilence: Int64(max(1, config.pollSeconds)) * 10 + 300)
    }

    /// The poll in the metrics: by result, refusals by guard, the time of the last good transfer.
    static func count(_ outcome: ZoneCycle.PollOutcome, zone: String, at time: Int64) {
        switch outcome {
        case .unchanged, .held:
            CountersignMetrics.pollFinished(zone: zone, result: .unchanged, at: time)
        case .published:
            CountersignMetrics.pollFinished(zone: zone, result: .changed, at: time)
        case .refused(let guardName, _):
            CountersignMetrics.pollFinished(zone: zone, result: .refused, at: time)
            CountersignMetrics.transferRefused(zone: zone, reason: .init(rawValue: guardName))  // TransferRefusal.guardName
        case .failed:
            CountersignMetrics.pollFinished(zone: zone, result: .failed, at: time)
        case .signingFailed:
            CountersignMetrics.pollFinished(zone: zone, result: .signingFailed, at: time)
            CountersignMetrics.transferRefused(zone: zone, reason: .verificationFailed)
        }
    }

    // MARK: Carrying out actions

    private func execute(_ initial: [ZoneCycle.Action]) async {
        defer { releaseCurrentIfSmall() }
        if !initial.isEmpty { FreedMemory.noteChurn() }
        var queue = initial
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .poll:
                queue += await poll()
            case .resign:
                queue += await resign()
            case .keyStep:
                queue += await keyStep()
            case .stopServing:
                served.setUnavailable(origin, true)
                CountersignMetrics.setExpired(zone: origin.text, true)
                logger.critical("zone expired: SOA expire passed without a successful poll; answering SERVFAIL", metadata: meta())
            case .resumeServing:
                served.setUnavailable(origin, false)
                CountersignMetrics.setExpired(zone: origin.text, false)
                logger.notice("zone served again after a successful poll", metadata: meta())
            case .alert(let alert):
                // Alerts outside a poll or re-signing (expiry at a tick) are recorded on their own.
                state.expired = machine.isExpired
                commitState(events: [event(for: alert)])
            }
        }
    }

    /// Transfer, guard, compare, sign, verify; then commit and publish. Returns the machine's follow-ups.
    private func poll() async -> [ZoneCycle.Action] {
        let startedAt = now()
        let clock = ContinuousClock()
        let began = clock.now
        if config.refreshRequested {
            try? store.clearRefreshRequest(origin.text)
            config.refreshRequested = false
        }
        state.lastPollAt = startedAt
        if let serial = await unchangedSerial(), let facts = publishedFacts {
            state.lastSuccessAt = now()
            state.lastPollResult = unchangedSerialResult(serial)
            return finishPoll(.unchanged(facts), change: nil)
        }
        transferAsked = false
        let transfer: Zone
        var contentHash: [UInt8] = []
        var records: [ResourceRecord]?
        var knownDiff: ZoneDiff?
        var via = "AXFR"
        do {
            switch try await transferForPoll(fetchFull: fetch) {
            case .upToDate(let serial):
                guard let facts = publishedFacts else { return finishPoll(.failed(reason: "nothing published yet"), change: nil) }
                state.lastSuccessAt = now()
                state.lastPollResult = "unchanged (IXFR: serial \(serial) is current)"
                logger.info("poll finished", metadata: meta([
                    "result": "\(state.lastPollResult!)", "transfer": "ixfr", "total_s": "\(Self.seconds(clock.now - began))",
                ]))
                return finishPoll(.unchanged(facts), change: nil)
            case .broken(let error):
                // Refused whole; AXFR takes over from the next poll (`refuses(broken:from:)`).
                state.refusals += 1
                state.lastRefusal = "ixfr: \(error)"
                state.lastPollResult = "refused (ixfr): \(error)"
                logger.warning("IXFR refused; serving the current version, AXFR from the next poll", metadata: meta([
                    "guard": "ixfr", "reason": "\(error)",
                ]))
                return finishPoll(.refused(guardName: "ixfr", reason: "\(error)"), change: nil)
            case let .incremental(zone, diff, result):
                via = "IXFR, \(result.sequences.count) sequences, \(result.changeCount) records"
                transfer = zone
                knownDiff = diff
            case let .full(result, type):
                if type == .axfr { CountersignMetrics.transferReceived(zone: origin.text, type: .axfr) }
                via = type == .axfr ? "AXFR" : "IXFR answered with the whole zone"
                lastContentCheck = now()
                contentHash = result.contentHash
                // The same bytes as the version we serve: nothing to build, compare or sign.
                if let facts = publishedFacts, contentHash == state.unsignedHash {
                    state.lastSuccessAt = now()
                    state.lastPollResult = "unchanged (serial \(result.serial), same content hash)"
                    logger.info("poll finished", metadata: meta([
                        "result": "\(state.lastPollResult!)", "total_s": "\(Self.seconds(clock.now - began))",
                    ]))
                    return finishPoll(.unchanged(facts), change: nil)
                }
                // Content waiting for the operator or rejected by review: nothing to sign or review again.
                if let held = heldPoll(contentHash) { return held }
                records = result.records
                ensureCurrent()
                if let current, let last = lastRecords, let updated = current.unsigned.updated(from: last, to: result.records) {
                    transfer = updated.zone
                    knownDiff = ZoneDiff(from: current.unsigned, to: updated.zone, at: updated.changedNames)
                } else {
                    transfer = result.makeZone()
                }
                if let current, let event = contentCheckEvent(axfr: transfer, current: current) { pollEvents.append(event) }
                builtByIXFR = false
            }
        } catch {
            let reason = "\(error)"
            logger.warning("poll failed", metadata: meta(["reason": "\(reason)"]))
            state.lastPollResult = "failed: \(reason)"
            return finishPoll(.failed(reason: reason), change: nil)
        }
        let zoneKeys: ZoneKeys
        let keys: ZoneKeySet
        do {
            zoneKeys = try firstKeysIfNeeded()
            keys = try zoneKeys.keySet()
        } catch {
            return finishPoll(.signingFailed(reason: "keys: \(error)"), change: nil)
        }
        let guards = Self.guards(for: config, logger: logger)
        var update = ZoneUpdate(keys: keys, policy: config.signingPolicy, guards: guards, serialPolicy: config.signedSerialPolicy)
        update.anchors = zoneKeys.anchors
        update.insecure = zoneKeys.isInsecure
        update.signedSerialPin = reviewing.gate.pinnedSignedSerial(contentHash).map { SerialNumber($0) }
        let unixNow = now()
        let transferred = clock.now
        let fullSigning = needsFullResign
        let outcome = update.apply(transfer: transfer, knownDiff: knownDiff, to: current, signInFull: fullSigning,
                                   now: UInt32(truncatingIfNeeded: unixNow))
        let processed = clock.now
        defer {
            logger.info("poll finished", metadata: meta([
                "result": "\(state.lastPollResult ?? "-")",
                "transfer": "\(records == nil ? "ixfr" : "axfr")", "transfer_s": "\(Self.seconds(transferred - began))", "sign_s": "\(Self.seconds(processed - transferred))",
                "commit_s": "\(Self.seconds(clock.now - processed))", "total_s": "\(Self.seconds(clock.now - began))",
            ].merging(lastCommitSplit.map { ["store_s": "\(Self.seconds($0.store))", "switch_s": "\(Self.seconds($0.switch))"] } ?? [:]) { $1 }))
            lastCommitSplit = nil
        }
        switch outcome {
        case .unchanged:
            state.lastSuccessAt = unixNow
            if let records {
                state.unsignedHash = contentHash
                lastRecords = records
            }
            state.lastPollResult = "unchanged (\(via), serial \(transfer.serial.map { "\($0)" } ?? "-"))"
            guard let facts = publishedFacts else { return finishPoll(.failed(reason: "nothing published yet"), change: nil) }
            return finishPoll(.unchanged(facts), change: nil)
        case .refused(let refusal):
            state.refusals += 1
            state.lastRefusal = "\(refusal.guardName): \(refusal)"
            state.lastPollResult = "refused (\(refusal.guardName)): \(refusal)"
            logger.warning("transfer refused; serving the current version", metadata: meta(["guard": "\(refusal.guardName)", "reason": "\(refusal)"]))
            return finishPoll(.refused(guardName: refusal.guardName, reason: "\(refusal)"), change: nil)
        case .signingFailed(let reason):
            state.lastPollResult = "signing failed: \(reason)"
            logger.error("signing failed; nothing published", metadata: meta(["reason": "\(reason)"]))
            return finishPoll(.signingFailed(reason: reason), change: nil)
        case .changed(let change):
            if let held = await reviewed(change, contentHash: contentHash) { return held }
            // An IXFR-built copy has no AXFR hash: the next content check compares it in full.
            state.unsignedHash = records == nil ? nil : contentHash
            state.lastSuccessAt = unixNow
            state.lastChangeAt = unixNow
            state.lastChangeSummary = change.summary.sentence
            state.lastPollResult = "changed (\(via)): \(change.summary.sentence)"
            committed = false
            let actions = finishPoll(.published(published(change.signed, unsigned: change.unsigned)), change: change)
            if committed {
                lastRecords = records
                if records == nil { builtByIXFR = true }
                if fullSigning { needsFullResign = false }
                reviewPublished()
            }
            return actions
        }
    }

    /// Tells the machine, then stores the result with the events it reports, then serves it.
    func finishPoll(_ outcome: ZoneCycle.PollOutcome, change: ZoneUpdate.Change?) -> [ZoneCycle.Action] {
        let previousSerial = state.signedSerial.map { SerialNumber($0) }
        Self.count(outcome, zone: origin.text, at: now())
        let actions = machine.event(.pollFinished(now: now(), outcome))
        var events = pollEvents + actions.compactMap { action -> OperatorEvent? in
            if case .alert(let alert) = action { return event(for: alert) }
            return nil
        }
        pollEvents = []
        state.consecutiveFailures = machine.failures
        state.expired = machine.isExpired
        var followUps: [ZoneCycle.Action] = []
        if let change {
            if !change.summary.isEmpty || previousSerial == nil {
                events.append(resignedEvent(change, previousSerial: previousSerial))
            }
            committed = false
            commit(change, events: events)
            // The first version published: the key lifecycle's clock (lifetimes) starts now.
            if previousSerial == nil && committed && machine.keysDueAt == nil {
                followUps = machine.event(.keysDue(now: now(), at: keysDeadline()))
            }
        } else {
            let unchanged = if case .unchanged = outcome { true } else { false }
            commitState(events: events, quietResult: unchanged)
        }
        return actions.filter { if case .alert = $0 { return false } else { return true } } + followUps
    }

    private func resign() async -> [ZoneCycle.Action] {
        ensureCurrent()
        guard let current, let zoneKeys = try? zoneKeys(), let update = try? zoneUpdate(zoneKeys) else {
            return resignFinished(.failed(reason: "no signed version or keys to refresh"), change: nil)
        }
        if needsFullResign { return resignInFull(update, current) }
        switch update.refresh(current, now: UInt32(truncatingIfNeeded: now())) {
        case .changed(let change):
            logger.info("signatures refreshed", metadata: meta([
                "serial": "\(change.signed.zone.serial.map { "\($0)" } ?? "-")",
                "rrsets": "\(change.signedDiff?.added.count ?? 0)",
            ]))
            return resignFinished(.done(published(change.signed, unsigned: change.unsigned)), change: change)
        case .signingFailed(let reason):
            logger.error("signature refresh failed", metadata: meta(["reason": "\(reason)"]))
            return resignFinished(.failed(reason: reason), change: nil)
        case .unchanged, .refused:
            return resignFinished(.done(published(current.signed, unsigned: current.unsigned)), change: nil)
        }
    }

    /// The stored unsigned copy signed again from scratch with the same keys under the new denial
    /// settings, verified in full, then stored, served and announced like any new version.
    private func resignInFull(_ update: ZoneUpdate, _ current: ZoneUpdate.Current) -> [ZoneCycle.Action] {
        let clock = ContinuousClock()
        let began = clock.now
        switch update.resignInFull(current, now: UInt32(truncatingIfNeeded: now())) {
        case .changed(let change):
            let denial = config.denial == .nsec3 ? "NSEC3" + (config.optOut ? " opt-out" : "") : "NSEC"
            let old = current.signed.zone.serial.map { "\($0)" } ?? "-"
            let new = change.signed.zone.serial.map { "\($0)" } ?? "-"
            let event = OperatorEvent(
                kind: .zoneResigned, severity: .info, zone: origin.text, time: now(),
                summary: "\(origin.text): signed again in full with \(denial) (settings changed), serial \(old) → \(new); same keys",
                details: ["oldSerial": old, "newSerial": new, "denial": denial, "full": "true"])
            committed = false
            let actions = resignFinished(.done(published(change.signed, unsigned: change.unsigned)), change: change, extraEvents: [event])
            if committed { needsFullResign = false }
            logger.notice("signed again in full", metadata: meta([
                "denial": "\(denial)", "serial": "\(new)", "stored": "\(committed)", "total_s": "\(Self.seconds(clock.now - began))",
            ]))
            return actions
        case .signingFailed(let reason):
            logger.error("signing in full failed; still serving the previous version", metadata: meta(["reason": "\(reason)"]))
            return resignFinished(.failed(reason: reason), change: nil)
        case .unchanged, .refused:
            return resignFinished(.done(published(current.signed, unsigned: current.unsigned)), change: nil)
        }
    }

    func resignFinished(_ outcome: ZoneCycle.ResignOutcome, change: ZoneUpdate.Change?,
                                extraEvents: [OperatorEvent] = [], keyState: KeyCommit? = nil) -> [ZoneCycle.Action] {
        let actions = machine.event(.resignFinished(now: now(), outcome))
        let events = extraEvents + actions.compactMap { action -> OperatorEvent? in
            if case .alert(let alert) = action { return event(for: alert) }
            return nil
        }
        if let change { commit(change, events: events, keyState: keyState) } else { commitState(events: events) }
        return actions.filter { if case .alert = $0 { return false } else { return true } }
    }

    // MARK: Store and serve

    /// Stores `change` with the state and events in one transaction, then serves it and tells the
    /// downstream secondaries. When the store refuses, nothing is served and the next poll retries.
    private func commit(_ change: ZoneUpdate.Change, events: [OperatorEvent], keyState: KeyCommit? = nil) {
        var newState = state
        newState.unsignedSerial = change.unsigned.serial?.rawValue
        newState.signedSerial = change.signed.zone.serial?.rawValue
        let facts = published(change.signed, unsigned: change.unsigned)
        newState.nextResign = facts.nextResign
        newState.earliestExpiry = facts.earliestExpiry
        let clock = ContinuousClock()
        let began = clock.now
        do {
            try store.publish(zone: origin.text, unsigned: change.unsigned, unsignedChanges: change.unsignedDiff,
                              signed: change.signed.zone, signedChanges: change.signedDiff, state: newState, events: events,
                              consumeAcceptNext: change.usedOverride, keyLifecycle: keyState?.lifecycle,
                              consumedKeyRequests: keyState?.consumed ?? [], generation: config.generation)
        } catch {
            logger.critical("cannot store the new version; keeping the old one", metadata: meta(["reason": "\(error)"]))
            state.lastPollResult = "not stored: \(error)"
            state.unsignedHash = nil  // the stored copy is the old one: compare in full next time
            return
        }
        if change.usedOverride { config.acceptNext = false }
        let stored = clock.now
        do {
            try served.publish(change.signed.zone, changedNames: change.signed.changedNames)
            lastCommitSplit = (stored - began, clock.now - stored)
        } catch {
            logger.critical("cannot serve the new version", metadata: meta(["reason": "\(error)"]))
            return
        }
        if publishedFacts?.soaExpire != facts.soaExpire { warnAboutMargin(change.unsigned) }
        CountersignMetrics.zoneSigned(zone: origin.text, reason: !hasPublished ? .initial : change.summary.isEmpty ? .refresh : .change)
        if let serial = newState.unsignedSerial { CountersignMetrics.setSerial(zone: origin.text, kind: .unsigned, value: serial) }
        if let serial = newState.signedSerial { CountersignMetrics.setSerial(zone: origin.text, kind: .signed, value: serial) }
        if let expiry = newState.earliestExpiry { CountersignMetrics.setEarliestSignatureExpiry(zone: origin.text, at: expiry) }
        state = newState
        recordedState = newState
        current = ZoneUpdate.Current(unsigned: change.unsigned, signed: change.signed, census: change.census)
        publishedFacts = facts
        ttlFacts = nil
        committed = true
        let soa = change.signed.zone.rrset(at: origin, type: .SOA)?.records.first
        Task { [downstream, origin] in await downstream.announce(origin, soa: soa) }
    }

    /// A secondary may serve our zone for SOA expire after its last transfer, and a resolver cache it for
    /// the largest TTL after that: signatures re-signed with less margin than both can expire in their hands.
    private func warnAboutMargin(_ unsigned: Zone) {
        let margin = Int64(config.signingPolicy.refreshMargin)
        let expire = Int64(unsigned.soa?.expire ?? 0)
        let largestTTL = Int64(unsigned.rrsets.lazy.map(\.ttl).max() ?? 0)
        if margin < expire + largestTTL {
            logger.warning("the re-signing margin is shorter than SOA expire plus the largest TTL: secondaries and caches may hold expired signatures", metadata: meta([
                "margin_s": "\(margin)", "soa_expire_s": "\(expire)", "largest_ttl_s": "\(largestTTL)",
            ]))
        }
    }

    /// Records the state. A poll that changed only its times waits for the batched write (`PollTimes`);
    /// so does an unchanged poll's new result text (`quietResult`: the first unchanged poll after a change
    /// says "unchanged" where the last said "published"), which with thousands of zones was a synced
    /// transaction per zone. Any other new result (held for review, rejected) is written at once.
    func commitState(events: [OperatorEvent], quietResult: Bool = false) {
        if events.isEmpty, var recorded = recordedState, let pollAt = state.lastPollAt {
            recorded.lastPollAt = state.lastPollAt
            recorded.lastSuccessAt = state.lastSuccessAt
            let newResult = recorded.lastPollResult != state.lastPollResult
            if quietResult { recorded.lastPollResult = state.lastPollResult }
            if recorded == state {
                pollTimes.note(SignerStore.PollTime(zone: origin.text, lastPollAt: pollAt, lastSuccessAt: state.lastSuccessAt,
                                                    result: newResult ? state.lastPollResult : nil))
                if newResult { recordedState = recorded }
                return
            }
        }
        do {
            try store.recordPoll(zone: origin.text, state: state, events: events, generation: config.generation)
            recordedState = state
        } catch {
            logger.error("cannot record the poll", metadata: meta(["reason": "\(error)"]))
        }
    }

    /// Tries each primary in turn; the first complete transfer wins.
    func fetch() async throws -> TransferResult {
        let key = try transferKey()
        var errors: [String] = []
        for primary in config.primaries {
            do {
                return try await transfers.transfer(zone: origin, from: primary, tsigKey: key, timeout: .seconds(120))
            } catch {
                errors.append("\(primary): \(error)")
            }
        }
        throw SignerError.transferFailed(errors.joined(separator: "; "))
    }

    // MARK: Facts and events

    func published(_ signed: SignedZone, unsigned: Zone) -> ZoneCycle.Published {
        let unixNow = now()
        // nextResign is modulo 2^32: read it as the nearest time to now.
        let nextResign = unixNow + Int64(Int32(bitPattern: signed.nextResign &- UInt32(truncatingIfNeeded: unixNow)))
        return ZoneCycle.Published(
            soaExpire: Int64(unsigned.soa?.expire ?? 1_209_600), nextResign: nextResign,
            earliestExpiry: nextResign + Int64(config.signingPolicy.refreshMargin))
    }

    private func resignedEvent(_ change: ZoneUpdate.Change, previousSerial: SerialNumber?) -> OperatorEvent {
        let new = change.signed.zone.serial.map { "\($0)" } ?? "-"
        let old = previousSerial.map { "\($0)" } ?? "none"
        var details = [
            "oldSerial": old, "newSerial": new,
            "unsignedSerial": change.unsigned.serial.map { "\($0)" } ?? "-",
            "rrsetsAdded": "\(change.summary.addedRRsets)", "rrsetsRemoved": "\(change.summary.removedRRsets)",
        ]
        if !change.summary.examples.isEmpty { details["examples"] = change.summary.examples.joined(separator: "\n") }
        return OperatorEvent(
            kind: .zoneResigned, severity: .info, zone: origin.text, time: now(),
            summary: "\(origin.text): re-signed, serial \(old) → \(new); \(change.summary.sentence)", details: details)
    }

    private func event(for alert: ZoneCycle.Alert) -> OperatorEvent {
        let zone = origin.text
        let time = now()
        switch alert {
        case let .failing(failures, reason):
            return OperatorEvent(kind: .transferFailing, severity: .warning, zone: zone, time: time,
                                 summary: "\(zone): \(failures) polls in a row failed; serving the last good version. Last error: \(reason)",
                                 details: ["failures": "\(failures)", "reason": reason])
        case .recovered(let failures):
            return OperatorEvent(kind: .transferRecovered, severity: .info, zone: zone, time: time,
                                 summary: "\(zone): transfers work again after \(failures) failed polls",
                                 details: ["failures": "\(failures)"])
        case let .refused(guardName, reason):
            return OperatorEvent(kind: .transferRefused, severity: .warning, zone: zone, time: time,
                                 summary: "\(zone): transfer refused by the \(guardName) guard, still serving the previous version: \(reason)",
                                 details: ["guard": guardName, "reason": reason])
        case .signingFailed(let reason):
            return OperatorEvent(kind: .signingFailed, severity: .critical, zone: zone, time: time,
                                 summary: "\(zone): signing failed, nothing published: \(reason)", details: ["reason": reason])
        case .expiring(let expiry):
            return OperatorEvent(kind: .signaturesExpiring, severity: .critical, zone: zone, time: time,
                                 summary: "\(zone): signatures expire at \(DNSTime.format(UInt32(truncatingIfNeeded: expiry))) and are not being refreshed",
                                 details: ["earliestExpiry": "\(expiry)"])
        case .expired(let lastSuccess):
            return OperatorEvent(kind: .zoneExpired, severity: .critical, zone: zone, time: time,
                                 summary: "\(zone): no successful poll since \(lastSuccess.map { DNSTime.format(UInt32(truncatingIfNeeded: $0)) } ?? "start"); past SOA expire, answering SERVFAIL",
                                 details: ["lastSuccess": lastSuccess.map { "\($0)" } ?? ""])
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.3f", Double(seconds) + Double(attoseconds) / 1e18)
    }

    func meta(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["zone": "\(origin.text)"]
        metadata.merge(extra) { $1 }
        return metadata
    }
}

/// Why the daemon could not work on a zone.
enum SignerError: Error, CustomStringConvertible {
    case unknownTSIGKey(String)
    case transferFailed(String)
    case noKeys
    case keyGeneration(String)
    case parentUnverifiable(String)

    var description: String {
        switch self {
        case .unknownTSIGKey(let name): "TSIG key \(name) is not in the store (dns-signer tsig add)"
        case .transferFailed(let reasons): "no primary gave a complete transfer: \(reasons)"
        case .noKeys: "the zone has no keys yet"
        case .keyGeneration(let reason): "cannot make keys: \(reason)"
        case .parentUnverifiable(let reason): reason
        }
    }
}
