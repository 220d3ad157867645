import Testing
@testable import DNSCore

/// `Zone.updated(from:to:)`: a zone rebuilt only where two transfers differ equals the zone built from the
/// new transfer, whatever the edit; a reordered transfer is left to a full build.
@Suite struct ZoneTransferUpdateTests {
    static let origin: DomainName = "example.test."

    static func records(_ text: String) throws -> [ResourceRecord] {
        var parser = ZoneFileParser(origin: origin, file: "test")
        return try parser.parse(text)
    }

    static let base = """
        @ 300 SOA ns hostmaster 1 3600 600 86400 300
        @ 300 NS ns
        @ 60 A 192.0.2.1
        ns 300 A 192.0.2.53
        www 300 A 192.0.2.80
        www 300 A 192.0.2.81
        mail 300 MX 10 www
        *.sites 60 A 192.0.2.1
        a.b.c 300 TXT "deep"
        tail 300 TXT "last"

        """

    static let edits: [String] = [
        base.replacingOccurrences(of: "@ 60 A 192.0.2.1", with: "@ 60 A 192.0.2.2"),
        base.replacingOccurrences(of: "www 300 A 192.0.2.81\n", with: ""),
        base.replacingOccurrences(of: "a.b.c 300 TXT \"deep\"\n", with: ""),
        base.replacingOccurrences(of: "tail 300 TXT \"last\"", with: "tail 300 TXT \"last\"\nnew.name 300 AAAA 2001:db8::1"),
        base.replacingOccurrences(of: " 1 3600", with: " 2 3600").replacingOccurrences(of: "*.sites 60 A 192.0.2.1", with: "*.sites 60 A 192.0.2.9"),
        base.replacingOccurrences(of: "www 300 A 192.0.2.81", with: "www 600 A 192.0.2.81"),  // a TTL split inside an RRset
        base,
    ]

    @Test(arguments: edits.indices)
    func theUpdatedZoneEqualsAFullBuild(_ index: Int) throws {
        let old = try Self.records(Self.base)
        let new = try Self.records(Self.edits[index])
        let zone = Zone(records: old, origin: Self.origin)
        let updated = try #require(zone.updated(from: old, to: new))
        let full = Zone(records: new, origin: Self.origin)
        #expect(updated.zone == full)
        #expect(updated.zone.names == full.names, "canonical order kept")
        #expect(ZoneDiff(from: zone, to: updated.zone, at: updated.changedNames) == ZoneDiff(from: zone, to: full))
        #expect(Set(updated.zone.warnings) == Set(full.warnings))
    }

    /// A new serial with a change in the middle of a big zone: the leading SOA is compared on its own, so
    /// the stretch is the change, not everything from the top (which would pass `maxChanged`).
    @Test func aNewSerialWithAChangeInTheMiddleIsAShortStretch() throws {
        let filler = (0..<400).map { "n\($0) 300 TXT \"\($0)\"\n" }.joined()
        let oldText = Self.base + filler
        let newText = oldText.replacingOccurrences(of: " 1 3600", with: " 2 3600")
            .replacingOccurrences(of: "n200 300 TXT \"200\"\n", with: "n200 300 TXT \"200\"\nn200a 300 A 192.0.2.7\n")
            .replacingOccurrences(of: "n300 300 TXT \"300\"\n", with: "")
        let old = try Self.records(oldText)
        let new = try Self.records(newText)
        let zone = Zone(records: old, origin: Self.origin)
        let updated = try #require(zone.updated(from: old, to: new, maxChanged: 200), "one short stretch besides the SOA")
        #expect(updated.zone == Zone(records: new, origin: Self.origin))
        #expect(updated.changedNames.contains(Self.origin) && updated.changedNames.contains("n200a.example.test.")
            && updated.changedNames.contains("n300.example.test."))
        #expect(updated.changedNames.count < 150, "\(updated.changedNames.count) names rebuilt")
    }

    @Test func aRewrittenTransferIsLeftToAFullBuild() throws {
        let old = try Self.records(Self.base)
        let zone = Zone(records: old, origin: Self.origin)
        #expect(zone.updated(from: old, to: old.reversed(), maxChanged: 4) == nil)
    }
}
