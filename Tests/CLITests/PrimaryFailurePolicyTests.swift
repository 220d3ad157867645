import DaemonKit
import DNSCore
import Foundation
import Testing

@testable import Primary

/// What each ALIAS failure policy does, end to end, for each way a target can fail: the upstream stopped
/// (timeout), NXDOMAIN, SERVFAIL (NSD configured for a zone it has no data for) and a CNAME loop.
///
/// One daemon serves twelve zones, one per policy and failure, each with an apex ALIAS to its own target
/// and an explicit `www` A record; a real NSD is the upstream. What `dig AXFR` and `dig A` get:
///
/// | policy    | AXFR                               | A at the ALIAS owner            | serial  |
/// |-----------|------------------------------------|---------------------------------|---------|
/// | fail      | SERVFAIL                           | the last good expansion         | same    |
/// | keep-last | the zone, with the last good answer| the last good answer            | same    |
/// | ignore    | the zone, without that A           | NOERROR, no A                   | raised  |
///
/// A kept answer older than the zone's keep-last max age is treated as under `fail`. The kept answers
/// survive a restart of the daemon; each change of state gives one operator event, restarts included.
@Suite(.serialized)
struct PrimaryFailurePolicyTests {
    static let policies = ["fail", "keep-last", "ignore"]
    static let kinds = ["down", "nx", "sf", "loop"]

    static func zone(_ kind: String, _ policy: String) -> String { "\(kind).\(policy).test." }

    // The expansion's TTL is min(ALIAS 60, target 2): 2.

    /// The target of each kind, and the address it has while it resolves.
    static let targets = [
        "down": ("down.lb.test.", "192.0.2.1"), "nx": ("nx.lb.test.", "192.0.2.2"),
        "sf": ("x.sf.test.", "192.0.2.3"), "loop": ("loop.lb.test.", "192.0.2.4"),
    ]

    static func lbZone(broken: Bool) -> String {
        """
        $ORIGIN lb.test.
        $TTL 2
        @ SOA ns hostmaster \(broken ? 2 : 1) 3600 600 86400 2
        @ NS ns
        ns A 127.0.0.1
        down A 192.0.2.1

        """ + (broken ? "loop CNAME loop2\nloop2 CNAME loop\n" : "nx A 192.0.2.2\nloop A 192.0.2.4\n")
    }

    static let sfZone = """
        $ORIGIN sf.test.
        $TTL 2
        @ SOA ns.lb.test. hostmaster 1 3600 600 86400 2
        @ NS ns.lb.test.
        x A 192.0.2.3

        """

    /// Phase 1: everything resolves. Phase 2: NXDOMAIN, SERVFAIL (sf.test configured without data, so
    /// NSD answers SERVFAIL), CNAME loop.
    static func startUpstream(_ bed: PrimaryTestBed, broken: Bool) throws {
        if broken {
            try bed.startUpstream(zones: ["lb.test": lbZone(broken: true)],
                                  extra: "zone:\n    name: \"sf.test\"\n    request-xfr: 127.0.0.1@1 NOKEY\n")
        } else {
            try bed.startUpstream(zones: ["lb.test": lbZone(broken: false), "sf.test": sfZone])
        }
    }

    struct Observed: CustomStringConvertible {
        var axfr: AXFRResult
        var answer: String
        var serial: UInt32?
        var description: String { "AXFR \(axfr)\nA: \(answer)\nserial \(serial.map(String.init) ?? "-")" }
    }

    static func observe(_ bed: PrimaryTestBed, _ zone: String) -> Observed {
        Observed(axfr: AXFRResult(bed.axfr(zone)), answer: bed.dig([zone, "A"]), serial: bed.serial(zone))
    }

