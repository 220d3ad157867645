import DNSCore
import DNSEdge
import Foundation
import GRDB
import Testing
@testable import Signer

/// Issue 15, item 5 leftovers, in the store and the pure plan: member resets (RFC 9432 §5.4, a changed
/// unique id: state dropped, keys kept), change of ownership (§5.5, `coo`), and the per-zone group of
/// the catalog the signer produces.
@Suite struct CatalogMemberTests {
    let directory = ScratchDirectory.make("signer-catalog-members")
    var path: String { directory + "/signer.db" }
    func store() throws -> SignerStore { try SignerStore(path: path) }

    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let catalogA: DomainName = "a.catalog.invalid."
    static let catalogB: DomainName = "b.catalog.invalid."
    static let primary = ListenAddress(host: "192.0.2.1", port: 5300)

    static func member(_ zone: DomainName, _ id: String, coo: DomainName? = nil) -> CatalogMember {
        CatalogMember(zone: zone, id: id, coo: coo)
    }

    // MARK: The plan

    @Test func aChangedUniqueIDIsAResetAndAFirstIDIsNot() {
        let plan = CatalogFollowPlan(catalog: Self.catalogA, members: [
            Self.member("same.test.", "id1"), Self.member("changed.test.", "id2-new"), Self.member("first.test.", "id3"),
            Self.member("case.test.", "ID4"), Self.member("parkedchanged.test.", "id5-new"), Self.member("hand.test.", "id6"),
        ], existing: [
            "same.test.": .init(ours: true, parked: false, memberID: "id1"),
            "changed.test.": .init(ours: true, parked: false, memberID: "id2"),
            "first.test.": .init(ours: true, parked: false, memberID: nil),
            "case.test.": .init(ours: true, parked: false, memberID: "id4"),
            "parkedchanged.test.": .init(ours: true, parked: true, memberID: "id5"),
            "hand.test.": .init(ours: false, parked: false, memberID: "id0"),
        ])
        #expect(plan.reset == ["changed.test.", "parkedchanged.test."])
        #expect(plan.resume == ["parkedchanged.test."])
        #expect(plan.leftAlone == ["hand.test."], "a zone held by hand is never reset, whatever its id")
        #expect(plan.add.isEmpty && plan.park.isEmpty && plan.takeOver.isEmpty)
        // Ids are recorded where they changed or were unknown; equal ones (case aside) cost no write.
        #expect(Set(plan.records.keys) == ["changed.test.", "first.test.", "case.test.", "parkedchanged.test."])
        #expect(plan.records["first.test."] == .init(id: "id3", coo: nil))
        #expect(!plan.isEmpty)
    }

    @Test func aZoneHandedOverWithCooIsTakenOverOthersAreLeftAlone() {
        let plan = CatalogFollowPlan(catalog: Self.catalogB, members: [
            Self.member("moving.test.", "m1"), Self.member("movedparked.test.", "m2"), Self.member("newid.test.", "other"),
            Self.member("elsewhere.test.", "m4"), Self.member("notmoving.test.", "m5"),
        ], existing: [
            "moving.test.": .init(ours: false, parked: false, memberID: "m1", movingTo: Self.catalogB),
            "movedparked.test.": .init(ours: false, parked: true, memberID: "m2", movingTo: Self.catalogB),
            "newid.test.": .init(ours: false, parked: false, memberID: "m3", movingTo: Self.catalogB),
            "elsewhere.test.": .init(ours: false, parked: false, memberID: "m4", movingTo: "c.catalog.invalid."),
            "notmoving.test.": .init(ours: false, parked: false, memberID: "m5", movingTo: nil),
        ])
        #expect(plan.takeOver == ["movedparked.test.", "moving.test.", "newid.test."])
        #expect(plan.resume == ["movedparked.test."])
        #expect(plan.reset == ["newid.test."], "§5.5: a new owner listing the zone under another id resets it")
        #expect(plan.leftAlone == ["elsewhere.test.", "notmoving.test."])
        #expect(plan.records["moving.test."] == .init(id: "m1", coo: nil), "the new owner's record replaces the old one's coo")
    }

