import Testing
@testable import DNSCore

/// The served-zone set: replacing, removing and marking one zone leaves every other zone as it was, and
/// the zone answering a name is the closest enclosing one, with few zones and with many.
@Suite struct CatalogTests {
    static func snapshot(_ origin: String, serial: UInt32 = 1) throws -> ZoneSnapshot {
        try ZoneSnapshot(Zone(parsing: """
            $ORIGIN \(origin)
            $TTL 300
            @ SOA ns1 hostmaster \(serial) 3600 900 1209600 300
            @ NS ns1
            ns1 A 192.0.2.53
            """, origin: DomainName(origin)))
    }

    @Test(arguments: [3, 300]) func oneZoneChangesAndTheOthersStay(count: Int) throws {
        var catalog = Catalog(try (0..<count).map { try Self.snapshot("z\($0).example.") } + [try Self.snapshot("example.")])
        #expect(catalog.zones.count == count + 1)
        // Case does not matter for the origin a snapshot replaces.
        catalog = catalog.replacing(try Self.snapshot("Z1.EXAMPLE.", serial: 2))
        #expect(catalog.zones.count == count + 1)
        #expect(catalog["z1.example."]?.serial == SerialNumber(2))
        #expect(catalog["z2.example."]?.serial == SerialNumber(1))
        catalog = catalog.marking("z2.example.", unavailable: true)
        #expect(catalog.isUnavailable("Z2.example."))
        #expect(catalog["z2.example."] != nil, "an unavailable zone is kept")
        catalog = catalog.removing("Z2.Example.")
        #expect(catalog["z2.example."] == nil)
        #expect(!catalog.isUnavailable("z2.example."))
        #expect(catalog.zones.count == count)
        // The closest enclosing zone answers; the parent answers names outside its children.
        #expect(catalog.zone(for: "www.z1.example.")?.origin == "z1.example.")
        #expect(catalog.zone(for: "www.z2.example.")?.origin == "example.")
        #expect(catalog.zone(for: "www.other.") == nil)
    }
}
