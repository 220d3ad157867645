/// Replaces every ALIAS in an unsigned zone by A and AAAA RRsets at the same owner, from resolution
/// results given to it (it resolves nothing itself, so the same input always gives the same zone).
///
/// Rules: TTL = min(ALIAS TTL, target TTL); NODATA for a family leaves that family out; A or AAAA
/// records the zone holds explicitly at the owner win over the expansion, per type. A wildcard owner
/// (`*.sites.infr`) expands like any other name, into wildcard A/AAAA records.
public struct AliasExpander: Sendable {
    public var policy: AliasFailurePolicy
    /// Unix seconds, for the age of `keep-last` answers.
    public var now: UInt64

    public init(policy: AliasFailurePolicy = .fail, now: UInt64) {
        self.policy = policy
        self.now = now
    }

    /// The expanded zone and the failures worked around (for the log).
    public struct Expansion: Sendable, Equatable {
        public var zone: Zone
        public var problems: [AliasProblem]
    }

    /// The targets a zone's ALIAS records need, each once (what a resolver must look up).
    public static func targets(in zone: Zone) -> [DomainName] {
        var seen = Set<DomainName>()
        var result: [DomainName] = []
        for name in zone.names {
            guard let target = aliasTarget(at: name, in: zone), seen.insert(target.lowercased()).inserted else { continue }
            result.append(target)
        }
        return result
    }

    /// Expands every ALIAS of `zone`; throws under `fail` (and under `keep-last` without a usable last answer).
    public func expand(_ zone: Zone, with table: AliasResolutionTable) throws(AliasExpansionError) -> Expansion {
        var expanded = zone
        var problems: [AliasProblem] = []
        for name in zone.names {
            guard let alias = zone.rrset(at: name, type: .ALIAS) else { continue }
            let (rrsets, found) = try expand(owner: name, alias: alias, in: zone, with: table)
            expanded.removeRRset(at: name, type: .ALIAS)
            for rrset in rrsets { expanded.insert(rrset) }
            problems += found
        }
        return Expansion(zone: expanded, problems: problems)
    }

    /// The A/AAAA RRsets that answer for `owner` (its ALIAS expanded, explicit records winning); the
    /// query-time path. Empty when `owner` has no ALIAS and no addresses.
    public func addressRRsets(at owner: DomainName, in zone: Zone, with table: AliasResolutionTable)
        throws(AliasExpansionError) -> (rrsets: [RRset], problems: [AliasProblem])
    {
        guard let alias = zone.rrset(at: owner, type: .ALIAS) else {
            return ([zone.rrset(at: owner, type: .A), zone.rrset(at: owner, type: .AAAA)].compactMap { $0 }, [])
        }
        return try expand(owner: owner, alias: alias, in: zone, with: table)
    }

    static func aliasTarget(at name: DomainName, in zone: Zone) -> DomainName? {
        guard let set = zone.rrset(at: name, type: .ALIAS), case .alias(let alias) = set.rdatas.first else { return nil }
        return alias.target
    }

    /// One owner: explicit A/AAAA kept, the rest from the table under the policy.
    func expand(owner: DomainName, alias: RRset, in zone: Zone, with table: AliasResolutionTable)
        throws(AliasExpansionError) -> ([RRset], [AliasProblem])
    {
        guard case .alias(let record) = alias.rdatas.first else { return ([], []) }
        let target = record.target
        var rrsets: [RRset] = []
        var problems: [AliasProblem] = []
        for family in AliasAddressFamily.allCases {
            if let explicit = zone.rrset(at: owner, type: family.recordType) {
                rrsets.append(explicit)
                continue
            }
            let key = AliasKey(target: target, family: family)
            let addresses: AliasAddresses
            switch table.results[key] ?? .failed(.notResolved) {
            case .resolved(let found):
                addresses = found
            case .failed(let reason):
                let failure = AliasExpansionError(owner: owner, target: target, family: family, reason: reason)
                switch policy {
                case .fail:
                    throw failure
                case .ignore:
                    problems.append(AliasProblem(owner: owner, target: target, family: family, reason: reason, action: .leftOut))
                    continue
                case .keepLast(let maxAge):
                    guard let last = table.lastGood[key] else {
                        var error = failure
                        error.detail = "no earlier answer to keep"
                        throw error
                    }
                    let age = now >= last.resolvedAt ? now - last.resolvedAt : 0
                    guard age <= maxAge else {
                        var error = failure
                        error.detail = "the last answer is \(age) s old, more than the \(maxAge) s allowed"
                        throw error
                    }
                    problems.append(AliasProblem(owner: owner, target: target, family: family, reason: reason,
                                                 action: .usedLastGood(age: age)))
                    addresses = last.addresses
                }
            }
            guard !addresses.isNoData else { continue }
            let rdatas = addresses.rdatas.filter { $0.type == family.recordType }
            guard !rdatas.isEmpty else { continue }
            rrsets.append(RRset(name: owner, type: family.recordType, dnsClass: alias.dnsClass,
                                ttl: min(alias.ttl, addresses.ttl), rdatas: rdatas))
        }
        return (rrsets, problems)
    }
}
