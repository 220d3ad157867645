import DNSCore
import Foundation
import Testing

/// `AliasLookupQueue`: what `dns-primary serve --alias-concurrency N` sends to its resolvers. Never more
/// than N lookups running; a finished one is replaced at once; a key is never running twice; nothing
/// asked for is lost.
struct AliasLookupQueueTests {
    static func keys(_ count: Int) -> [AliasKey] {
        (0..<count).flatMap { n in
            AliasAddressFamily.allCases.map { AliasKey(target: try! DomainName(String(format: "t%04d.lb.test.", n)), family: $0) }
        }
    }

    @Test func startsAtMostTheLimitAndRefillsAsEachFinishes() {
        var queue = AliasLookupQueue(limit: 3)
        let all = Self.keys(4)  // 8 lookups
        let first = queue.enqueue(all)
        #expect(first == Array(all.prefix(3)), "the first three, in the order asked")
        #expect(queue.running.count == 3 && queue.waitingCount == 5 && !queue.isIdle)
        #expect(queue.finished(all[1]) == [all[3]], "one ends, the next starts in the same step")
        #expect(queue.enqueue(Array(all[2...])).isEmpty, "keys waiting or running are not queued twice")
        #expect(queue.waitingCount == 4)
        var started = first + [all[3]]
        while let key = queue.running.sorted().first {
            started += queue.finished(key)
            #expect(queue.running.count <= 3)
        }
        #expect(started == all, "every key started once, oldest first")
        #expect(queue.isIdle)
    }

    @Test func dropsWaitingKeysNoZoneNeedsAnyMore() {
        var queue = AliasLookupQueue(limit: 1)
        let all = Self.keys(3)
        #expect(queue.enqueue(all) == [all[0]])
        queue.retain(Set([all[0], all[4]]))
        #expect(queue.waitingCount == 1, "only the still-needed waiting key stays")
        #expect(queue.finished(all[0]) == [all[4]])
        #expect(queue.finished(all[4]).isEmpty && queue.isIdle)
        #expect(queue.enqueue([all[0]]) == [all[0]], "a finished key can be asked for again (a refresh)")
    }

    /// Random interleavings of enqueues, finishes and retains (seed printed; replay with
    /// COUNTERSIGN_QUEUE_SEED): the bound holds at every step, each started key was asked for and is not
    /// running already, and once nothing more is asked every key still needed has been started.
    @Test func theBoundHoldsUnderRandomInterleavings() {
        let seed = ProcessInfo.processInfo.environment["COUNTERSIGN_QUEUE_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("AliasLookupQueueTests: seed \(seed) (replay with COUNTERSIGN_QUEUE_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let universe = Self.keys(50)
        for round in 0..<50 {
            let limit = 1 + random.below(12)
            var queue = AliasLookupQueue(limit: limit)
            var running: Set<AliasKey> = []
            var asked: Set<AliasKey> = []
            var needed = Set(universe)
            func take(_ started: [AliasKey]) {
                for key in started {
                    #expect(asked.contains(key) && needed.contains(key), "seed \(seed) round \(round): \(key) started unasked")
                    #expect(running.insert(key).inserted, "seed \(seed) round \(round): \(key) started twice")
                    asked.remove(key)
                }
                #expect(running.count <= limit, "seed \(seed) round \(round): \(running.count) running, limit \(limit)")
                #expect(queue.running == running)
            }
            for _ in 0..<200 {
                switch random.below(5) {
                case 0, 1:
                    let batch = (0..<random.below(20)).map { _ in universe[random.below(universe.count)] }.filter { needed.contains($0) }
                    asked.formUnion(batch.filter { !running.contains($0) })
                    take(queue.enqueue(batch))
                case 2, 3:
                    guard let key = running.randomElement(using: &random) else { continue }
                    running.remove(key)
                    take(queue.finished(key))
                default:
                    needed = Set(universe.filter { _ in random.below(10) > 0 })
                    queue.retain(needed)
                    asked.formIntersection(needed)
                }
            }
            while let key = running.first {
                running.remove(key)
                take(queue.finished(key))
            }
            #expect(asked.isEmpty && queue.isIdle, "seed \(seed) round \(round): \(asked.count) asked and never started")
        }
    }
}
