import DNSCore
import Foundation
import Testing
@testable import Signer

/// The shared poller's machine, fed events with simulated time: parked zones are asked at their pace,
/// a quiet answer reschedules them, anything else hands them back once, and a released zone is forgotten.
@Suite struct SerialWatchTests {
    static let a = try! DomainName("a.test.")
    static let b = try! DomainName("b.test.")

    @Test func aParkedZoneIsAskedAtItsPaceWhileTheSerialHolds() {
        var watch = SerialWatch()
        watch.watch(Self.a, serial: 7, primaries: 1, firstAt: 1_060, interval: 60, seed: 1)
        #expect(watch.nextDue == 1_060)
        #expect(watch.due(now: 1_059) == [], "not before its poll time")
        #expect(watch.due(now: 1_060) == [.ask(Self.a, primary: 0)])
        #expect(watch.due(now: 1_061) == [], "one question in flight, not a second")
        #expect(watch.answered(Self.a, primary: 0, serial: 7, now: 1_061) == [.quiet(Self.a, at: 1_061)])
        var at: Int64 = 1_061
        for _ in 0..<20 {
            let next = watch.nextDue!
            #expect(next >= at + 60 && next < at + 66, "every interval plus less than a tenth: \(next - at)")
            #expect(watch.due(now: next - 1) == [])
            #expect(watch.due(now: next) == [.ask(Self.a, primary: 0)])
            at = next
            #expect(watch.answered(Self.a, primary: 0, serial: 7, now: at) == [.quiet(Self.a, at: at)])
        }
        #expect(watch.release(Self.a) == at, "the worker learns of the last quiet poll")
        #expect(watch.nextDue == nil || watch.due(now: at + 1_000) == [], "a released zone is not asked again")
    }

    @Test func anotherSerialHandsTheZoneBackOnce() {
        var watch = SerialWatch()
        watch.watch(Self.a, serial: 7, primaries: 2, firstAt: 100, interval: 60, seed: 1)
        _ = watch.due(now: 100)
        #expect(watch.answered(Self.a, primary: 0, serial: 8, now: 100) == [.handBack(Self.a)],
                "a new serial from the first primary: poll in full (the other primary is not asked)")
        #expect(watch.due(now: 10_000) == [], "nothing more is asked until the worker takes the zone back")
        #expect(watch.answered(Self.a, primary: 0, serial: 7, now: 101) == [], "a late answer changes nothing")
        #expect(watch.release(Self.a) == nil, "no quiet poll happened")
    }

    @Test func aSilentPrimaryIsFollowedByTheNextThenHandedBack() {
        var watch = SerialWatch()
        watch.watch(Self.a, serial: 7, primaries: 2, firstAt: 100, interval: 60, seed: 1)
        _ = watch.due(now: 100)
        #expect(watch.answered(Self.a, primary: 0, serial: nil, now: 101) == [.ask(Self.a, primary: 1)])
        #expect(watch.answered(Self.a, primary: 0, serial: 7, now: 101) == [], "the first primary's late answer is not the one awaited")
        #expect(watch.answered(Self.a, primary: 1, serial: 7, now: 102) == [.quiet(Self.a, at: 102)], "the second primary answers")
        let next = watch.nextDue!
        _ = watch.due(now: next)
        #expect(watch.answered(Self.a, primary: 0, serial: nil, now: next + 1) == [.ask(Self.a, primary: 1)])
        #expect(watch.answered(Self.a, primary: 1, serial: nil, now: next + 2) == [.handBack(Self.a)],
                "no primary answered: the worker polls, counts the failure and backs off")
    }

    @Test func parkingAgainReplacesTheOldSchedule() {
        var watch = SerialWatch()
        watch.watch(Self.a, serial: 7, primaries: 1, firstAt: 100, interval: 60, seed: 1)
        #expect(watch.release(Self.a) == nil)
        watch.watch(Self.a, serial: 9, primaries: 1, firstAt: 130, interval: 60, seed: 1)
        #expect(watch.due(now: 129) == [], "the old slot at 100 is stale")
        #expect(watch.due(now: 130) == [.ask(Self.a, primary: 0)])
        #expect(watch.answered(Self.a, primary: 0, serial: 7, now: 130) == [.handBack(Self.a)], "the old serial is no longer the one held")
    }

    /// Many zones with random paces, answers and hand-backs: each zone is asked only at or after its time,
    /// never twice at once, and never after it was handed back or released.
    @Test func manyZonesAreEachAskedOnTimeAndOnlyWhenParked() {
        let seed = UInt64.random(in: 1 ... .max)
        print("SerialWatchTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        var watch = SerialWatch()
        let zones = (0..<200).map { try! DomainName("z\($0).test.") }
        var dueAt: [DomainName: Int64] = [:]
        var inFlight: Set<DomainName> = []
        var parked: Set<DomainName> = []
        for zone in zones {
            let first = Int64(random.below(120))
            watch.watch(zone, serial: 1, primaries: 1, firstAt: first, interval: Int64(10 + random.below(100)), seed: random.next())
            dueAt[zone] = first
            parked.insert(zone)
        }
        for now in Int64(0)..<2_000 {
            for action in watch.due(now: now) {
                guard case .ask(let zone, 0) = action else { Issue.record("seed \(seed): \(action)"); continue }
                #expect(parked.contains(zone) && !inFlight.contains(zone), "seed \(seed): \(zone) asked while not waiting")
                #expect(now >= dueAt[zone]!, "seed \(seed): \(zone) asked early")
                inFlight.insert(zone)
            }
            for zone in inFlight.shuffled(using: &random) where random.below(3) > 0 {
                inFlight.remove(zone)
                let roll = random.below(40)
                let actions = watch.answered(zone, primary: 0, serial: roll == 0 ? 2 : 1, now: now)
                if roll == 0 {
                    #expect(actions == [.handBack(zone)], "seed \(seed)")
                    parked.remove(zone)
                } else {
                    #expect(actions == [.quiet(zone, at: now)], "seed \(seed)")
                    dueAt[zone] = watch.entries[zone]!.nextAt
                }
            }
            if random.below(50) == 0, let zone = parked.randomElement(using: &random), !inFlight.contains(zone) {
                _ = watch.release(zone)
                parked.remove(zone)
            }
        }
        #expect(parked.count < zones.count, "seed \(seed): some zones were handed back or released")
    }
}
