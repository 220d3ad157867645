import Foundation
import Testing
@testable import DNSCore

private let catalogName: DomainName = "catalog.invalid."

private func parse(_ text: String) throws -> CatalogZone {
    try CatalogZone(parsing: try Zone(parsing: text, origin: catalogName))
}

private func refusal(_ text: String) -> CatalogZoneError? {
    do {
        _ = try parse(text)
        return nil
    } catch let error as CatalogZoneError {
        return error
    } catch {
        Issue.record("not a catalog error: \(error)")
        return nil
    }
}

private let head = """
    $TTL 0
    @ 0 SOA invalid. invalid. 1625079950 3600 600 2147483646 0
    @ 0 NS invalid.

    """

@Suite struct CatalogZoneTests {
    /// RFC 9432 Appendix A's example, written as a primary would send it: three members, one with a
    /// `coo` and two `group` properties, a vendor extension outside `zones`.
    @Test func readsTheRFCExample() throws {
        let catalog = try parse(head + """
            example.vendor 0 CNAME example.net.
            version 0 TXT "2"
            nj2xg5bnmz2w4ltd.zones 0 PTR example.com.
            uniqueid2.zones 0 PTR example.net.
            ubgdgz4dmxcogwdc.zones 0 PTR Example.ORG.
            coo.uniqueid2.zones 0 PTR catalog.example.org.
            group.uniqueid2.zones 0 TXT "sign-with-nsec3"
            group.uniqueid2.zones 0 TXT "nodnssec"

            """)
        #expect(catalog.memberNames.map(\.text) == ["example.com.", "example.net.", "example.org."])
        let net = try #require(catalog.members.first { $0.zone == "example.net." })
        #expect(net.id == "uniqueid2")
        #expect(Set(net.groups) == ["sign-with-nsec3", "nodnssec"])
        #expect(catalog.members.first { $0.zone == "example.com." }?.groups == [])
        // §4.4.1: the change-of-ownership property is read, lowercased; members without one have none.
        #expect(net.coo == "catalog.example.org.")
        #expect(catalog.members.first { $0.zone == "example.com." }?.coo == nil)
    }

    /// A `coo` is one PTR (§4.4.1): two are refused whole like a member node's two PTRs, with a message
    /// naming the property; one written by the builder reads back, and changes the membership digest.
    @Test func cooIsOnePTRAndRoundTrips() throws {
        let error = refusal(head + "version TXT \"2\"\nid1.zones PTR a.example.\ncoo.id1.zones PTR b.invalid.\ncoo.id1.zones PTR c.invalid.\n")
        #expect(error == .severalPTRs(node: "coo.id1.zones.catalog.invalid.", count: 2))
        #expect(error?.description.contains("coo property") == true && error?.description.contains("§4.4.1") == true, "\(String(describing: error))")
        let moving = try CatalogZone(origin: catalogName, members: [CatalogMember(zone: "a.example.", id: "id1", coo: "New.Invalid.")])
        let zone = moving.zone(serial: SerialNumber(3))
        #expect(zone.rrset(at: "coo.id1.zones.catalog.invalid.", type: .PTR)?.rdatas == [.ptr(PTR(target: "new.invalid."))])
        #expect(try CatalogZone(parsing: zone) == moving)
        let staying = try CatalogZone(origin: catalogName, members: [CatalogMember(zone: "a.example.", id: "id1")])
        #expect(staying.membershipDigest != moving.membershipDigest)
    }

    /// What we produce reads back as the same members, ids and groups; the zone has exactly the records
    /// RFC 9432 asks for and nothing else.
    @Test func producedCatalogRoundTrips() throws {
        let members = [
            CatalogMember(zone: "b.example.", groups: ["fleet-a"]),
            CatalogMember(zone: "A.example."),
        ]
        let catalog = try CatalogZone(origin: "Catalog.Example.", members: members)
        let zone = catalog.zone(serial: SerialNumber(7))
        #expect(zone.serial == SerialNumber(7))
        #expect(zone.rrset(at: "catalog.example.", type: .NS)?.rdatas == [.ns(NS(target: "invalid."))])
        #expect(zone.rrset(at: "version.catalog.example.", type: .TXT)?.rdatas == [.txt(TXT(strings: [Array("2".utf8)]))])
        // SOA, NS, version, and per member a PTR, plus one group TXT.
        #expect(zone.recordCount == 3 + 2 + 1)
        let back = try CatalogZone(parsing: zone)
        #expect(back == catalog)
        #expect(back.memberNames == ["a.example.", "b.example."])
        #expect(back.members.first { $0.zone == "b.example." }?.groups == ["fleet-a"])
    }

