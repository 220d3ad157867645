import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import GRDB
import Testing

@testable import Primary

/// What `dns-primary serve` keeps in the store: the last good ALIAS answers (keep-last, across
/// restarts), each zone's ALIAS health with one operator event per change, serials raised when the
/// expansion moves, and the snapshot a daemon serves from.
@Suite("Serving store")
struct ServingStoreTests {
    static let elb = try! DomainName("lb.example.net.")
    static func a(_ text: String) -> RData { .a(A(IPv4Address(text)!)) }
    static func aaaa(_ text: String) -> RData { .aaaa(AAAA(IPv6Address(text)!)) }

    @Test func aliasAnswersRoundTripAndAreReplacedPerZone() throws {
        let temp = try exampleStore()
        let v4 = AliasKey(target: Self.elb, family: .v4)
        let v6 = AliasKey(target: Self.elb, family: .v6)
        let answers: [AliasKey: AliasLastGood] = [
            v4: AliasLastGood(addresses: AliasAddresses(rdatas: [Self.a("192.0.2.1"), Self.a("192.0.2.2")], ttl: 60), resolvedAt: 1000),
            v6: AliasLastGood(addresses: .nodata(ttl: 30), resolvedAt: 1001),
        ]
        try temp.store.saveAliasAnswers(["example.test.": answers, "gone.test.": answers])
        // A second store on the file (a restarted daemon) reads them back as they were.
        let reopened = try PrimaryStore(path: temp.path)
        #expect(try reopened.aliasAnswers() == ["example.test.": answers])

        let moved = [v6: AliasLastGood(addresses: AliasAddresses(rdatas: [Self.aaaa("2001:db8::1")], ttl: 300), resolvedAt: 2000)]
        try temp.store.saveAliasAnswers(["example.test.": moved])
        #expect(try temp.store.aliasAnswers() == ["example.test.": moved], "a key left out is a target the zone no longer uses")

        try temp.store.deleteZone("example.test")
        #expect(try temp.store.aliasAnswers().isEmpty, "deleting the zone deletes its answers")
    }

    @Test func healthChangesRecordOneEventEach() throws {
        let temp = try exampleStore()
        func event(_ kind: OperatorEvent.Kind) -> (AliasHealth) -> OperatorEvent? {
            { previous in OperatorEvent(kind: kind, severity: .warning, zone: "example.test.", time: 1, summary: "from \(previous)") }
        }
        #expect(try temp.store.aliasHealth().isEmpty)
        // The daemon's notification worker is woken after each commit that recorded an event, and only then.
        let signals = Locked(0)
        temp.store.outboxSignal.onEventsCommitted { signals.withLock { $0 += 1 } }
        #expect(try temp.store.setAliasHealth(zone: "example.test", .degraded, reason: "x", now: noon, event: event(.aliasFailing)))
        #expect(try !temp.store.setAliasHealth(zone: "example.test", .degraded, reason: "x", now: noon, event: event(.aliasFailing)))
        #expect(signals.current == 1)
        // The same state observed again (another refresh, another daemon after a restart): nothing written.
        let second = try PrimaryStore(path: temp.path)
        #expect(try !second.setAliasHealth(zone: "example.test", .degraded, reason: "x", now: noon, event: event(.aliasFailing)))
        #expect(try second.setAliasHealth(zone: "example.test", .blocked, reason: "y", now: noon, event: event(.aliasFailing)))
        #expect(try second.setAliasHealth(zone: "example.test", .ok, reason: "z", now: noon, event: event(.aliasRecovered)))
        let events = try temp.store.recentEvents(zone: "example.test")
        #expect(events.map(\.kind) == [.aliasRecovered, .aliasFailing, .aliasFailing])
        #expect(events.map(\.summary) == ["from blocked", "from degraded", "from ok"])
        #expect(try temp.store.aliasHealth() == ["example.test.": .ok])

        // A throw inside the transaction leaves neither the state nor an event behind.
        #expect(throws: StoreError.self) {
            try temp.store.setAliasHealth(zone: "nope.test", .blocked, reason: "", now: noon, event: event(.aliasFailing))
        }
        #expect(try temp.store.recentEvents().count == 3)
    }

    @Test func raiseSerialOnlyAtTheVersionSeen() throws {
        let temp = try exampleStore()
        let snapshot = try temp.store.servingSnapshot("example.test")
        let before = try serial(temp.store)
        let raised = try #require(try temp.store.raiseSerial(zone: "example.test", ifVersion: snapshot.version, now: noon))
        #expect(raised.zone.serial == SerialNumber(before &+ 1))
        #expect(raised.version == snapshot.version + 1)
        #expect(try serial(temp.store) == before &+ 1)
        #expect(ZoneDiff(from: snapshot.zone, to: raised.zone).added.map(\.type) == [.SOA], "only the SOA changed")
        // An edit came in since: it raised the serial already, so nothing more is done.
        #expect(try temp.store.raiseSerial(zone: "example.test", ifVersion: snapshot.version, now: noon) == nil)
        #expect(try serial(temp.store) == before &+ 1)
    }

    @Test func snapshotHoldsTheZoneItsACLAndNotifyTargets() throws {
        let temp = try exampleStore()
        try temp.store.addTSIGKey(name: "xfr", secret: "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
        try temp.store.addTransferACL(zone: "example.test", prefix: "192.0.2.0/24", key: "xfr", now: noon)
        try temp.store.addNotifyTarget(zone: "example.test", target: "192.0.2.9:5353", key: "xfr", now: noon)
        try temp.store.setPolicies("example.test", aliasFailurePolicy: .keepLast, keepLastMaxAge: 600, now: noon)
        let snapshot = try temp.store.servingSnapshot("example.test.")
        #expect(snapshot.name == "example.test.")
        #expect(snapshot.acl == [TransferACLEntry(prefix: "192.0.2.0/24", key: "xfr.")])
        #expect(snapshot.notify == [NotifyTarget(address: "192.0.2.9", port: 5353, key: "xfr.")])
        #expect(snapshot.policy == .keepLast(maxAge: 600))
        #expect(snapshot.version == (try temp.store.versions()["example.test."]))
        #expect(snapshot.zone == (try temp.store.exportZone("example.test")))
    }

    @Test func storeOpensThroughDaemonKitWithTheOutbox() throws {
        let temp = try TemporaryStore()
        let tables = try temp.store.pool.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        #expect(Set(["alias_answers", "alias_status", "outbox_events", "zones"]).isSubset(of: Set(tables)))
    }
}
