import DNSCore
import DNSEdge
import Foundation
import Testing
@testable import Signer

/// The reads and writes over many zones at once that let one signer hold thousands of zones: the
/// daemon's reload reads only the zones whose settings moved, `zone list` is one read, unchanged polls'
/// times are written together and never move a zone's state back.
@Suite struct SignerStoreBulkTests {
    let directory = ScratchDirectory.make("signer-store-bulk")
    func store() throws -> SignerStore { try SignerStore(path: directory + "/signer.db") }
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func configs(_ count: Int) throws -> [SignerZoneConfig] {
        try (0..<count).map { index in
            SignerZoneConfig(origin: try DomainName("z\(index).bulk.test."), primaries: [ListenAddress(host: "192.0.2.1", port: 53)])
        }
    }

    @Test func onlyTheZoneWhoseSettingsChangedShowsANewVersion() throws {
        let store = try store()
        try store.addZones(try Self.configs(1_200), now: Self.now)
        let before = try store.zoneVersions()
        #expect(before.count == 1_200)
        try store.requestRefresh("z7.bulk.test.")
        try store.addDownstream(zone: "z8.bulk.test.", address: "192.0.2.10")
        let after = try store.zoneVersions()
        let moved = Set(after.filter { before[$0.key] != $0.value }.map(\.key))
        #expect(moved == ["z7.bulk.test.", "z8.bulk.test."])
        // More names than one statement's chunk: every one comes back, and names not in the store are skipped.
        let named = try store.storedZones(named: Array(after.keys) + ["absent.bulk.test."])
        #expect(named.count == 1_200)
        #expect(try store.storedZones(named: ["z7.bulk.test."]).map(\.config.refreshRequested) == [true])

        // Removed and added again under the same name: a different row, so a different version even if the
        // counter happens to match.
        try store.removeZone("z9.bulk.test.")
        try store.addZone(try Self.configs(10)[9], now: Self.now)
        let readded = try store.zoneVersions()
        #expect(readded["z9.bulk.test."]?.id != after["z9.bulk.test."]?.id)
    }

    @Test func zoneListReadsEveryZoneWithItsStateInNameOrder() throws {
        let store = try store()
        try store.addZones(try Self.configs(50), now: Self.now)
        var state = ZoneState()
        state.lastPollResult = "unchanged (serial 3)"
        state.signedSerial = 3
        try store.recordPoll(zone: "z12.bulk.test.", state: state, events: [])
        let listed = try store.storedZonesWithState()
        #expect(listed.map(\.zone.config.origin.text) == listed.map(\.zone.config.origin.text).sorted())
        #expect(listed.count == 50)
        #expect(listed.first { $0.zone.config.origin.text == "z12.bulk.test." }?.state == state)
        #expect(listed.filter { $0.state.signedSerial != nil }.count == 1)
    }

    @Test func transferACLsOfAllZonesComeFromOneRead() throws {
        let store = try store()
        try store.addZones(try Self.configs(5), now: Self.now)
        try store.addTSIGKey(name: "xfr", secret: "c2VjcmV0", now: Self.now)
        try store.addDownstream(zone: "z1.bulk.test.", address: "192.0.2.0/24", key: "xfr", notify: false)
        try store.addDownstream(zone: "z3.bulk.test.", address: "198.51.100.7")
        let acls = try store.downstreamACLs()
        #expect(Set(acls.keys) == ["z1.bulk.test.", "z3.bulk.test."])
        for zone in ["z1.bulk.test.", "z3.bulk.test."] {
            #expect(acls[try DomainName(zone)] == (try store.downstreamACL(zone: zone)), "the same rules as the per-zone read")
        }
    }

    @Test func batchedPollTimesNeverMoveAStateBack() throws {
        let store = try store()
        try store.addZones(try Self.configs(3), now: Self.now)
        var published = ZoneState()
        published.lastPollAt = 2_000
        published.lastSuccessAt = 2_000
        published.lastPollResult = "changed: 1 RRset added"
        try store.recordPoll(zone: "z0.bulk.test.", state: published, events: [])
        try store.recordPollTimes([
            .init(zone: "z0.bulk.test.", lastPollAt: 1_990, lastSuccessAt: 1_990),  // noted before the publish
            .init(zone: "z1.bulk.test.", lastPollAt: 2_100, lastSuccessAt: 2_100, result: "unchanged (SOA serial 7)"),
            .init(zone: "z2.bulk.test.", lastPollAt: 2_200, lastSuccessAt: nil),
            .init(zone: "gone.bulk.test.", lastPollAt: 2_300, lastSuccessAt: 2_300),  // removed meanwhile: skipped
        ])
        #expect(try store.state(zone: "z0.bulk.test.") == published)
        #expect(try store.state(zone: "z1.bulk.test.").lastPollAt == 2_100)
        #expect(try store.state(zone: "z1.bulk.test.").lastSuccessAt == 2_100)
        #expect(try store.state(zone: "z1.bulk.test.").lastPollResult == "unchanged (SOA serial 7)", "the quiet poll's result is written with its time")
        #expect(try store.state(zone: "z2.bulk.test.").lastPollAt == 2_200)
        #expect(try store.state(zone: "z2.bulk.test.").lastSuccessAt == nil, "a failed poll's time says nothing of success")
    }

    @Test func pollTimesKeepTheNewestPerZoneAndSurviveAFailedWrite() throws {
        let store = try store()
        try store.addZones(try Self.configs(2), now: Self.now)
        let times = PollTimes()
        var recorded = ZoneState()
        recorded.lastPollResult = "published serial 5"
        try store.recordPoll(zone: "z1.bulk.test.", state: recorded, events: [])
        times.note(.init(zone: "z0.bulk.test.", lastPollAt: 100, lastSuccessAt: 100))
        times.note(.init(zone: "z0.bulk.test.", lastPollAt: 160, lastSuccessAt: 160))
        // The first quiet poll after a change notes its new result; the next ones note only their times,
        // and the result noted first must still be written.
        times.note(.init(zone: "z1.bulk.test.", lastPollAt: 130, lastSuccessAt: 130, result: "unchanged (SOA serial 5)"))
        // A write that fails (a full disk) keeps the times for the next flush; a newer time noted
        // meanwhile wins over the kept one.
        struct DiskFull: Error {}
        #expect(throws: DiskFull.self) { try times.flush { _ in throw DiskFull() } }
        #expect(times.count == 2)
        times.note(.init(zone: "z1.bulk.test.", lastPollAt: 190, lastSuccessAt: nil))
        var written: [SignerStore.PollTime] = []
        try times.flush { written = $0; try store.recordPollTimes($0) }
        #expect(written.count == 2)
        #expect(times.count == 0)
        #expect(try store.state(zone: "z0.bulk.test.").lastPollAt == 160)
        #expect(try store.state(zone: "z1.bulk.test.").lastPollAt == 190)
        #expect(try store.state(zone: "z1.bulk.test.").lastSuccessAt == nil, "the newer time (of a poll that found no answer) replaced the kept one")
        #expect(try store.state(zone: "z1.bulk.test.").lastPollResult == "unchanged (SOA serial 5)", "the kept result survived the failed write and the newer time")
        try times.flush { _ in Issue.record("nothing pending: nothing to write") }
    }
}
