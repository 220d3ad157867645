import DNSCore

/// The SOA polls of zones whose workers sleep: Knot's refresh events, as a pure state machine that
/// `SerialPoller` drives on one event loop (style rule 2).
///
/// A zone whose cycle is idle, whose primary answers and whose next poll can only be a serial check (no
/// transfer asked, no content check due) is *parked* here: its worker sleeps until its own next deadline
/// (a re-signing, a key step) and this machine asks the primaries for the SOA at the zone's poll pace.
/// While the serial is the one the zone holds, a poll ends here (`quiet`): no task, timer or actor of
/// the zone's runs. Anything else — another serial, no answer from any primary, a malformed answer —
/// hands the zone back (`handBack`), and the worker polls in full and reports what it finds; the worker's
/// `ZoneCycle` stays the authority on failures, retries and expiry.
///
/// Ten thousand zones polled every minute are 167 SOA questions a second; with a worker per poll each
/// cost a timer, two thread hops and an actor's turn, which was most of the signer's CPU at rest.
struct SerialWatch: Sendable {
    struct Entry: Sendable, Equatable {
        /// The serial the zone holds.
        var serial: UInt32
        /// How many primaries to try, in order.
        var primaries: Int
        var interval: Int64
        var nextAt: Int64
        /// The primary asked now (nil: none in flight).
        var asking: Int?
        /// The last quiet poll (nil: none since the zone was parked).
        var lastQuietAt: Int64?
        /// Handed back: nothing more is asked until the worker releases the zone.
        var handedBack = false
        var jitterState: UInt64
    }

    enum Action: Sendable, Equatable {
        /// Ask primary number `primary` of `zone` for its SOA.
        case ask(DomainName, primary: Int)
        /// The serial is the one held: a poll finished, unchanged, at `at`.
        case quiet(DomainName, at: Int64)
        /// Wake the zone's worker to poll in full.
        case handBack(DomainName)
    }

    private(set) var entries: [DomainName: Entry] = [:]
    /// Zones by the second of their next poll: `due` takes the seconds that passed, not every zone.
    private var wheel: [Int64: [DomainName]] = [:]

    /// Parks `zone`: its first poll here at `firstAt`, then every `interval` seconds (plus a jitter of up
    /// to a tenth, from `seed`). Parking a parked zone starts it afresh.
    mutating func watch(_ zone: DomainName, serial: UInt32, primaries: Int, firstAt: Int64, interval: Int64, seed: UInt64) {
        guard primaries > 0 else { return }
        entries[zone] = Entry(serial: serial, primaries: primaries, interval: max(1, interval), nextAt: firstAt, jitterState: seed)
        wheel[firstAt, default: []].append(zone)
    }

    /// Unparks `zone` (its worker woke); returns when it was last polled here with the serial unchanged.
    mutating func release(_ zone: DomainName) -> Int64? {
        entries.removeValue(forKey: zone)?.lastQuietAt
    }

    /// The polls due at `now`: each zone's first primary is asked.
    mutating func due(now: Int64) -> [Action] {
        var actions: [Action] = []
        // The wheel holds about one interval of seconds (66 for a minute's polls): the oldest is cheap to find.
        while let second = wheel.keys.min(), second <= now {
            for zone in wheel.removeValue(forKey: second) ?? [] {
                // Released, parked again for another second, or asking already: a stale slot.
                guard var entry = entries[zone], !entry.handedBack, entry.asking == nil, entry.nextAt == second else { continue }
                entry.asking = 0
                entries[zone] = entry
                actions.append(.ask(zone, primary: 0))
            }
        }
        return actions
    }

    /// What primary `primary` said: its serial, or nil for no usable answer (timeout, error, not
    /// authoritative, no SOA).
    mutating func answered(_ zone: DomainName, primary: Int, serial: UInt32?, now: Int64) -> [Action] {
        guard var entry = entries[zone], entry.asking == primary else { return [] }
        entry.asking = nil
        if let serial, serial == entry.serial {
            entry.lastQuietAt = now
            entry.nextAt = now + entry.interval + PollJitter.next(&entry.jitterState, interval: entry.interval)
            entries[zone] = entry
            wheel[entry.nextAt, default: []].append(zone)
            return [.quiet(zone, at: now)]
        }
        if serial == nil, primary + 1 < entry.primaries {
            entry.asking = primary + 1
            entries[zone] = entry
            return [.ask(zone, primary: primary + 1)]
        }
        entry.handedBack = true
        entries[zone] = entry
        return [.handBack(zone)]
    }

    /// When `due` next has something to do (nil: nothing parked).
    var nextDue: Int64? { wheel.keys.min() }
}
