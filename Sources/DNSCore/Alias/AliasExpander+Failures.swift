extension AliasExpander {
    /// Every (owner, family) of `zone` whose ALIAS target has no current answer in `table`, whatever
    /// the policy does about it: what a daemon logs and reports to the operator. `expand` stops at the
    /// first failure under `fail`; this lists them all. A family the zone holds explicitly at the owner
    /// is not looked up, so it never fails. Canonical order of owners, A before AAAA.
    public static func failures(in zone: Zone, with table: AliasResolutionTable) -> [AliasExpansionError] {
        var result: [AliasExpansionError] = []
        for name in zone.names {
            guard let target = aliasTarget(at: name, in: zone) else { continue }
            for family in AliasAddressFamily.allCases where zone.rrset(at: name, type: family.recordType) == nil {
                switch table.results[AliasKey(target: target, family: family)] ?? .failed(.notResolved) {
                case .resolved: continue
                case .failed(let reason):
                    result.append(AliasExpansionError(owner: name, target: target, family: family, reason: reason))
                }
            }
        }
        return result
    }

    /// The lookups `zone` needs: each ALIAS target in each family the owner does not hold explicitly.
    public static func keys(in zone: Zone) -> Set<AliasKey> {
        var keys = Set<AliasKey>()
        for name in zone.names {
            guard let target = aliasTarget(at: name, in: zone) else { continue }
            for family in AliasAddressFamily.allCases where zone.rrset(at: name, type: family.recordType) == nil {
                keys.insert(AliasKey(target: target, family: family))
            }
        }
        return keys
    }
}
