import DNSCore
import Foundation
import Testing
@testable import DNSEdge

/// NSD, Knot and BIND, as secondaries of our server, transfer a zone from us with TSIG and end up
/// with exactly our zone.
@Suite("Secondaries transfer from us", .serialized)
struct SecondaryInteropTests {
    @Test(arguments: SecondaryServer.Kind.allCases)
    func secondaryTransfersOurZoneWithTSIG(_ kind: SecondaryServer.Kind) async throws {
        guard ExternalTool.require(kind.tool), ExternalTool.require("kdig"), ExternalTool.require("dig") else { return }
        let zone = EdgeFixtures.zone(serial: 2024, hosts: 600)
        // Only signed transfers: the secondary has to use the key to get anything.
        let acl = TransferACL(rules: [try TransferACL.Rule(parsing: "127.0.0.0/8 key edge-transfer-key")])
        let harness = try await EdgeServerHarness.start(zones: [zone], acl: acl)
        defer { Task { await harness.stop() } }
        let secondary = try SecondaryServer.start(kind, primaryPort: harness.port)
        defer { secondary.stop() }
        let transferred = await secondary.waitForSerial(2024)
        #expect(transferred, "\(kind) did not load serial 2024:\n\(secondary.daemon.log.suffix(3000))")
        guard transferred else { return }
        let copy = try secondary.copy()
        #expect(copy == zone, "\(kind)'s copy differs: \(copy.recordCount) records, ours \(zone.recordCount)")
    }
}