    /// Random memberships and existing zones: every member lands in exactly one of add / kept as ours /
    /// taken over / left alone; resets are exactly the held members whose recorded id differs; parks are
    /// exactly this catalog's running zones that are not members.
    @Test func randomPlansKeepTheirInvariants() throws {
        let seed = UInt64.random(in: 1 ... .max)
        print("CatalogMemberTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        for _ in 0..<200 {
            var existing: [DomainName: CatalogFollowPlan.Existing] = [:]
            var members: [CatalogMember] = []
            for index in 0..<30 {
                let name = try DomainName("z\(index).test.")
                if random.below(3) > 0 {
                    let owner = random.below(3)  // 0: ours, 1: another catalog, 2: by hand
                    existing[name] = .init(ours: owner == 0, parked: random.below(2) == 0,
                                           memberID: random.below(4) == 0 ? nil : "i\(random.below(3))",
                                           movingTo: owner == 1 && random.below(2) == 0 ? Self.catalogA : nil)
                }
                if random.below(2) == 0 { members.append(Self.member(name, "i\(random.below(3))")) }
            }
            let plan = CatalogFollowPlan(catalog: Self.catalogA, members: members, existing: existing)
            let context = "seed \(seed)"
            for member in members {
                let kept = existing[member.zone]?.ours == true
                let places = [plan.add.contains(member.zone), kept, plan.takeOver.contains(member.zone), plan.leftAlone.contains(member.zone)]
                #expect(places.filter { $0 }.count == 1, "\(member.zone) is in \(places), \(context)")
                let held = kept || plan.takeOver.contains(member.zone)
                let changed = existing[member.zone]?.memberID.map { $0 != member.id } ?? false
                #expect(plan.reset.contains(member.zone) == (held && changed), "\(member.zone) reset, \(context)")
                #expect(plan.resume.contains(member.zone) == (held && existing[member.zone]?.parked == true), "\(context)")
            }
            let wanted = Set(members.map(\.zone))
            let parkable = existing.filter { $0.value.ours && !$0.value.parked && !wanted.contains($0.key) }.keys.sorted()
            #expect(plan.park == parkable, "\(context)")
        }
    }

    // MARK: The store

    /// Puts rows where a published zone keeps its copies, journal and keys, as the daemon would have.
    func publishFake(_ store: SignerStore, _ zone: String) throws {
        try store.pool.write { db in
            let id = try SignerStore.zoneID(db, try DomainName(zone))
            try db.execute(sql: "INSERT INTO unsigned_nodes (zone_id, owner, data) VALUES (?, x'01', x'02')", arguments: [id])
            try db.execute(sql: "INSERT INTO signed_nodes (zone_id, owner, data) VALUES (?, x'01', x'02')", arguments: [id])
            try db.execute(sql: "INSERT INTO journal (zone_id, seq, from_serial, to_serial, bytes, data) VALUES (?, 1, 1, 2, 1, x'00')", arguments: [id])
            try db.execute(sql: """
                INSERT INTO keys (zone_id, key_tag, flags, algorithm, private_pem, created_at) VALUES (?, 4242, 257, 13, 'pem', 0)
                """, arguments: [id])
            try db.execute(sql: "UPDATE zone_state SET unsigned_serial = 7, signed_serial = 1700000000, last_poll_result = 'changed' WHERE zone_id = ?",
                           arguments: [id])
        }
    }

