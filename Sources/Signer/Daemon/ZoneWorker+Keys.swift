import DaemonKit
import Foundation
import DNSCore
import Logging

/// The key lifecycle's side of a zone's worker: loading the keys, the first keys, and the key steps
/// (`ZoneCycle.Action.keyStep`) that move rollovers on.
extension ZoneWorker {
    /// A key lifecycle to store with a version, and the operator requests it took up.
    struct KeyCommit {
        var lifecycle: KeyLifecycle
        var consumed: [Int64]
    }

    /// One key lifecycle step: operator requests, the rollover's next state, a parent check. A step that
    /// changes what the keys do signs the zone again in full, verifies it (the DNSKEY/DS relation too)
    /// and commits it with the lifecycle in one transaction; the worker keeps the advanced lifecycle only
    /// when that commit succeeded, so the served zone and the stored step never disagree.
    func keyStep() async -> [ZoneCycle.Action] {
        ensureCurrent()
        guard let current, let loaded = try? zoneKeys(), let facts = publishedTTLFacts() else {
            return resignFinished(.failed(reason: "no published version or keys"), change: nil)
        }
        var zoneKeys = loaded
        let time = now()
        let policy = config.keyPolicy
        var lifecycle = zoneKeys.lifecycle
        var pending: [KeyLifecycle.Action] = []
        var consumed: [Int64] = []
        for queued in (try? store.keyRequests(zone: origin.text)) ?? [] {
            consumed.append(queued.id)
            if let refusal = lifecycle.refusal(of: queued.request, policy: policy) {
                logger.warning("key request refused", metadata: meta(["request": "\(queued.request)", "by": "\(queued.by)", "reason": "\(refusal)"]))
                continue
            }
            logger.notice("key request taken", metadata: meta(["request": "\(queued.request)", "by": "\(queued.by)"]))
            pending += lifecycle.apply(queued.request, now: time, policy: policy, facts: facts)
        }
        pending += lifecycle.advance(now: time, policy: policy, facts: facts)
        var resign = false
        var notices: [KeyNotice] = []
        while !pending.isEmpty {
            switch pending.removeFirst() {
            case .generate(let generation):
                do {
                    let made = try zoneKeys.generate(generation, store: store, now: time)
                    logger.notice("keys generated", metadata: meta(["tags": "\(made.map(\.tag))", "reason": "\(generation.reason)"]))
                    pending += lifecycle.begin(generation, keys: made, now: time, policy: policy, facts: facts)
                } catch {
                    logger.error("cannot make keys", metadata: meta(["reason": "\(error)"]))
                    return resignFinished(.failed(reason: "key generation: \(error)"), change: nil) + retryKeys(at: time)
                }
            case .checkParent(let check):
                let dnskeys = check.keys.compactMap { zoneKeys.key($0)?.dnskey }
                let observation = await parentProbe.observe(zone: origin, check: check, keys: dnskeys, servers: config.parentServers,
                                                            now: UInt32(truncatingIfNeeded: time))
                logger.info("parent DS check", metadata: meta(["satisfied": "\(observation.satisfied)", "report": "\(observation.report)"]))
                pending += lifecycle.parentChecked(observation, now: time, policy: policy, facts: facts)
            case .resign:
                resign = true
            case .notice(let notice):
                notices.append(notice)
            }
        }
        let before = zoneKeys.lifecycle
        zoneKeys.lifecycle = lifecycle
        let events = notices.compactMap { $0.event(zone: origin, keys: zoneKeys, now: time) }
        for notice in notices { logger.notice("key lifecycle", metadata: meta(["event": "\(notice)"])) }
        var actions: [ZoneCycle.Action]
        if resign {
            let outcome: ZoneUpdate.Outcome
            do { outcome = try zoneUpdate(zoneKeys).resignInFull(current, now: UInt32(truncatingIfNeeded: time)) } catch {
                outcome = .signingFailed("keys: \(error)")
            }
            guard case .changed(let change) = outcome else {
                let reason = if case .signingFailed(let why) = outcome { why } else { "nothing to sign" }
                logger.error("key step not published; keeping the keys as they were", metadata: meta(["reason": "\(reason)"]))
                keys = ZoneKeys(keeping: zoneKeys, lifecycle: before)
                return resignFinished(.failed(reason: reason), change: nil) + retryKeys(at: time)
            }
            committed = false
            actions = resignFinished(.done(published(change.signed, unsigned: change.unsigned)), change: change, extraEvents: events,
                                     keyState: KeyCommit(lifecycle: lifecycle, consumed: consumed))
            keys = committed ? zoneKeys : ZoneKeys(keeping: zoneKeys, lifecycle: before)
        } else {
            keys = ZoneKeys(keeping: zoneKeys, lifecycle: before)
            if lifecycle != before || !consumed.isEmpty || !events.isEmpty {
                do {
                    try store.recordKeyLifecycle(zone: origin.text, lifecycle, consumed: consumed, events: events)
                    keys = zoneKeys
                } catch {
                    logger.error("cannot store the key lifecycle", metadata: meta(["reason": "\(error)"]))
                }
            }
            actions = resignFinished(.done(published(current.signed, unsigned: current.unsigned)), change: nil)
        }
        // Never ask again for a step at a time already past: a step that changed nothing would repeat.
        let deadline = keysDeadline()
        let next = deadline.map { max($0, time + 1) }
        recordKeyMetrics(nextEvent: deadline)
        return actions + machine.event(.keysDue(now: now(), at: next))
    }

