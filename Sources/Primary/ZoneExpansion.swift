import DNSCore
import DNSEdge
import Foundation

/// A zone with its ALIAS records expanded the way outgoing AXFR carries them: every target resolved
/// (both families), then DNSCore's `AliasExpander` under the zone's failure policy. Used by
/// `zone export --expanded`; `serve` does the same through its publisher.
enum ZoneExpansion {
    /// `lastGood`: the answers `serve` saved for the zone, used by the `keep-last` policy. `concurrency`:
    /// lookups in flight at once, the config file's `alias-concurrency` as `serve` uses it.
    static func expand(
        _ zone: Zone, policy: AliasFailurePolicy, resolver: UpstreamResolver, concurrency: Int,
        lastGood: [AliasKey: AliasLastGood] = [:], now: Date
    ) async throws -> AliasExpander.Expansion {
        var table = await resolve(AliasExpander.keys(in: zone), concurrency: concurrency, with: resolver)
        table.lastGood = lastGood
        do {
            return try AliasExpander(policy: policy, now: UInt64(now.timeIntervalSince1970)).expand(zone, with: table)
        } catch {
            throw ZoneCommandError(zone: zone.origin.text, reason: "ALIAS not expanded (policy fail): \(error)")
        }
    }

    /// Every key looked up, `concurrency` at a time, each finished lookup replaced by the next at once.
    static func resolve(_ keys: Set<AliasKey>, concurrency: Int, with resolver: UpstreamResolver) async -> AliasResolutionTable {
        var table = AliasResolutionTable()
        var queue = AliasLookupQueue(limit: concurrency)
        let ordered = keys.sorted()
        await withTaskGroup(of: (AliasKey, AliasLookup).self) { group in
            var start = queue.enqueue(ordered)
            while true {
                for key in start {
                    group.addTask { (key, await resolver.resolve(key.target, family: key.family)) }
                }
                guard let (key, lookup) = await group.next() else { break }
                table.results[key] = lookup
                start = queue.finished(key)
            }
        }
        return table
    }
}
