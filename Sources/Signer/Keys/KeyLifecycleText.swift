/// Sentences about a lifecycle for `keys status`, `keys plan` and `zone status`: what the next
/// transition waits for and why, with the times RFC 7583's formulas give.
enum KeyLifecycleText {
    /// Why the lifecycle waits, e.g. "waiting for DS 12345 at the parent: DS 12345 at 1 of 2 servers …".
    static func reason(_ lifecycle: KeyLifecycle, policy: KeyPolicy, facts: ZoneTTLFacts, now: Int64) -> String {
        guard let rollover = lifecycle.rollover else {
            if lifecycle.insecure { return "the zone is served without DNSSEC" }
            if lifecycle.requestedRoll != nil { return "a \(lifecycle.requestedRoll!.rawValue) rollover was requested" }
            guard let next = lifecycle.nextDeadline(policy: policy, facts: facts) else { return "nothing scheduled" }
            // The key whose lifetime ends first (keys without a lifetime never do).
            func end(_ key: ManagedKey) -> Int64 {
                guard let lifetime = key.role == .zsk ? policy.zskLifetime : policy.kskLifetime else { return .max }
                return (key.activeSince ?? key.created) + lifetime
            }
            let key = lifecycle.liveKeys.min { end($0) < end($1) }
            return "\(key?.summary ?? "a key") reaches its lifetime at \(SignerStoreOptions.time(next)): a \(key?.role.rawValue ?? "") rollover starts"
        }
        let step = rollover.currentStep
        var parts: [String] = []
        if let wait = step.wait, let until = rollover.waitUntil, now < until {
            let interval = KeyLifecycle.interval(wait, policy: policy, facts: facts)
            parts.append(wait == .dnskey
                ? "waiting until \(SignerStoreOptions.time(until)) for the DNSKEY RRset to reach every cache (propagation delay \(policy.propagationDelay)s + DNSKEY TTL \(facts.dnskeyTTL)s = \(interval)s)"
                : "waiting until \(SignerStoreOptions.time(until)) for signatures made by the old keys to leave every cache (propagation delay \(policy.propagationDelay)s + largest TTL \(facts.maxZoneTTL)s = \(interval)s)")
        }
        if let condition = step.parent {
            let tags = (condition == .newDS ? rollover.new : rollover.old).filter { ref in
                lifecycle.keys.contains { KeyLifecycle.ref($0) == ref && $0.role.signsKeys }
            }.map { "\($0.tag)" }.joined(separator: ", ")
            if let seen = rollover.parentSatisfiedAt {
                let ttl = policy.parentDSTTL ?? rollover.parentDSTTL ?? KeyPolicy.fallbackDSTTL
                parts.append("the parent \(condition == .newDS ? "publishes DS \(tags)" : "no longer publishes a DS") since \(SignerStoreOptions.time(seen)); waiting until "
                    + "\(SignerStoreOptions.time(seen + lifecycle.dsWait(policy: policy))) for the old DS set to leave caches (propagation delay \(policy.propagationDelay)s + DS TTL \(ttl)s)")
            } else {
                parts.append((condition == .newDS ? "waiting for DS \(tags) at every parent server" : "waiting for the DS to be removed at every parent server")
                    + (rollover.parentReport.map { ": \($0)" } ?? ": not checked yet")
                    + " (checked every \(policy.dsCheckInterval)s; or confirm with `keys \(condition == .newDS ? "ds-seen" : "ds-gone") ZONE TAG`)")
            }
        }
        if parts.isEmpty { parts.append("the next step is due") }
        return "\(step.name): " + parts.joined(separator: "; ")
    }

    struct PlanLine: Sendable, Equatable {
        var at: Int64
        var step: String
        var what: String
    }

    /// The timeline of a rollover of `kind` starting at `start`, assuming the parent acts the moment it
    /// is asked (its own delay comes on top). Every time is the earliest RFC 7583 allows.
    static func plan(_ kind: Rollover.Kind, start: Int64, policy: KeyPolicy, facts: ZoneTTLFacts) -> [PlanLine] {
        var lines: [PlanLine] = []
        var time = start
        let dsTTL = policy.parentDSTTL ?? KeyPolicy.fallbackDSTTL
        for (index, step) in Rollover.steps(kind).enumerated() {
            lines.append(PlanLine(at: time, step: "\(index + 1). \(step.name)", what: step.purpose))
            var end = time
            if let wait = step.wait { end = time + KeyLifecycle.interval(wait, policy: policy, facts: facts) }
            if step.parent != nil {
                let parentEnd = time + policy.propagationDelay + dsTTL
                lines.append(PlanLine(at: time, step: "   parent", what: step.parent == .newDS
                    ? "the registrar (or a CDS-scanning parent) publishes the new DS; the signer checks every \(policy.dsCheckInterval)s"
                    : "the registrar (or a CDS-scanning parent) removes the DS; the signer checks every \(policy.dsCheckInterval)s"))
                end = max(end, parentEnd)
            }
            time = end
        }
        lines.append(PlanLine(at: time, step: "done", what: kind == .unsign ? "the zone is served without DNSSEC"
            : "the old keys are removed; the new ones are in full use"))
        return lines
    }
}
