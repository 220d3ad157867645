import DaemonKit
import DNSCore
import Foundation
import Testing

@testable import Primary

/// The primary's journal (IXFR out): one step per published version of the expanded zone; after a
/// restart (no previous expansion in memory) it continues only when it still ends at the serial
/// published again.
@Suite("Primary journal")
struct PrimaryJournalTests {
    static let limits = JournalLimits.default

    @Test func stepsFollowPublishedVersionsAndARestartKeepsThemOnlyWhenTheyStillReach() throws {
        let temp = try exampleStore()
        let store = temp.store
        let v1 = try store.exportZone("example.test")
        // The first publication since start: nothing to step from.
        try store.recordJournal(zone: v1, previous: nil, limits: Self.limits)
        #expect(try store.journalReach(zone: "example.test") == nil)
        let v2 = try store.addRecord(zone: "example.test", name: "new", ttl: 300, type: "A", rdata: "192.0.2.7", now: noon)
        try store.recordJournal(zone: v2, previous: v1, limits: Self.limits)
        let v3 = try store.addRecord(zone: "example.test", name: "newer", ttl: 300, type: "A", rdata: "192.0.2.8", now: noon)
        try store.recordJournal(zone: v3, previous: v2, limits: Self.limits)
        let reach = try #require(try store.journalReach(zone: "example.test"))
        #expect(reach.versions == 2 && SerialNumber(reach.oldestSerial) == v1.serial && SerialNumber(reach.newestSerial) == v3.serial)

        // Restarted with v3 still current: the journal goes on, and answers a client at v1.
        let restarted = try PrimaryStore(path: temp.path)
        try restarted.recordJournal(zone: v3, previous: nil, limits: Self.limits)
        let steps = try restarted.journalSteps(zone: "example.test.", from: try #require(v1.serial))
        let served = try #require(v3.rrset(at: v3.origin, type: .SOA))
        guard case .incremental(let delta) = IXFRPlan.plan(clientSerial: try #require(v1.serial), served: served, journal: steps) else {
            Issue.record("v1 is in the journal: \(steps.count) steps")
            return
        }
        #expect(delta.deleted.isEmpty && delta.added.map(\.name.text) == ["new.example.test.", "newer.example.test."])

        // Restarted after an edit it never published: the step to it is unknown, the journal starts again.
        let v4 = try restarted.addRecord(zone: "example.test", name: "unseen", ttl: 300, type: "A", rdata: "192.0.2.9", now: noon)
        try restarted.recordJournal(zone: v4, previous: nil, limits: Self.limits)
        #expect(try restarted.journalReach(zone: "example.test") == nil)
    }
}