    /// Waits (bounded) until the zone behaves as `policy` prescribes for a failing target whose last good
    /// address is `address`; records an issue naming the zone otherwise.
    static func expectFailing(_ bed: PrimaryTestBed, _ zone: String, policy: String, address: String, serialBefore: UInt32,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        var last = observe(bed, zone)
        let deadline = Date().addingTimeInterval(40)
        func satisfied(_ seen: Observed) -> Bool {
            switch policy {
            case "fail":
                return seen.axfr == .failed("SERVFAIL") && seen.answer.contains("\t\(address)") && seen.serial == serialBefore
            case "keep-last":
                return seen.axfr.rrset(zone, "A") == ["\(zone) 2 IN A \(address)"] && seen.serial == serialBefore
            default:
                return seen.axfr.records.count > 0 && seen.axfr.rrset(zone, "A").isEmpty
                    && seen.answer.contains("status: NOERROR") && seen.answer.contains("ANSWER: 0")
                    && seen.serial == serialBefore + 1
            }
        }
        while !satisfied(last) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            last = observe(bed, zone)
        }
        #expect(satisfied(last), "\(zone) under \(policy):\n\(last)", sourceLocation: sourceLocation)
    }

    static func expectResolving(_ bed: PrimaryTestBed, _ zone: String, address: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = PrimaryTestBed.poll(30, { bed.axfr(zone) }) { AXFRResult($0).rrset(zone, "A") == ["\(zone) 2 IN A \(address)"] }
        #expect(result.ok, "\(zone) serves its expansion:\n\(result.output)", sourceLocation: sourceLocation)
    }

    @Test func eachPolicyForEachKindOfFailure() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let bed = try PrimaryTestBed("primary-failure")
        try Self.startUpstream(bed, broken: false)
        for policy in Self.policies {
            for kind in Self.kinds {
                let zone = Self.zone(kind, policy)
                try bed.must(["zone", "create", zone, "--ns", "ns1.example.net.", "--alias-failure", policy])
                try bed.must(["record", "add", zone, "@", "60", "ALIAS", Self.targets[kind]!.0])
                try bed.must(["record", "add", zone, "www", "300", "A", "192.0.2.80"])
            }
        }
        // keep-last with a short max age: once the kept answer is older, transfers are refused.
        let aged = "aged.keep-last.test."
        try bed.must(["zone", "create", aged, "--ns", "ns1.example.net.", "--alias-failure", "keep-last"])
        try bed.must(["record", "add", aged, "@", "60", "ALIAS", "nx.lb.test."])
        try bed.must(["zone", "set", aged, "--keep-last-max-age", "15"])
        try bed.startPrimary()

        // Phase 1: every target resolves.
        var serials: [String: UInt32] = [:]
        for policy in Self.policies {
            for kind in Self.kinds {
                let zone = Self.zone(kind, policy)
                Self.expectResolving(bed, zone, address: Self.targets[kind]!.1)
                serials[zone] = bed.serial(zone)
            }
        }
        Self.expectResolving(bed, aged, address: "192.0.2.2")
        let agedSerial = try #require(bed.serial(aged))

        // Phase 2: NXDOMAIN, SERVFAIL, CNAME loop (the "down" target still resolves).
        try Self.startUpstream(bed, broken: true)
        for kind in ["nx", "sf", "loop"] {
            for policy in Self.policies {
                let zone = Self.zone(kind, policy)
                Self.expectFailing(bed, zone, policy: policy, address: Self.targets[kind]!.1, serialBefore: serials[zone] ?? 0)
            }
        }
        for policy in Self.policies {
            let zone = Self.zone("down", policy)
            #expect(Self.observe(bed, zone).axfr.rrset(zone, "A") == ["\(zone) 2 IN A 192.0.2.1"], "\(zone) unaffected")
        }
        Self.expectFailing(bed, aged, policy: "fail", address: "192.0.2.2", serialBefore: agedSerial)

        // Phase 3: the upstream is stopped; the last targets time out.
        bed.stopUpstream()
        for policy in Self.policies {
            let zone = Self.zone("down", policy)
            Self.expectFailing(bed, zone, policy: policy, address: "192.0.2.1", serialBefore: serials[zone] ?? 0)
        }

        // Each failure is logged with owner, target and reason.
        let log = bed.primaryLog
        for (kind, reason) in [("nx", "NXDOMAIN"), ("sf", "the resolver answered SERVFAIL"),
                               ("loop", "CNAME loop: loop.lb.test. -> loop2.lb.test. -> loop.lb.test."), ("down", "timed out")] {
            let zone = Self.zone(kind, "fail")
            let line = log.split(separator: "\n").first { $0.contains("ALIAS target does not resolve") && $0.contains("zone=\(zone)") }
            #expect(line?.contains("owner=\(zone)") == true && line?.contains("target=\(Self.targets[kind]!.0)") == true
                        && line?.contains(reason) == true, "logged: \(line ?? "nothing")")
        }

        // A restart, the upstream still down: keep-last serves the answers saved in SQLite; fail has
        // nothing it may serve; no state changed, so no new event.
        bed.stopPrimary()
        try bed.startPrimary()
        for kind in Self.kinds {
            let zone = Self.zone(kind, "keep-last")
            Self.expectFailing(bed, zone, policy: "keep-last", address: Self.targets[kind]!.1, serialBefore: serials[zone] ?? 0)
            let failing = Self.zone(kind, "fail")
            let refused = PrimaryTestBed.poll(20, { bed.axfr(failing) }) { AXFRResult($0) == .failed("SERVFAIL") }
            #expect(refused.ok, "\(failing) after a restart: \(refused.output)")
            #expect(bed.dig([failing, "A"]).contains("status: REFUSED"), "a zone never expanded is not served")
        }
        let saved = try bed.store().aliasAnswers()
        #expect(saved["nx.keep-last.test."]?[AliasKey(target: DomainName("nx.lb.test."), family: .v4)]?.addresses.rdatas.map(\.presentation)
                == ["192.0.2.2"])

        // Phase 4: everything resolves again.
        try Self.startUpstream(bed, broken: false)
        for policy in Self.policies {
            for kind in Self.kinds {
                let zone = Self.zone(kind, policy)
                Self.expectResolving(bed, zone, address: Self.targets[kind]!.1)
                let serial = bed.serial(zone) ?? 0
                #expect(serial == (serials[zone] ?? 0) + (policy == "ignore" ? 2 : 0),
                        "\(zone): serial \(serial) (was \(serials[zone] ?? 0)); ignore leaves out and puts back, the others never change")
            }
        }
        Self.expectResolving(bed, aged, address: "192.0.2.2")

        // One event per change of state, not per refresh nor per restart.
        let store = try bed.store()
        for policy in Self.policies {
            for kind in Self.kinds {
                let zone = Self.zone(kind, policy)
                let events = try PrimaryTestBed.poll(10, { (try? store.recentEvents(zone: zone).map(\.kind.rawValue).joined(separator: " ")) ?? "" }) {
                    $0 == "alias.recovered alias.failing"
                }
                #expect(events.ok, "\(zone) events: \(events.output)")
                let failing = try store.recentEvents(zone: zone).first { $0.kind == .aliasFailing }
                #expect(failing?.severity == (policy == "fail" ? .critical : .warning))
                #expect(failing?.details["target"] == Self.targets[kind]!.0)
            }
        }
        // The aged zone degraded first, then was blocked when its kept answer got too old.
        let agedEvents = try store.recentEvents(zone: aged).map { "\($0.kind.rawValue)/\($0.severity.rawValue)" }
        #expect(agedEvents == ["alias.recovered/info", "alias.failing/critical", "alias.failing/warning"], "\(agedEvents)")
    }
}
