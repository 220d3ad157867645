import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging

/// Keeps the served zones equal to the store's zones with their ALIAS records expanded, and tells the
/// secondaries when they change.
///
/// `cycle` runs every second:
/// - it reads the store's per-zone versions and reloads an edited zone (records, policy, transfer ACL,
///   NOTIFY targets) and the TSIG keys;
/// - it starts lookups for the ALIAS targets that are due: never looked up, within the refresh margin of
///   their TTL, older than `refresh` seconds (an upper bound for long TTLs), or failing (retried every
///   `retryAfter` seconds). They go into an `AliasLookupQueue` that runs `concurrency` of them at once and
///   starts the next one as soon as one ends, not at the next cycle; answers land in an `AliasCache`. A
///   cycle never waits for a lookup, so an edit is served within a second even while a target times out;
///   and when the last running lookup ends the zones are evaluated at once, so a zone whose thousand
///   targets just resolved is published then, not at the next cycle;
/// - it re-expands a zone when it was edited or when what its lookups say changed (addresses moved, a
///   target failed or recovered, a kept answer got too old). A TTL-only difference does not count: a
///   recursive resolver counts TTLs down, and a serial per refresh would make every secondary transfer
///   the zone for nothing. The synthesised TTL is the one received when the addresses last changed.
///
/// When an expansion differs from the published one under the same serial (no edit, or an edit of the
/// zone's transfer settings only), the zone's serial is raised in the store first, then it is published; whenever the published serial changes (and at the first
/// publication, as a secondary may have missed edits made while the daemon was down) the zone's NOTIFY
/// targets are told.
///
/// Failure policies, while a target does not resolve (no answer within its TTL; NXDOMAIN, SERVFAIL,
/// REFUSED, a CNAME loop and a timeout all count):
/// - `fail`: the zone's transfers are answered SERVFAIL (`PrimaryRequestHandler`), so a signer keeps
///   what it has; queries keep getting the last expansion that succeeded. A zone never expanded is not
///   served at all.
/// - `keep-last`: the last answer that resolved (saved in the store, so it survives a restart) is used
///   while it is at most the zone's max age old; older, the zone is treated as under `fail`.
/// - `ignore`: the family is left out at that owner (the zone changes, so its serial rises).
/// Each failure is logged once, with owner, target and reason, when it starts or its reason changes;
/// the zone's state (ok / degraded / blocked) is saved, with an operator event in the same transaction,
/// once per change of state.
actor ExpandingPublisher {
    struct Settings: Sendable {
        /// Upper bound, in seconds, on the age of an answer used (`--refresh`).
        var refresh: UInt64 = 30
        /// Seconds between lookups of a target that failed.
        var retryAfter: UInt64 = 5
        /// Lookups running at once, at most (`--alias-concurrency`).
        var concurrency = PrimaryServeSettings.defaultAliasConcurrency
        /// Transfer ACL of the zones without entries of their own (`--allow-transfer`).
        var defaultACL: TransferACL = .loopbackOnly
        /// Saved answers are rewritten when their addresses change or they are this much fresher.
        var saveInterval: UInt64 = 60
        /// How much history of each expanded zone is kept for IXFR out.
        var journalLimits: JournalLimits = .default
    }

    /// What a zone's expansion is computed from, per lookup, TTLs aside: re-expanding is worth it only
    /// when this changes (or the zone is edited).
    enum Outcome: Hashable {
        case answer(Set<RData>)
        case kept(Set<RData>, AliasFailureReason)
        case failed(AliasFailureReason)
    }

    struct ZoneState {
        var snapshot: ServingSnapshot
        var origin: DomainName
        /// The lookups the zone's ALIAS records need.
        var needs: Set<AliasKey>
        var expandedVersion: Int64?
        var outcomes: [AliasKey: Outcome] = [:]
        /// The expansion served now.
        var published: Zone?
        var health: AliasHealth
        /// Why transfers are refused, while they are.
        var blocked: String?
        /// Failures logged already (so each is logged once).
        var reported: Set<String> = []
        /// The failures of the last evaluation that had any: a recovery names what recovered.
        var lastFailures: [AliasExpansionError] = []
        var waitingLogged = false
        /// The answers as saved in the store.
        var saved: [AliasKey: AliasLastGood]

        /// A lookup the zone needs has neither an answer nor a failure yet.
        func waitsForLookups(_ table: AliasResolutionTable) -> Bool { needs.contains { table.results[$0] == nil } }
    }

    let store: PrimaryStore
    let served: ServedZones
    let resolver: UpstreamResolver
    let handler: PrimaryRequestHandler
    let notifier: NotifySender
    let settings: Settings
    let logger: Logger

    private var cache = AliasCache(refreshMargin: 5, minimumLifetime: 5)
    private var lookups: AliasLookupQueue
    var zones: [String: ZoneState] = [:]
    private var storedKeys: [TSIGKeyEntry]?
    var keys: [DomainName: TSIGKey] = [:]
    var routingChanged = true
    /// The catalog zone served now (`catalog set`): its name and membership digest.
    var publishedCatalog: (name: DomainName, digest: [UInt8])?
    private var savedHealth: [String: AliasHealth] = [:]
    private var savedAnswers: [String: [AliasKey: AliasLastGood]] = [:]

    init(store: PrimaryStore, served: ServedZones, resolver: UpstreamResolver, handler: PrimaryRequestHandler,
         notifier: NotifySender, settings: Settings, logger: Logger) {
        self.store = store
        self.served = served
        self.resolver = resolver
        self.handler = handler
        self.notifier = notifier
        self.settings = settings
        self.logger = logger
        lookups = AliasLookupQueue(limit: settings.concurrency)
    }

    /// Loads what the store kept from the last run: answers for `keep-last`, and each zone's state.
    func start() {
        do {
            savedHealth = try store.aliasHealth()
            savedAnswers = try store.aliasAnswers()
            for answers in savedAnswers.values {
                for (key, last) in answers { cache.restore(last.addresses, for: key, resolvedAt: last.resolvedAt) }
            }
            logger.info("saved ALIAS answers loaded", metadata: [
                "answers": "\(savedAnswers.values.reduce(0) { $0 + $1.count })", "zones": "\(savedAnswers.count)",
            ])
        } catch {
            logger.error("cannot read the saved ALIAS answers", metadata: ["reason": "\(error)"])
        }
    }

    // MARK: The cycle

    func cycle(now date: Date = Date()) {
        syncWithStore()
        startLookups(now: UInt64(max(0, date.timeIntervalSince1970)))
        settle(now: date)
    }

    /// Evaluates every zone against the answers so far (publishing what changed), saves the answers and
    /// updates the routing.
    private func settle(now date: Date) {
        let now = UInt64(max(0, date.timeIntervalSince1970))
        let table = cache.table(now: now, countDown: false)
        for name in zones.keys.sorted() { evaluate(name, table: table, now: now, date: date) }
        saveAnswers(table)
        refreshCatalog(now: date)
        updateRouting()
    }

    /// Reloads edited zones and the TSIG keys; unpublishes deleted zones.
    private func syncWithStore() {
        let versions: [String: Int64]
        do { versions = try store.versions() } catch {
            logger.error("cannot read the store", metadata: ["reason": "\(error)"])
            return
        }
        for name in zones.keys where versions[name] == nil {
            if let origin = zones[name]?.origin {
                served.remove(origin)
                CountersignMetrics.zoneRemoved(zone: origin.lowercased().text)
            }
            zones[name] = nil
            routingChanged = true
            logger.info("zone removed", metadata: ["zone": "\(name)", "reason": "deleted from the store"])
        }
        for (name, version) in versions where zones[name]?.snapshot.version != version {
            let snapshot: ServingSnapshot
            do { snapshot = try store.servingSnapshot(name) } catch {
                logger.error("cannot load the zone", metadata: ["zone": "\(name)", "reason": "\(error)"])
                continue
            }
            if zones[name] == nil {
                CountersignMetrics.declareUpdates(zone: snapshot.zone.origin.lowercased().text)
                zones[name] = ZoneState(
                    snapshot: snapshot, origin: snapshot.zone.origin, needs: AliasExpander.keys(in: snapshot.zone),
                    health: savedHealth[name] ?? .ok, saved: savedAnswers[name] ?? [:])
            } else {
                zones[name]!.snapshot = snapshot
                zones[name]!.needs = AliasExpander.keys(in: snapshot.zone)
            }
            routingChanged = true
        }
        do {
            let stored = try store.tsigKeys()
            if stored != storedKeys {
                storedKeys = stored
                keys = [:]
                for entry in stored {
                    do {
                        let key = try entry.tsigKey()
                        keys[key.name] = key
                    } catch {
                        logger.error("TSIG key not usable", metadata: ["key": "\(entry.name)", "reason": "\(error)"])
                    }
                }
                routingChanged = true
            }
        } catch {
            logger.error("cannot read the TSIG keys", metadata: ["reason": "\(error)"])
        }
    }

    /// Queues the lookups that are due and not queued or running yet, and starts what fits.
    private func startLookups(now: UInt64) {
        let needed = zones.values.reduce(into: Set<AliasKey>()) { $0.formUnion($1.needs) }
        cache.retain(needed)
        lookups.retain(needed)
        var due = Set(cache.needsRefresh(now: now, maxAge: settings.refresh, retryAfter: settings.retryAfter))
            .intersection(needed)
        for key in needed where cache.entries[key] == nil && cache.failures[key] == nil { due.insert(key) }
        // Only what is not queued yet is sorted: while a thousand first lookups run, every pass finds
        // them all due again.
        run(lookups.enqueue(due.filter { !lookups.contains($0) }.sorted()))
    }

    private func run(_ keys: [AliasKey]) {
        for key in keys {
            let resolver = self.resolver
            Task {
                let lookup = await resolver.resolve(key.target, family: key.family)
                self.finished(key, lookup)
            }
        }
    }

    private func finished(_ key: AliasKey, _ lookup: AliasLookup) {
        let date = Date()
        let now = UInt64(max(0, date.timeIntervalSince1970))
        cache.record(lookup, for: key, now: now)
        // One lookup serves every zone whose ALIAS records point at the target: each of them counts it,
        // under its own policy (a failure one zone bridges with `keep-last` is a plain failure in another).
        let result = Self.metricResult(lookup)
        for state in zones.values where state.needs.contains(key) {
            var counted = result
            if case .failed = lookup, case .keepLast(let maxAge) = state.snapshot.policy,
               let last = cache.entries[key], now <= last.resolvedAt + maxAge {
                counted = .keptLast
            }
            CountersignMetrics.aliasResolved(zone: state.origin.lowercased().text, result: counted)
        }
        run(lookups.finished(key))
        // The last answer of a batch: publish now rather than at the next cycle.
        if lookups.isIdle { settle(now: date) }
    }

    /// The lookup as a metrics label.
    static func metricResult(_ lookup: AliasLookup) -> CountersignMetrics.AliasResult {
        switch lookup {
        case .resolved(let addresses): return addresses.rdatas.isEmpty ? .nodata : .resolved
        case .failed(.timeout): return .timeout
        case .failed(.nxdomain): return .nxdomain
        case .failed(.serverFailure): return .servfail
        case .failed(.cnameLoop), .failed(.cnameChainTooLong): return .cnameLoop
        case .failed(.unauthenticated): return .unauthenticated  // issue 16 item 4
        case .failed: return .error
        }
    }

    // MARK: One zone

    private func outcome(_ key: AliasKey, _ table: AliasResolutionTable, policy: AliasFailurePolicy, now: UInt64) -> Outcome {
        switch table.results[key] ?? .failed(.notResolved) {
        case .resolved(let addresses):
            return .answer(Set(addresses.rdatas))
        case .failed(let reason):
            if case .keepLast(let maxAge) = policy, let last = table.lastGood[key],
               (now >= last.resolvedAt ? now - last.resolvedAt : 0) <= maxAge {
                return .kept(Set(last.addresses.rdatas), reason)
            }
            return .failed(reason)
        }
    }

    private func evaluate(_ name: String, table: AliasResolutionTable, now: UInt64, date: Date) {
        guard var state = zones[name] else { return }
        defer { zones[name] = state }
        let snapshot = state.snapshot
        let policy = snapshot.policy
        // A target without an answer or a failure yet (a first lookup, or a refresh of an expired answer,
        // is running): wait for it rather than publish, for a second, a zone that fails or lacks it.
        if state.waitsForLookups(table) {
            if state.published == nil && !state.waitingLogged {
                state.waitingLogged = true
                logger.info("waiting for ALIAS targets", metadata: ["zone": "\(name)", "reason": "first lookups running"])
            }
            return
        }
        var outcomes: [AliasKey: Outcome] = [:]
        for key in state.needs { outcomes[key] = outcome(key, table, policy: policy, now: now) }
        if state.expandedVersion == snapshot.version && state.outcomes == outcomes { return }
        state.expandedVersion = snapshot.version
        state.outcomes = outcomes

        let failures = AliasExpander.failures(in: snapshot.zone, with: table)
        report(failures, policy: policy, zone: name, state: &state)
        let expander = AliasExpander(policy: policy, now: now)
        do {
            var expanded = try expander.expand(snapshot.zone, with: table).zone
            if state.blocked != nil {
                logger.notice("transfers allowed again", metadata: ["zone": "\(name)", "reason": "the ALIAS expansion succeeds"])
            }
            state.blocked = nil
            if let published = state.published {
                let same = Self.sameRecords(published, expanded)
                if !same && expanded.serial == published.serial {
                    // New addresses under the serial already served (no edit, or one that changed only
                    // transfer settings): raise the serial so every secondary sees the change.
                    guard let raised = try store.raiseSerial(zone: name, ifVersion: snapshot.version, now: date) else {
                        state.expandedVersion = nil  // an edit came in; the next cycle expands it
                        return
                    }
                    state.snapshot = raised
                    state.expandedVersion = raised.version
                    expanded = try expander.expand(raised.zone, with: table).zone
                    logger.info("ALIAS expansion moved; serial raised", metadata: [
                        "zone": "\(name)", "serial": "\(raised.zone.serial.map { "\($0)" } ?? "-")",
                    ])
                    publish(expanded, state: &state)
                } else if !same {
                    publish(expanded, state: &state)
                }  // else nothing served changes (TTLs aside): keep what secondaries have
            } else {
                publish(expanded, state: &state)
            }
        } catch let error as AliasExpansionError {
            if state.blocked == nil {
                let queries = state.published == nil
                    ? "the zone is not served until it resolves" : "queries answered from the last expansion that succeeded"
                logger.error("transfers refused", metadata: [
                    "zone": "\(name)", "owner": "\(error.owner)", "target": "\(error.target)",
                    "reason": "\(error); policy \(snapshot.aliasFailurePolicy.rawValue): transfers answered SERVFAIL, \(queries)",
                ])
            }
            state.blocked = error.description
        } catch {
            logger.error("not published", metadata: ["zone": "\(name)", "reason": "\(error)"])
            state.expandedVersion = nil
        }
        let health: AliasHealth = state.blocked != nil ? .blocked : failures.isEmpty ? .ok : .degraded
        if health != state.health { recordHealth(health, failures: failures, zone: name, state: &state, date: date) }
        if !failures.isEmpty { state.lastFailures = failures }
    }

    private func publish(_ zone: Zone, state: inout ZoneState) {
        let name = state.snapshot.name
        let serialBefore = state.published?.serial
        // Before serving it: an IXFR never finds the served version missing from the journal (a
        // journal ahead of what is served is fine, `IXFRPlan` stops at the served serial). A journal
        // that cannot be written costs IXFR clients a full transfer, not the publication.
        do {
            try store.recordJournal(zone: zone, previous: state.published, limits: settings.journalLimits)
        } catch {
            logger.error("journal not written", metadata: ["zone": "\(name)", "reason": "\(error); IXFR answered AXFR-style until the journal continues"])
        }
        do {
            try served.publish(zone)
        } catch {
            logger.error("not published", metadata: ["zone": "\(name)", "reason": "\(error)"])
            state.expandedVersion = nil
            return
        }
        state.published = zone
        if let serial = zone.serial { CountersignMetrics.setSerial(zone: state.origin.lowercased().text, kind: .unsigned, value: serial.rawValue) }
        logger.info("published", metadata: [
            "zone": "\(name)", "serial": "\(zone.serial.map { "\($0)" } ?? "-")", "version": "\(state.snapshot.version)",
        ])
        if zone.serial != serialBefore { notify(zone, state.snapshot) }
    }

    /// NOTIFY to the zone's targets, signed with their keys; the sender retries and logs the outcome.
    private func notify(_ zone: Zone, _ snapshot: ServingSnapshot) {
        notify(zone, targets: snapshot.notify, name: snapshot.name)
    }

    func notify(_ zone: Zone, targets notifyTargets: [NotifyTarget], name: String) {
        guard !notifyTargets.isEmpty else { return }
        var targets: [NotifySender.Target] = []
        for target in notifyTargets {
            guard let ip = IPAddress(target.address) else { continue }
            var key: TSIGKey?
            if let keyName = target.key {
                guard let found = (try? DomainName(keyName)).flatMap({ keys[$0] }) else {
                    logger.error("notify skipped", metadata: [
                        "zone": "\(name)", "peer": "\(target.address)", "reason": "TSIG key \(keyName) is not usable",
                    ])
                    continue
                }
                key = found
            }
            targets.append(NotifySender.Target(address: PeerAddress(ip: ip, port: target.port), key: key))
        }
        logger.info("notify", metadata: [
            "zone": "\(name)", "serial": "\(zone.serial.map { "\($0)" } ?? "-")",
            "targets": "\(targets.map(\.description).joined(separator: ", "))",
        ])
        notifier.notify(zone: zone.origin, soa: zone.rrset(at: zone.origin, type: .SOA)?.records.first, targets: targets)
    }

    /// Logs each failure once (owner, target, reason, what the policy does), and each recovery.
    private func report(_ failures: [AliasExpansionError], policy: AliasFailurePolicy, zone: String, state: inout ZoneState) {
        var current = Set<String>()
        for failure in failures {
            let text = failure.description
            current.insert(text)
            guard !state.reported.contains(text) else { continue }
            let action = switch policy {
            case .fail: "policy fail: transfers refused"
            case .keepLast(let maxAge): "policy keep-last: the last good answer is used while at most \(maxAge) s old"
            case .ignore: "policy ignore: \(failure.family) left out at \(failure.owner)"
            }
            logger.warning("ALIAS target does not resolve", metadata: [
                "zone": "\(zone)", "owner": "\(failure.owner)", "target": "\(failure.target)",
                "family": "\(failure.family)", "reason": "\(failure.reason)", "action": "\(action)",
            ])
        }
        for text in state.reported.subtracting(current) {
            logger.info("ALIAS target resolves again", metadata: ["zone": "\(zone)", "was": "\(text)"])
        }
        state.reported = current
    }

    /// Saves the zone's new state with an operator event, in one transaction.
    private func recordHealth(_ health: AliasHealth, failures: [AliasExpansionError], zone name: String,
                              state: inout ZoneState, date: Date) {
        let policy = state.snapshot.aliasFailurePolicy.rawValue
        // A recovery reports the owner and target that were failing.
        let first = failures.first ?? (health == .ok ? state.lastFailures.first : nil)
        let reason = state.blocked ?? first?.description ?? "every ALIAS target resolves"
        do {
            try store.setAliasHealth(zone: name, health, reason: reason, now: date) { previous in
                var details = ["state": health.rawValue, "previous": previous.rawValue, "policy": policy,
                               "failures": "\(failures.count)"]
                if let first {
                    details["owner"] = first.owner.text
                    details["target"] = first.target.text
                    details["family"] = first.family.description
                    details[health == .ok ? "was" : "reason"] = first.reason.description
                }
                let time = Int64(date.timeIntervalSince1970)
                if health == .ok {
                    let what = first.map { " (\($0.owner.text) ALIAS \($0.target.text) was failing: \($0.reason))" } ?? ""
                    return OperatorEvent(kind: .aliasRecovered, severity: .info, zone: name, time: time,
                                         summary: "\(name): every ALIAS target resolves again\(what)"
                                             + (previous == .blocked ? "; transfers allowed again" : ""),
                                         details: details)
                }
                let consequence = health == .blocked
                    ? "transfers refused (SERVFAIL) until it resolves"
                    : state.snapshot.aliasFailurePolicy == .ignore ? "left out of the zone" : "the last good answer is served"
                let more = failures.count > 1 ? " (and \(failures.count - 1) more)" : ""
                return OperatorEvent(kind: .aliasFailing, severity: health == .blocked ? .critical : .warning, zone: name,
                                     time: time, summary: "\(name): \(reason)\(more); \(consequence)", details: details)
            }
            state.health = health
        } catch {
            logger.error("cannot record the ALIAS state", metadata: ["zone": "\(name)", "reason": "\(error)"])
        }
    }

    /// Equal records, TTLs aside.
    static func sameRecords(_ old: Zone, _ new: Zone) -> Bool {
        let diff = ZoneDiff(from: old, to: new)
        guard diff.added.count == diff.removed.count else { return false }
        for (removed, added) in zip(diff.removed, diff.added) {
            guard removed.name == added.name, removed.type == added.type, Set(removed.rdatas) == Set(added.rdatas)
            else { return false }
        }
        return true
    }

    // MARK: Saved answers and routing

    /// Saves, per zone, the answers its lookups last got, when they changed or are `saveInterval` fresher.
    /// Not while a zone still waits for first answers: each pass would rewrite its growing set of answers
    /// (hundreds of rows per pass while a thousand targets resolve); it is saved once they are all in.
    private func saveAnswers(_ table: AliasResolutionTable) {
        var batch: [String: [AliasKey: AliasLastGood]] = [:]
        for (name, state) in zones where !state.waitsForLookups(table) {
            var answers: [AliasKey: AliasLastGood] = [:]
            for key in state.needs {
                guard let entry = cache.entries[key] else {
                    if let kept = state.saved[key] { answers[key] = kept }
                    continue
                }
                answers[key] = AliasLastGood(addresses: entry.addresses, resolvedAt: entry.resolvedAt)
            }
            let stale = answers.contains { key, answer in
                guard let saved = state.saved[key] else { return true }
                return saved.addresses != answer.addresses || answer.resolvedAt >= saved.resolvedAt + settings.saveInterval
            }
            if stale || Set(answers.keys) != Set(state.saved.keys) { batch[name] = answers }
        }
        guard !batch.isEmpty else { return }
        do {
            try store.saveAliasAnswers(batch)
            for (name, answers) in batch { zones[name]?.saved = answers }
        } catch {
            logger.error("cannot save the ALIAS answers", metadata: ["reason": "\(error)"])
        }
    }

    /// RFC 2136 updates for every stored zone, each with its update ACL (none: refused); an entry that
    /// no longer parses is left out (so it allows nothing) and logged.
    private func updateResponder() -> UpdateResponder {
        var acls: [DomainName: UpdateACL] = [:]
        for state in zones.values {
            var rules: [UpdateACL.Rule] = []
            for entry in state.snapshot.updateACL {
                do {
                    rules.append(try entry.rule(origin: state.origin))
                } catch {
                    logger.error("update ACL entry skipped", metadata: [
                        "zone": "\(state.snapshot.name)", "entry": "\(PrimaryStore.describe(entry))", "reason": "\(error)",
                    ])
                }
            }
            acls[state.origin] = UpdateACL(rules: rules)
        }
        let store = self.store
        return UpdateResponder(zones: acls, logger: logger, onAnswer: { zone, rcode in
            CountersignMetrics.updateAnswered(zone: zone.lowercased().text, rcode: rcode.description)
        }) { message, zone, _ in
            store.applyUpdate(message, zone: zone, now: Date())
        }
    }

    /// A new router when an ACL, a zone or a key changed; the set of blocked zones every cycle.
    private func updateRouting() {
        if routingChanged {
            routingChanged = false
            var zoneACLs: [DomainName: TransferACL] = [:]
            for state in zones.values where !state.snapshot.acl.isEmpty {
                var rules: [TransferACL.Rule] = []
                for entry in state.snapshot.acl {
                    do {
                        rules.append(TransferACL.Rule(prefix: try IPAddressPrefix(parsing: entry.prefix),
                                                      key: try entry.key.map { try DomainName($0) }))
                    } catch {
                        logger.error("transfer ACL entry skipped", metadata: [
                            "zone": "\(state.snapshot.name)", "entry": "\(entry.prefix)", "reason": "\(error)",
                        ])
                    }
                }
                zoneACLs[state.origin] = TransferACL(rules: rules)
            }
            if let catalog = publishedCatalog {
                zoneACLs[catalog.name] = catalogACL(zoneACLs)
            }
            let transfers = ZoneTransferResponder(zones: served, journal: PrimaryJournalSource(store: store), acl: settings.defaultACL,
                                                  zoneACLs: zoneACLs)
            var router = DNSRequestRouter(
                served: served, transfers: transfers, tsig: TSIGVerifier(keys: keys.values.sorted { $0.name < $1.name }),
                logger: logger)
            router.updates = updateResponder()
            handler.setRouter(router)
        }
        var blocked: [DomainName: String] = [:]
        for state in zones.values { if let reason = state.blocked { blocked[state.origin] = reason } }
        handler.setBlocked(blocked)
    }
}
