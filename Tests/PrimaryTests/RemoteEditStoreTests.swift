import DNSCore
import DNSEdge
import Foundation
import GRDB
import Testing

@testable import Primary

/// The store side of the remote editors: RFC 2136 updates committed like CLI edits (serial, checks, no
/// change on refusal or when nothing changes), the update ACL and the API keys.
@Suite struct RemoteEditStoreTests {
    static let zoneText = """
        $ORIGIN example.com.
        @ 3600 SOA ns1 hostmaster 10 3600 600 86400 300
        @ 3600 NS ns1
        ns1 300 A 192.0.2.53
        www 300 A 192.0.2.1

        """

    static func store() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        try temporary.store.importZone("example.com.", zoneText: zoneText, now: noon)
        return temporary
    }

    static let origin = try! DomainName("example.com.")

    static func update(_ updates: [UpdateRecord], prerequisites: [UpdateRecord] = []) -> UpdateMessage {
        UpdateMessage(id: 1, zones: [Question(name: origin, type: .SOA)], prerequisites: prerequisites, updates: updates)
    }

    static func add(_ owner: String, _ rdata: RData) -> UpdateRecord {
        UpdateRecord(name: try! DomainName(owner, origin: origin), type: rdata.type, dnsClass: .IN, ttl: 300, rdata: rdata)
    }

    @Test func anAppliedUpdateRaisesTheSerialOnce() throws {
        let temporary = try Self.store()
        let store = temporary.store
        let outcome = store.applyUpdate(Self.update([Self.add("new", .a(A(IPv4Address("192.0.2.9")!)))]), zone: Self.origin, now: noon)
        #expect(outcome == .applied(serial: SerialNumber(11)))
        #expect(try store.exportZone("example.com.").rrset(at: try DomainName("new.example.com."), type: .A) != nil)
        // The same add again: every record is already there, so the serial stays.
        #expect(store.applyUpdate(Self.update([Self.add("new", .a(A(IPv4Address("192.0.2.9")!)))]), zone: Self.origin, now: noon) == .unchanged)
        #expect(try store.zone("example.com.").serial == 11)
    }

    @Test func refusedUpdatesChangeNothing() throws {
        let temporary = try Self.store()
        let store = temporary.store
        let before = try dump(store)
        // A failed prerequisite.
        let prerequisite = UpdateRecord(name: try DomainName("nothere.example.com."), type: .A, dnsClass: .ANY, ttl: 0)
        guard case .refused(let failed) = store.applyUpdate(
            Self.update([Self.add("new", .a(A(IPv4Address("192.0.2.9")!)))], prerequisites: [prerequisite]), zone: Self.origin, now: noon)
        else { Issue.record("a failed prerequisite was applied"); return }
        #expect(failed.rcode == .NXRRSET)
        // A change the zone's checks refuse (the same checks as `record add`): an SOA below the apex.
        let soa = SOA(mname: try DomainName("ns1.example.com."), rname: try DomainName("h.example.com."), serial: SerialNumber(1),
                      refresh: 1, retry: 1, expire: 1, minimum: 1)
        guard case .refused(let checked) = store.applyUpdate(Self.update([Self.add("x", .soa(soa))]), zone: Self.origin, now: noon)
        else { Issue.record("a zone failing its checks was committed"); return }
        #expect(checked.rcode == .REFUSED && checked.reason.contains("SOA"))
        // A zone the store does not hold.
        let other = UpdateMessage(id: 1, zones: [Question(name: try DomainName("example.org."), type: .SOA)])
        guard case .refused(let unknown) = store.applyUpdate(other, zone: try DomainName("example.org."), now: noon)
        else { Issue.record("an update of an unknown zone"); return }
        #expect(unknown.rcode == .NOTAUTH)
        #expect(try dump(store) == before)
    }

    @Test func theUpdateACLIsCheckedAndNormalised() throws {
        let temporary = try Self.store()
        let store = temporary.store
        try store.addTSIGKey(name: "acme", secret: "YWNtZWFjbWVhY21lYWNtZWFjbWVhY21lYWNtZWFjbWU=")
        let entry = try store.addUpdateACL(zone: "example.com", key: "ACME", prefix: nil, names: ["_acme-challenge", "*._acme-challenge"],
                                           types: ["txt"], now: noon)
        #expect(entry == UpdateACLEntry(key: "acme.", prefix: nil,
                                        names: ["_acme-challenge.example.com.", "*._acme-challenge.example.com."], types: ["TXT"]))
        let rule = try entry.rule(origin: Self.origin)
        #expect(rule.scope.permits(name: try DomainName("_acme-challenge.example.com."), type: .TXT))
        #expect(!rule.scope.permits(name: try DomainName("www.example.com."), type: .TXT))
        try store.addUpdateACL(zone: "example.com.", key: nil, prefix: "192.0.2.7", unsigned: true, now: noon)
        #expect(try store.updateACL(zone: "example.com.").count == 2)
        #expect(try store.servingSnapshot("example.com.").updateACL.count == 2, "the daemon sees the ACL with the zone")

        let before = try dump(store)
        let refusals: [() throws -> Void] = [
            { try store.addUpdateACL(zone: "example.com.", key: nil, prefix: nil, now: noon) },
            { try store.addUpdateACL(zone: "example.com.", key: nil, prefix: nil, unsigned: true, now: noon) },
            { try store.addUpdateACL(zone: "example.com.", key: "acme", prefix: nil, now: noon) },
            { try store.addUpdateACL(zone: "example.com.", key: "nokey", prefix: nil, now: noon) },
            { try store.addUpdateACL(zone: "example.com.", key: "acme", prefix: "10.0.0.0/8", names: ["www.example.org."], now: noon) },
            { try store.addUpdateACL(zone: "example.com.", key: "acme", prefix: "10.0.0.0/8", types: ["AXFR"], now: noon) },
            { try store.addUpdateACL(zone: "example.com.", key: "acme", prefix: "10.0.0.300", now: noon) },
            { try store.deleteUpdateACL(zone: "example.com.", key: "acme", prefix: "10.0.0.0/8", now: noon) },
            { try store.deleteTSIGKey(name: "acme") },
        ]
        for refusal in refusals { #expect(throws: StoreError.self) { try refusal() } }
        #expect(try dump(store) == before, "refused ACL edits change nothing")
        try store.deleteUpdateACL(zone: "example.com.", key: "acme", prefix: nil, now: noon)
        try store.deleteTSIGKey(name: "acme")
        #expect(try store.updateACL(zone: "example.com.").map(\.prefix) == ["192.0.2.7/32"])
    }

    @Test func apiKeysAreStoredAsDigestsOnly() throws {
        let temporary = try Self.store()
        let store = temporary.store
        let secret = "not-a-real-secret-but-long-enough-for-a-test"
        let entry = try store.addAPIKey(name: "octodns", secret: secret, zones: ["Example.COM"], now: noon)
        #expect(entry.zones == ["example.com."])
        #expect(try store.apiKey(secret: secret)?.name == "octodns")
        #expect(try store.apiKey(secret: secret + "x") == nil)
        let raw = try Data(contentsOf: URL(fileURLWithPath: temporary.path))
        #expect(raw.range(of: Data(secret.utf8)) == nil, "the secret itself is nowhere in the file")
        #expect(throws: StoreError.self) { try store.addAPIKey(name: "octodns", secret: "other", zones: [], now: noon) }
        #expect(throws: StoreError.self) { try store.addAPIKey(name: "bad name", secret: "other2", zones: [], now: noon) }
        try store.deleteAPIKey(name: "octodns")
        #expect(try store.apiKeys().isEmpty)
        #expect(throws: StoreError.self) { try store.deleteAPIKey(name: "octodns") }
    }

    /// A store made before the update ACL and API keys existed (v1, v2 and the outbox applied) gains
    /// them when opened, its zones intact.
    @Test func anOlderStoreIsMigratedInPlace() throws {
        let temporary = try Self.store()
        try temporary.store.pool.write { db in
            try db.execute(sql: "DROP TABLE update_acl; DROP TABLE api_keys; DELETE FROM grdb_migrations WHERE identifier = 'v3'")
        }
        let reopened = try PrimaryStore(path: temporary.path)
        #expect(try reopened.updateACL(zone: "example.com.").isEmpty)
        #expect(try reopened.apiKeys().isEmpty)
        #expect(try reopened.listZones().map(\.name) == ["example.com."])
    }
}
