import DNSCore
import DNSEdge
import Foundation

/// A zone with its ALIAS records expanded the way outgoing AXFR carries them: every target resolved
/// (both families), then DNSCore's `AliasExpander` under the zone's failure policy. Used by
/// `zone export --expanded`; `serve` does the same through its publisher.
enum ZoneExpansion {
    /// Targets resolved at once, at most; a zone with a thousand ALIAS records then takes a few round trips.
    static let concurrentLookups = 32

    /// `lastGood`: the answers `serve` saved for the zone, used by the `keep-last` policy.
    static func expand(
        _ zone: Zone, policy: AliasFailurePolicy, resolver: UpstreamResolver, lastGood: [AliasKey: AliasLastGood] = [:], now: Date
    ) async throws -> AliasExpander.Expansion {
        var table = await resolve(AliasExpander.targets(in: zone), with: resolver)
        table.lastGood = lastGood
        do {
            return try AliasExpander(policy: policy, now: UInt64(now.timeIntervalSince1970)).expand(zone, with: table)
        } catch {
            throw ZoneCommandError(zone: zone.origin.text, reason: "ALIAS not expanded (policy fail): \(error)")
        }
    }

    static func resolve(_ targets: [DomainName], with resolver: UpstreamResolver) async -> AliasResolutionTable {
        var table = AliasResolutionTable()
        await withTaskGroup(of: (DomainName, [AliasAddressFamily: AliasLookup]).self) { group in
            var pending = targets[...]
            for _ in 0..<concurrentLookups {
                guard let target = pending.popFirst() else { break }
                group.addTask { (target, await resolver.resolve(target)) }
            }
            while let (target, lookups) = await group.next() {
                for (family, lookup) in lookups { table.results[AliasKey(target: target, family: family)] = lookup }
                if let next = pending.popFirst() {
                    group.addTask { (next, await resolver.resolve(next)) }
                }
            }
        }
        return table
    }
}