    /// RFC 9432 §5.4: a changed unique id means "reset the zone". The id is derived from the name, so a
    /// zone removed and added again, or listed in another order, keeps its id.
    @Test func uniqueIDsAreStableAcrossVersionsAndReAdds() throws {
        let before = try CatalogZone(origin: catalogName, members: [CatalogMember(zone: "one.example."), CatalogMember(zone: "two.example.")])
        let without = try CatalogZone(origin: catalogName, members: [CatalogMember(zone: "two.example.")])
        let again = try CatalogZone(origin: catalogName, members: [CatalogMember(zone: "TWO.example."), CatalogMember(zone: "one.example.")])
        #expect(before == again)
        #expect(without.members[0].id == before.members.first { $0.zone == "two.example." }?.id)
        #expect(CatalogMember.stableID(for: "one.example.") != CatalogMember.stableID(for: "two.example."))
        #expect(CatalogMember.stableID(for: "one.example.").count == 16)
    }

    @Test func refusesMissingOrWrongVersion() {
        #expect(refusal(head + "x.zones PTR example.com.\n") == .missingVersion(catalog: "catalog.invalid."))
        #expect(refusal(head + "version TXT \"1\"\nx.zones PTR example.com.\n")
                == .unsupportedVersion(catalog: "catalog.invalid.", found: "\"1\""))
        // Two version records are as unreadable as a wrong one.
        #expect(refusal(head + "version TXT \"2\"\nversion TXT \"3\"\n")
                == .unsupportedVersion(catalog: "catalog.invalid.", found: "\"2\", \"3\""))
    }

    @Test func refusesAMemberNodeWithSeveralPTRs() {
        #expect(refusal(head + "version TXT \"2\"\nid1.zones PTR a.example.\nid1.zones PTR b.example.\n")
                == .severalPTRs(node: "id1.zones.catalog.invalid.", count: 2))
    }

    @Test func refusesOneZoneListedTwice() {
        #expect(refusal(head + "version TXT \"2\"\nid1.zones PTR a.example.\nid2.zones PTR A.Example.\n")
                == .duplicateMember(zone: "a.example.", ids: ["id1", "id2"]))
    }

    @Test func refusesTheCatalogAsItsOwnMember() {
        #expect(refusal(head + "version TXT \"2\"\nid1.zones PTR catalog.invalid.\n")
                == .memberInsideCatalog(zone: "catalog.invalid."))
    }

    @Test func refusesAGroupThatIsNotOneString() {
        #expect(refusal(head + "version TXT \"2\"\nid1.zones PTR a.example.\ngroup.id1.zones TXT \"a\" \"b\"\n")
                == .badLabel(node: "group.id1.zones.catalog.invalid.",
                             reason: "a group property is one non-empty string per TXT record (RFC 9432 §4.4.2)"))
    }

    @Test func refusesMoreMembersThanTheLimit() throws {
        let text = head + "version TXT \"2\"\n" + (1...5).map { "m\($0).zones PTR z\($0).example.\n" }.joined()
        let zone = try Zone(parsing: text, origin: catalogName)
        #expect(throws: CatalogZoneError.tooManyMembers(count: 5, limit: 4)) { try CatalogZone(parsing: zone, maxMembers: 4) }
        #expect(try CatalogZone(parsing: zone, maxMembers: 5).members.count == 5)
    }

    /// §4.3/§4.4: what a consumer does not understand is ignored, not refused — nodes deeper than a
    /// member's properties, a property without its member's PTR, names outside `zones`.
    @Test func ignoresUnknownPropertiesAndOrphans() throws {
        let catalog = try parse(head + """
            version TXT "2"
            id1.zones PTR a.example.
            ext.id1.zones TXT "vendor"
            deep.label.id1.zones TXT "x"
            group.orphan.zones TXT "nobody"
            zones TXT "not a member"
            something A 192.0.2.1

            """)
        #expect(catalog.memberNames == ["a.example."])
        #expect(catalog.members[0].groups == [])
    }

    @Test func emptyCatalogIsValidAndBuildsOnlyTheApex() throws {
        let catalog = try parse(head + "version TXT \"2\"\n")
        #expect(catalog.members.isEmpty)
        #expect(try CatalogZone(origin: catalogName, members: []).zone(serial: SerialNumber(1)).recordCount == 3)
    }

    @Test func builderRefusesDuplicates() {
        #expect(throws: CatalogZoneError.duplicateMember(zone: "a.example.", ids: ["x", "y"])) {
            try CatalogZone(origin: catalogName, members: [CatalogMember(zone: "a.example.", id: "x"), CatalogMember(zone: "A.example.", id: "y")])
        }
        #expect(throws: CatalogZoneError.duplicateID(id: "x")) {
            try CatalogZone(origin: catalogName, members: [CatalogMember(zone: "a.example.", id: "x"), CatalogMember(zone: "b.example.", id: "x")])
        }
    }
}