    /// After a failed key step: try again in a minute.
    func retryKeys(at time: Int64) -> [ZoneCycle.Action] {
        machine.event(.keysDue(now: now(), at: time + 60))
    }

    /// The zone's keys, loaded once.
    func zoneKeys() throws -> ZoneKeys {
        if let keys { return keys }
        let loaded = try ZoneKeys.load(store, config: config)
        keys = loaded
        return loaded
    }

    /// A refresh or key-step update signed with the lifecycle's keys.
    func zoneUpdate(_ zoneKeys: ZoneKeys) throws -> ZoneUpdate {
        var update = ZoneUpdate(keys: try zoneKeys.keySet(), policy: config.signingPolicy, guards: TransferGuard(),
                                serialPolicy: config.signedSerialPolicy)
        update.anchors = zoneKeys.anchors
        update.insecure = zoneKeys.isInsecure
        return update
    }

    /// Before the first signing: the lifecycle's first keys (or none, for a zone to be served insecure),
    /// made and stored with their lifecycle and the registrar's DS before anything is signed with them.
    func firstKeysIfNeeded() throws -> ZoneKeys {
        var zoneKeys = try zoneKeys()
        guard !hasPublished else { return zoneKeys }
        let time = now()
        var lifecycle = zoneKeys.lifecycle
        var events: [OperatorEvent] = []
        var made: [SigningKey] = []
        for action in lifecycle.advance(now: time, policy: config.keyPolicy, facts: ZoneTTLFacts(dnskeyTTL: 0, maxZoneTTL: 0)) {
            guard case .generate(let generation) = action, generation.rollover == nil else { continue }
            let (keys, managed) = try zoneKeys.make(generation, now: time)
            made += keys
            var announcing = zoneKeys
            announcing.keep(keys)  // the DS text of the event is computed from the new keys
            for case .notice(let notice) in lifecycle.begin(generation, keys: managed, now: time, policy: config.keyPolicy,
                                                            facts: ZoneTTLFacts(dnskeyTTL: 0, maxZoneTTL: 0)) {
                announcing.lifecycle = lifecycle
                if let event = notice.event(zone: origin, keys: announcing, now: time) { events.append(event) }
            }
            logger.notice("keys generated", metadata: meta(["tags": "\(managed.map(\.tag))"]))
        }
        // The keys, the lifecycle naming them and the registrar's DS event in one transaction, before
        // anything is signed with them.
        if !made.isEmpty || lifecycle != zoneKeys.lifecycle || !events.isEmpty {
            try store.storeKeys(zone: origin.text, keys: made, now: Date(timeIntervalSince1970: TimeInterval(time)),
                                lifecycle: lifecycle, events: events)
        }
        zoneKeys.keep(made)
        zoneKeys.lifecycle = lifecycle
        keys = zoneKeys
        recordKeyMetrics(nextEvent: nil)
        return zoneKeys
    }

    /// `nextEvent` is `keysDeadline()`, passed in: it reads the whole published zone for its TTLs.
    func recordKeyMetrics(nextEvent: Int64?) {
        guard let keys else { return }
        KeyMetrics.record(zone: origin.text, lifecycle: keys.lifecycle, nextEvent: nextEvent)
    }

    /// When the key lifecycle next needs a step.
    func keysDeadline() -> Int64? {
        guard let keys, let facts = publishedTTLFacts() else { return nil }
        return keys.lifecycle.nextDeadline(policy: config.keyPolicy, facts: facts)
    }

}
