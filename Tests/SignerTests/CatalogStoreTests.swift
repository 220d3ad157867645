import DNSCore
import DNSEdge
import Foundation
import GRDB
import Testing
@testable import Signer

/// The catalog's side of the signer's store: the produced catalog's serial, following a catalog (add,
/// park, resume, hand-added zones left alone), and a refused catalog reported once.
@Suite struct CatalogStoreTests {
    let directory = ScratchDirectory.make("signer-catalog")
    var path: String { directory + "/signer.db" }
    func store() throws -> SignerStore { try SignerStore(path: path) }

    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func catalog(_ names: [DomainName]) throws -> CatalogZone {
        try CatalogZone(origin: "catalog.invalid.", members: names.map { CatalogMember(zone: $0) })
    }

    @Test func planAddsParksResumesAndLeavesOthersAlone() {
        let plan = CatalogFollowPlan(members: ["new.test.", "back.test.", "kept.test.", "hand.test."], existing: [
            "back.test.": .init(ours: true, parked: true),
            "kept.test.": .init(ours: true, parked: false),
            "gone.test.": .init(ours: true, parked: false),
            "hand.test.": .init(ours: false, parked: false),
            "handgone.test.": .init(ours: false, parked: false),
            "stillparked.test.": .init(ours: true, parked: true),
        ])
        #expect(plan.add == ["new.test."])
        #expect(plan.resume == ["back.test."])
        #expect(plan.park == ["gone.test."])
        #expect(plan.leftAlone == ["hand.test."])
    }

    @Test func producedSerialRisesOnlyWhenMembershipChanges() throws {
        let store = try store()
        try store.setCatalog(name: "catalog.invalid", group: nil, now: Self.now)
        let first = try store.publishCatalog(name: "catalog.invalid.", digest: Data([1]), now: Self.now)
        #expect(first == 1_700_000_000)
        #expect(try store.publishCatalog(name: "catalog.invalid.", digest: Data([1]), now: Self.now.addingTimeInterval(50)) == first)
        // Changed twice within one second: the serial still rises each time.
        let second = try store.publishCatalog(name: "catalog.invalid.", digest: Data([2]), now: Self.now)
        #expect(second == first + 1)
        #expect(try store.catalogSettings().catalog?.serial == second)
    }

    @Test func catalogNameMayNotShadowASignedZone() throws {
        let store = try store()
        try store.addZone(SignerZoneConfig(origin: "zone.test.", primaries: [ListenAddress(host: "192.0.2.1", port: 53)]), now: Self.now)
        #expect(throws: SignerStoreError.self) { try store.setCatalog(name: "zone.test.", group: nil, now: Self.now) }
        #expect(throws: SignerStoreError.self) { try store.setCatalog(name: "catalog.invalid.", group: "", now: Self.now) }
        #expect(try store.catalogSettings().catalog == nil)
    }

    @Test func followingAddsParksAndResumesWithTheSameKeysRow() throws {
        let store = try store()
        try store.addZone(SignerZoneConfig(origin: "hand.test.", primaries: [ListenAddress(host: "192.0.2.9", port: 53)]), now: Self.now)
        try store.followCatalog(name: "catalog.invalid.", primaries: [ListenAddress(host: "192.0.2.1", port: 5300)], key: nil, pollSeconds: 30, now: Self.now)
        let followed = try #require(try store.followedCatalogs().first)

        try store.applyCatalog(followed, catalog: try Self.catalog(["a.test.", "b.test.", "hand.test."]), serial: 1, now: Self.now)
        var zones = try store.zones()
        #expect(zones.map(\.origin.text) == ["a.test.", "b.test.", "hand.test."])
        let a = try #require(zones.first { $0.origin == "a.test." })
        #expect(a.primaries == [ListenAddress(host: "192.0.2.1", port: 5300)] && a.pollSeconds == 30)
        #expect(zones.first { $0.origin == "hand.test." }?.primaries == [ListenAddress(host: "192.0.2.9", port: 53)])

        // a and hand leave the catalog: a is parked, hand (added by hand) stays.
        let plan = try store.applyCatalog(followed, catalog: try Self.catalog(["b.test."]), serial: 2, now: Self.now)
        #expect(plan.park == ["a.test."])
        zones = try store.zones()
        #expect(zones.map(\.origin.text) == ["b.test.", "hand.test."])
        #expect(try store.parkedZones() == ["a.test."])

        // a comes back: the same row (and so the same keys), refreshed at once, next transfer accepted.
        try store.applyCatalog(followed, catalog: try Self.catalog(["a.test.", "b.test."]), serial: 3, now: Self.now)
        let back = try #require(try store.zones().first { $0.origin == "a.test." })
        #expect(back.refreshRequested && back.acceptNext)
        #expect(try store.parkedZones().isEmpty)
        #expect(try store.followedCatalogs().first?.serial == 3)
    }

    @Test func aRefusedCatalogIsReportedOnceAndChangesNothing() throws {
        let store = try store()
        try store.followCatalog(name: "catalog.invalid.", primaries: [ListenAddress(host: "192.0.2.1", port: 53)], key: nil, pollSeconds: 60, now: Self.now)
        let followed = try #require(try store.followedCatalogs().first)
        try store.applyCatalog(followed, catalog: try Self.catalog(["a.test."]), serial: 1, now: Self.now)
        let version = try store.configVersion()
        #expect(try store.recordCatalogRefusal(followed, reason: "bad", now: Self.now))
        #expect(!(try store.recordCatalogRefusal(followed, reason: "bad", now: Self.now)))
        #expect(try store.recordCatalogRefusal(followed, reason: "worse", now: Self.now))
        #expect(try store.configVersion() == version)
        #expect(try store.zones().map(\.origin.text) == ["a.test."])
        #expect(try store.followedCatalogs().first?.lastError == "worse")
        let events = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox_events WHERE zone = 'catalog.invalid.'") }
        #expect(events == 2)
    }
}
