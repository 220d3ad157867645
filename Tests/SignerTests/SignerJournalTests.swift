import DNSCore
import DaemonKit
import Foundation
import GRDB
import Testing
@testable import Signer

/// The signer's journal (IXFR out): written by `publish` in the transaction of the version it leads
/// to, trimmed there to the limits, kept across a reopen, emptied by a version stored in full, and
/// refused when its bytes are damaged.
@Suite struct SignerJournalTests {
    let directory = ScratchDirectory.make("signer-journal")
    var path: String { directory + "/signer.db" }
    static let zone = SignerStoreTests.origin.text

    /// Version `n` of the zone: serial 10 + n, one more name per version, `www` moving every time.
    static func version(_ n: Int) throws -> Zone {
        var zone = try SignerStoreTests.unsigned()
        for i in 0..<n { zone.add(ResourceRecord(name: try DomainName("v\(i).example.test."), ttl: 300, rdata: .a(A(IPv4Address("192.0.2.\(i + 1)")!)))) }
        _ = zone.removeRRset(at: "www.example.test.", type: .A)
        zone.add(ResourceRecord(name: "www.example.test.", ttl: 300, rdata: .a(A(IPv4Address("198.51.100.\(n + 1)")!))))
        var soa = zone.soa!
        soa.serial = SerialNumber(UInt32(10 + n))
        zone.insert(RRset(name: SignerStoreTests.origin, type: .SOA, ttl: 300, rdatas: [.soa(soa)]))
        return zone
    }

    /// Publishes versions `range` in order, each as a diff from the one before (the first in full).
    static func publish(_ store: SignerStore, _ range: ClosedRange<Int>) throws {
        for n in range {
            let new = try version(n)
            let diff = n == range.lowerBound ? nil : ZoneDiff(from: try version(n - 1), to: new)
            try store.publish(zone: zone, unsigned: new, unsignedChanges: diff, signed: new, signedChanges: diff,
                              state: SignerStoreTests.state(signedSerial: UInt32(10 + n), summary: "v\(n)"), events: [])
        }
    }

    func journalRows(_ store: SignerStore) throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM journal") ?? 0 }
    }

    @Test func theJournalKeepsTheNewestStepsAndAnswersFromThemAfterAReopen() throws {
        let store = try SignerStore(path: path, journalLimits: JournalLimits(maxVersions: 3, maxBytes: 1 << 20))
        try store.addZone(SignerStoreTests.config(), now: SignerStoreTests.now)
        // A first version has no step before it.
        try Self.publish(store, 0...0)
        #expect(try store.journalReach(zone: Self.zone) == nil)
        try Self.publish(store, 0...6)
        let reach = try #require(try store.journalReach(zone: Self.zone))
        #expect(reach.versions == 3 && reach.oldestSerial == 13 && reach.newestSerial == 16 && reach.bytes > 0)

        // Reopened (a restarted daemon): the same steps, and they bring version 4 to version 6.
        let reopened = try SignerStore(path: path)
        let served = try #require(try Self.version(6).rrset(at: SignerStoreTests.origin, type: .SOA))
        let steps = try reopened.journalSteps(zone: SignerStoreTests.origin, from: SerialNumber(14))
        #expect(steps.map(\.fromSerial) == [SerialNumber(14), SerialNumber(15)])
        guard case .incremental(let delta) = IXFRPlan.plan(clientSerial: SerialNumber(14), served: served, journal: steps) else {
            Issue.record("serial 14 is in the journal")
            return
        }
        // Condensed: www's intermediate address (version 5) appears nowhere.
        func lines(_ sets: [RRset]) -> [String] { sets.flatMap(\.records).map { "\($0.name.text) \($0.rdata.presentation)" } }
        #expect(lines(delta.deleted) == ["www.example.test. 198.51.100.5"])
        #expect(lines(delta.added) == ["v4.example.test. 192.0.2.5", "v5.example.test. 192.0.2.6", "www.example.test. 198.51.100.7"])
        // Older than the journal: nothing starts there.
        #expect(try reopened.journalSteps(zone: SignerStoreTests.origin, from: SerialNumber(11)).isEmpty)
    }

    @Test func aVersionStoredInFullOrAFailedPublishLeavesNoStaleStep() throws {
        let store = try SignerStore(path: path)
        try store.addZone(SignerStoreTests.config(), now: SignerStoreTests.now)
        try Self.publish(store, 0...3)
        #expect(try journalRows(store) == 3)
        // A failed publish (its state breaks a CHECK) writes no step.
        var bad = SignerStoreTests.state(signedSerial: 14, summary: "bad")
        bad.consecutiveFailures = -1
        let v4 = try Self.version(4)
        #expect(throws: (any Error).self) {
            try store.publish(zone: Self.zone, unsigned: v4, unsignedChanges: nil, signed: v4,
                              signedChanges: ZoneDiff(from: try Self.version(3), to: v4), state: bad, events: [])
        }
        #expect(try journalRows(store) == 3)
        // A full signing (no diff): no step describes it, the journal starts again.
        try store.publish(zone: Self.zone, unsigned: v4, unsignedChanges: nil, signed: v4, signedChanges: nil,
                          state: SignerStoreTests.state(signedSerial: 14, summary: "full"), events: [])
        #expect(try store.journalReach(zone: Self.zone) == nil)
    }

    @Test func limitsTrimByBytesAndZeroTurnsTheJournalOff() throws {
        let probe = try SignerStore(path: directory + "/probe.db")
        try probe.addZone(SignerStoreTests.config(), now: SignerStoreTests.now)
        try Self.publish(probe, 0...1)
        let stepBytes = Int(try #require(try probe.journalReach(zone: Self.zone)).bytes)

        let small = try SignerStore(path: path, journalLimits: JournalLimits(maxVersions: 100, maxBytes: stepBytes * 2 + stepBytes / 2))
        try small.addZone(SignerStoreTests.config(), now: SignerStoreTests.now)
        try Self.publish(small, 0...6)
        #expect(try small.journalReach(zone: Self.zone)?.versions == 2)

        let off = try SignerStore(path: directory + "/off.db", journalLimits: JournalLimits(maxVersions: 0, maxBytes: 1 << 20))
        try off.addZone(SignerStoreTests.config(), now: SignerStoreTests.now)
        try Self.publish(off, 0...3)
        #expect(try journalRows(off) == 0)
    }

    @Test func aDamagedStepIsAClearErrorNotAnAnswer() throws {
        let store = try SignerStore(path: path)
        try store.addZone(SignerStoreTests.config(), now: SignerStoreTests.now)
        try Self.publish(store, 0...2)
        try store.pool.write { db in try db.execute(sql: "UPDATE journal SET data = substr(data, 1, 20) WHERE from_serial = 11") }
        do {
            _ = try store.journalSteps(zone: SignerStoreTests.origin, from: SerialNumber(10))
            Issue.record("a truncated step was decoded")
        } catch let error as SignerStoreError {
            #expect(error.kind == .corrupt && "\(error)".contains("journal step corrupt"), "\(error)")
        }
    }
}