    func count(_ store: SignerStore, _ table: String, _ zone: String) throws -> Int {
        try store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE zone_id = (SELECT id FROM zones WHERE name = ?)", arguments: [zone]) ?? -1
        }
    }

    @Test func aResetDropsTheCopiesAndHistoryButKeepsTheKeysAndSettings() throws {
        let store = try store()
        try store.followCatalog(name: Self.catalogA.text, primaries: [Self.primary], key: nil, pollSeconds: 30, now: Self.now)
        let followed = try #require(try store.followedCatalogs().first)
        try store.applyCatalog(followed, catalog: try CatalogZone(origin: Self.catalogA, members: [Self.member("r.test.", "one"), Self.member("s.test.", "two")]),
                               serial: 1, now: Self.now)
        try publishFake(store, "r.test.")
        try publishFake(store, "s.test.")
        let before = try store.zoneVersions()

        // The same id again: nothing happens to either zone.
        let same = try store.applyCatalog(followed, catalog: try CatalogZone(origin: Self.catalogA, members: [Self.member("r.test.", "one"), Self.member("s.test.", "two")]),
                                          serial: 2, now: Self.now)
        #expect(same.isEmpty && same.records.isEmpty)
        #expect(try store.zoneVersions() == before)

        // r.test. comes back under a new id: reset.
        let plan = try store.applyCatalog(followed, catalog: try CatalogZone(origin: Self.catalogA, members: [Self.member("r.test.", "uno"), Self.member("s.test.", "two")]),
                                          serial: 3, now: Self.now)
        #expect(plan.reset == ["r.test."])
        for table in ["unsigned_nodes", "signed_nodes", "journal"] {
            #expect(try count(store, table, "r.test.") == 0, "\(table) of the reset zone")
            #expect(try count(store, table, "s.test.") == 1, "\(table) of the other zone")
        }
        #expect(try count(store, "keys", "r.test.") == 1, "the keys stay: the parent's DS names them")
        let state = try store.state(zone: "r.test.")
        #expect(state.unsignedSerial == nil && state.signedSerial == nil && state.lastPollResult == nil)
        let config = try store.zone("r.test.")
        #expect(config.primaries == [Self.primary] && config.pollSeconds == 30 && config.refreshRequested)
        let after = try store.zoneVersions()
        #expect(try #require(before["r.test."]).isReplaced(by: try #require(after["r.test."])), "the daemon must run it as a new zone")
        #expect(!(try #require(before["s.test."]).isReplaced(by: try #require(after["s.test."]))))
        #expect(try store.pool.read { db in try String.fetchOne(db, sql: "SELECT catalog_member_id FROM zones WHERE name = 'r.test.'") } == "uno")
    }

    /// The zone's old worker may have prepared a version before the reset committed: its write must be
    /// refused, so the withdrawn content does not come back under the reset zone; the new worker's
    /// (started for the new generation) is stored.
    @Test func aVersionPreparedBeforeAResetIsNotStoredAfterIt() throws {
        let store = try store()
        try store.followCatalog(name: Self.catalogA.text, primaries: [Self.primary], key: nil, pollSeconds: 30, now: Self.now)
        let followed = try #require(try store.followedCatalogs().first)
        try store.applyCatalog(followed, catalog: try CatalogZone(origin: Self.catalogA, members: [Self.member("r.test.", "one")]), serial: 1, now: Self.now)
        let oldGeneration = try store.zone("r.test.").generation
        let zone = try Zone(parsing: "$TTL 300\n@ SOA ns1 h 10 1 1 1 1\n@ NS ns1\nns1 A 192.0.2.53\n", origin: "r.test.")
        var state = ZoneState()
        state.unsignedSerial = 10
        try store.publish(zone: "r.test.", unsigned: zone, unsignedChanges: nil, signed: zone, signedChanges: nil,
                          state: state, events: [], generation: oldGeneration)

        try store.applyCatalog(followed, catalog: try CatalogZone(origin: Self.catalogA, members: [Self.member("r.test.", "uno")]), serial: 2, now: Self.now)
        let newGeneration = try store.zone("r.test.").generation
        #expect(newGeneration != oldGeneration)
        #expect(throws: SignerStoreError.self) {
            try store.publish(zone: "r.test.", unsigned: zone, unsignedChanges: nil, signed: zone, signedChanges: nil,
                              state: state, events: [], generation: oldGeneration)
        }
        #expect(throws: SignerStoreError.self) { try store.recordPoll(zone: "r.test.", state: state, events: [], generation: oldGeneration) }
        #expect(try store.published(zone: "r.test.") == nil, "the reset zone holds no copy")
        #expect(try store.state(zone: "r.test.").unsignedSerial == nil)

        try store.publish(zone: "r.test.", unsigned: zone, unsignedChanges: nil, signed: zone, signedChanges: nil,
                          state: state, events: [], generation: newGeneration)
        #expect(try store.published(zone: "r.test.")?.state.unsignedSerial == 10, "the new worker's version is stored")
    }

    @Test func cooHandsAZoneToTheNamedCatalogAndTheOldOneNoLongerParksIt() throws {
        let store = try store()
        for name in [Self.catalogA, Self.catalogB] {
            try store.followCatalog(name: name.text, primaries: [Self.primary], key: nil, pollSeconds: 60, now: Self.now)
        }
        let catalogs = try store.followedCatalogs()
        let a = try #require(catalogs.first { $0.name == Self.catalogA.text })
        let b = try #require(catalogs.first { $0.name == Self.catalogB.text })
        try store.applyCatalog(a, catalog: try CatalogZone(origin: Self.catalogA, members: [Self.member("m.test.", "x")]), serial: 1, now: Self.now)
        // B lists it first, before A says where it goes: held by A, left alone.
        #expect(try store.applyCatalog(b, catalog: try CatalogZone(origin: Self.catalogB, members: [Self.member("m.test.", "x")]), serial: 1, now: Self.now)
            .leftAlone == ["m.test."])
        // A hands it over; B's next look takes it (same id: no reset).
        try store.applyCatalog(a, catalog: try CatalogZone(origin: Self.catalogA, members: [Self.member("m.test.", "x", coo: Self.catalogB)]), serial: 2, now: Self.now)
        let taken = try store.applyCatalog(b, catalog: try CatalogZone(origin: Self.catalogB, members: [Self.member("m.test.", "x")]), serial: 2, now: Self.now)
        #expect(taken.takeOver == ["m.test."] && taken.reset.isEmpty)
        // A drops it: it is B's now, so nothing is parked.
        let dropped = try store.applyCatalog(a, catalog: try CatalogZone(origin: Self.catalogA, members: []), serial: 3, now: Self.now)
        #expect(dropped.park.isEmpty)
        #expect(try store.parkedZones().isEmpty)
        #expect(try store.zones().map(\.origin.text) == ["m.test."])
    }

    @Test func aZonesOwnCatalogGroupIsSetClearedAndCheckedAndBadInputChangesNothing() throws {
        let store = try store()
        var config = SignerZoneConfig(origin: "g.test.", primaries: [Self.primary])
        config.catalogGroup = "blue"
        try store.addZone(config, now: Self.now)
        #expect(try store.zone("g.test.").catalogGroup == "blue")

        var bad = SignerZoneConfig(origin: "bad.test.", primaries: [Self.primary])
        bad.catalogGroup = ""
        let refused = #expect(throws: SignerStoreError.self) { try store.addZone(bad, now: Self.now) }
        #expect(refused?.field == "--catalog-group" && refused?.description.contains("1 to 255 bytes") == true, "\(String(describing: refused))")
        #expect(try store.zones().map(\.origin.text) == ["g.test."], "a refused add adds nothing")

        var change = SignerZoneChanges()
        change.catalogGroup = .some(String(repeating: "x", count: 256))
        #expect(#expect(throws: SignerStoreError.self) { try store.updateZone("g.test.", change, now: Self.now) }?.kind == .invalidArgument)
        change.catalogGroup = .some("two\nlines")
        #expect(throws: SignerStoreError.self) { try store.updateZone("g.test.", change, now: Self.now) }
        #expect(try store.zone("g.test.").catalogGroup == "blue", "a refused change changes nothing")

        change.catalogGroup = .some("green")
        #expect(#expect(throws: SignerStoreError.self) { try store.updateZone("nowhere.test.", change, now: Self.now) }?.kind == .unknownZone)
        let version = try store.configVersion()
        try store.updateZone("g.test.", change, now: Self.now)
        #expect(try store.zone("g.test.").catalogGroup == "green")
        #expect(try store.configVersion() > version, "the running daemon sees the change")
        change.catalogGroup = .some(nil)
        try store.updateZone("g.test.", change, now: Self.now)
        #expect(try store.zone("g.test.").catalogGroup == nil)
    }
}
