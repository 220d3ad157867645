import DNSCore
import Foundation
import GRDB
import Testing

@testable import Primary

/// A store on a fresh file in a temporary directory, removed when the test ends.
final class TemporaryStore {
    let directory: URL
    let path: String
    let store: PrimaryStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("primary-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("zones.sqlite").path
        store = try PrimaryStore(path: path)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// 2026-11-23 12:00:00 UTC.
let noon = Date(timeIntervalSince1970: 1_795_435_200)

/// Every row of every table, as text: equal dumps mean equal database content.
func dump(_ store: PrimaryStore) throws -> [String] {
    try store.pool.read { db in
        var lines: [String] = []
        for table in ["zones", "records", "tsig_keys", "transfer_acl", "notify_targets"] {
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1") {
                lines.append("\(table) \(row.description)")
            }
        }
        return lines
    }
}

func integrity(_ store: PrimaryStore) throws -> String? {
    try store.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
}

func exampleStore() throws -> TemporaryStore {
    let temp = try TemporaryStore()
    try temp.store.createZone("example.test", ns: ["ns1.example.test.", "ns2.example.net."], email: "hostmaster@example.test", now: noon)
    try temp.store.addRecord(zone: "example.test", name: "ns1", ttl: 300, type: "A", rdata: "192.0.2.53", now: noon)
    try temp.store.addRecord(zone: "example.test", name: "www", ttl: 300, type: "A", rdata: "192.0.2.1", now: noon)
    try temp.store.addRecord(zone: "example.test", name: "@", ttl: 300, type: "ALIAS", rdata: "lb.example.net.", now: noon)
    try temp.store.addRecord(zone: "example.test", name: "ftp", ttl: 300, type: "CNAME", rdata: "www", now: noon)
    return temp
}

func serial(_ store: PrimaryStore, _ zone: String = "example.test") throws -> UInt32 {
    try #require(store.exportZone(zone).serial).rawValue
}

@Suite("PrimaryStore")
struct PrimaryStoreTests {
    // MARK: Zones

    @Test func createZoneMakesSOAAndNS() throws {
        let temp = try TemporaryStore()
        let summary = try temp.store.createZone(
            "Example.TEST", ns: ["ns1.example.test.", "ns2.example.net."], email: "host.master@example.test", now: noon)
        #expect(summary.name == "example.test.")
        #expect(summary.serial == 1)
        #expect(summary.recordCount == 3)
        let zone = try temp.store.exportZone("example.test.")
        let soa = try #require(zone.soa)
        #expect(soa.mname.text == "ns1.example.test.")
        #expect(soa.rname.text == "host\\.master.example.test.")
        #expect(zone.rrset(at: zone.origin, type: .NS)?.count == 2)
        #expect(throws: StoreError.self) {
            try temp.store.createZone("example.test", ns: ["ns1.example.test."], email: "a@b.test", now: noon)
        }
        #expect(throws: StoreError.self) {
            try temp.store.createZone("other.test", ns: [], email: "a@b.test", now: noon)
        }
    }

    @Test func listShowAndDeleteZones() throws {
        let temp = try exampleStore()
        try temp.store.createZone("a.test", ns: ["ns.a.test."], email: "h@a.test", now: noon)
        #expect(try temp.store.listZones().map(\.name) == ["a.test.", "example.test."])
        let shown = try temp.store.zone("example.test")
        #expect(shown.recordCount == 7)
        #expect(shown.serialPolicy == .increment && shown.aliasFailurePolicy == .fail)
        #expect(shown.createdAt == noon)
        try temp.store.deleteZone("example.test")
        #expect(try temp.store.listZones().map(\.name) == ["a.test."])
        let records = try temp.store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM records") }
        #expect(records == 2)  // a.test: SOA and one NS
        let error = #expect(throws: StoreError.self) { try temp.store.deleteZone("example.test") }
        #expect(error?.kind == .unknownZone)
    }

    @Test func policiesCanBeChanged() throws {
        let temp = try exampleStore()
        let before = try temp.store.zone("example.test").version
        let after = try temp.store.setPolicies(
            "example.test", serialPolicy: .date, aliasFailurePolicy: .keepLast, keepLastMaxAge: 3600, now: noon)
        #expect(after.serialPolicy == .date && after.aliasFailurePolicy == .keepLast && after.keepLastMaxAge == 3600)
        #expect(after.version > before)
    }

    // MARK: Records

    @Test func addRecordRaisesSerialAndVersion() throws {
        let temp = try exampleStore()
        #expect(try serial(temp.store) == 5)
        let version = try temp.store.zone("example.test").version
        try temp.store.addRecord(zone: "example.test", name: "www", ttl: 300, type: "AAAA", rdata: "2001:db8::1", now: noon)
        #expect(try serial(temp.store) == 6)
        #expect(try temp.store.zone("example.test").version == version + 1)
        let zone = try temp.store.exportZone("example.test")
        let www = DomainName("www.example.test.")
        #expect(zone.rrset(at: www, type: .AAAA)?.count == 1)
        #expect(zone.rrset(at: zone.origin, type: .ALIAS)?.rdatas.first?.presentation == "lb.example.net.")
        // The same record twice is refused.
        let error = #expect(throws: StoreError.self) {
            try temp.store.addRecord(zone: "example.test", name: "www", ttl: 300, type: "AAAA", rdata: "2001:db8::1", now: noon)
        }
        #expect(error?.kind == .duplicate)
    }

    @Test func deleteRecordsOneOrWholeRRset() throws {
        let temp = try exampleStore()
        try temp.store.addRecord(zone: "example.test", name: "www", ttl: 300, type: "A", rdata: "192.0.2.2", now: noon)
        try temp.store.deleteRecords(zone: "example.test", name: "www", type: "A", rdata: "192.0.2.1", now: noon)
        let www = DomainName("www.example.test.")
        #expect(try temp.store.exportZone("example.test").rrset(at: www, type: .A)?.rdatas.map(\.presentation) == ["192.0.2.2"])
        try temp.store.deleteRecords(zone: "example.test", name: "www.example.test.", type: "A", now: noon)
        #expect(try temp.store.exportZone("example.test").rrset(at: www, type: .A) == nil)
        #expect(try serial(temp.store) == 8)
        let before = try dump(temp.store)
        let error = #expect(throws: StoreError.self) {
            try temp.store.deleteRecords(zone: "example.test", name: "www", type: "A", now: noon)
        }
        #expect(error?.kind == .notFound)
        #expect(try dump(temp.store) == before)
        // Removing the apex NS would leave an invalid zone.
        let nsError = #expect(throws: StoreError.self) {
            try temp.store.deleteRecords(zone: "example.test", name: "@", type: "NS", now: noon)
        }
        #expect(nsError?.kind == .zoneCheckFailed)
        #expect(try dump(temp.store) == before)
    }

    @Test func replaceRRsetSwapsTheWholeSet() throws {
        let temp = try exampleStore()
        try temp.store.replaceRRset(
            zone: "example.test", name: "www", ttl: 60, type: "A", rdatas: ["192.0.2.7", "192.0.2.8"], now: noon)
        let set = try #require(try temp.store.exportZone("example.test").rrset(at: DomainName("www.example.test."), type: .A))
        #expect(set.ttl == 60)
        #expect(Set(set.rdatas.map(\.presentation)) == ["192.0.2.7", "192.0.2.8"])
        #expect(try serial(temp.store) == 6)
    }

    @Test func importReplacesAtomically() throws {
        let temp = try exampleStore()
        let text = """
            $TTL 300
            @ IN SOA ns1 hostmaster 3 3600 600 1209600 300
            @ IN NS ns1
            ns1 IN A 192.0.2.99
            mail IN MX 10 ns1
            """
        let summary = try temp.store.importZone("example.test", zoneText: text, now: noon)
        // The file's serial (3) is below the stored one (5): the store still raises it.
        #expect(summary.serial == 6)
        let zone = try temp.store.exportZone("example.test")
        #expect(zone.recordCount == 4)
        #expect(zone.rrset(at: try DomainName("www.example.test."), type: .A) == nil)
        // A file with a greater serial keeps it.
        try temp.store.importZone("example.test", zoneText: text.replacingOccurrences(of: " 3 ", with: " 100 "), now: noon)
        #expect(try serial(temp.store) == 100)
        // Import of a new zone creates it with the file's serial.
        try temp.store.importZone("new.test", zoneText: text.replacingOccurrences(of: "ns1 ", with: "ns1.new.test. "), now: noon)
        #expect(try serial(temp.store, "new.test") == 3)

        let before = try dump(temp.store)
        for bad in ["@ IN SOA ns1 (", text + "\nwww IN A 999.0.0.1", text + "\nftp IN CNAME x\nftp IN A 192.0.2.1"] {
            #expect(throws: StoreError.self) { try temp.store.importZone("example.test", zoneText: bad, now: noon) }
        }
        #expect(try dump(temp.store) == before)
    }

    // MARK: Rejected edits change nothing

    struct BadEdit: Sendable, CustomTestStringConvertible {
        var label: String
        var expected: StoreError.Kind
        var apply: @Sendable (PrimaryStore) throws -> Void
        var testDescription: String { label }
    }

    static let badEdits: [BadEdit] = [
        BadEdit(label: "bad owner name", expected: .invalidName) {
            try $0.addRecord(zone: "example.test", name: "a..b", ttl: 300, type: "A", rdata: "192.0.2.1", now: noon)
        },
        BadEdit(label: "label too long", expected: .invalidName) {
            try $0.addRecord(zone: "example.test", name: String(repeating: "x", count: 64), ttl: 300, type: "A", rdata: "192.0.2.1", now: noon)
        },
        BadEdit(label: "bad RDATA", expected: .invalidRecord) {
            try $0.addRecord(zone: "example.test", name: "www", ttl: 300, type: "A", rdata: "999.0.0.1", now: noon)
        },
        BadEdit(label: "RDATA with two records", expected: .invalidRecord) {
            try $0.addRecord(zone: "example.test", name: "www", ttl: 300, type: "A", rdata: "192.0.2.1\nevil IN A 192.0.2.2", now: noon)
        },
        BadEdit(label: "unknown type", expected: .invalidRecord) {
            try $0.addRecord(zone: "example.test", name: "www", ttl: 300, type: "BOGUS", rdata: "x", now: noon)
        },
        BadEdit(label: "CNAME beside A", expected: .zoneCheckFailed) {
            try $0.addRecord(zone: "example.test", name: "www", ttl: 300, type: "CNAME", rdata: "other.example.net.", now: noon)
        },
        BadEdit(label: "A beside CNAME", expected: .zoneCheckFailed) {
            try $0.addRecord(zone: "example.test", name: "ftp", ttl: 300, type: "A", rdata: "192.0.2.1", now: noon)
        },
        BadEdit(label: "second ALIAS", expected: .zoneCheckFailed) {
            try $0.addRecord(zone: "example.test", name: "@", ttl: 300, type: "ALIAS", rdata: "lb2.example.net.", now: noon)
        },
        BadEdit(label: "ALIAS beside CNAME", expected: .zoneCheckFailed) {
            try $0.addRecord(zone: "example.test", name: "ftp", ttl: 300, type: "ALIAS", rdata: "lb.example.net.", now: noon)
        },
        BadEdit(label: "replace with two ALIAS", expected: .zoneCheckFailed) {
            try $0.replaceRRset(zone: "example.test", name: "@", ttl: 300, type: "ALIAS", rdatas: ["a.example.net.", "b.example.net."], now: noon)
        },
        BadEdit(label: "out-of-zone name", expected: .zoneCheckFailed) {
            try $0.addRecord(zone: "example.test", name: "www.other.test.", ttl: 300, type: "A", rdata: "192.0.2.1", now: noon)
        },
        BadEdit(label: "unknown zone", expected: .unknownZone) {
            try $0.addRecord(zone: "nope.test", name: "www", ttl: 300, type: "A", rdata: "192.0.2.1", now: noon)
        },
        BadEdit(label: "delete in unknown zone", expected: .unknownZone) {
            try $0.deleteRecords(zone: "nope.test", name: "www", type: "A", now: noon)
        },
        BadEdit(label: "replace in unknown zone", expected: .unknownZone) {
            try $0.replaceRRset(zone: "nope.test", name: "www", ttl: 1, type: "A", rdatas: ["192.0.2.1"], now: noon)
        },
        BadEdit(label: "second SOA", expected: .zoneCheckFailed) {
            try $0.addRecord(zone: "example.test", name: "@", ttl: 300, type: "SOA", rdata: "a. b. 1 2 3 4 5", now: noon)
        },
        BadEdit(label: "bad zone name", expected: .invalidName) {
            try $0.addRecord(zone: "a..test", name: "www", ttl: 300, type: "A", rdata: "192.0.2.1", now: noon)
        },
    ]

    @Test(arguments: badEdits)
    func rejectedEditChangesNothing(_ edit: BadEdit) throws {
        let temp = try exampleStore()
        let before = try dump(temp.store)
        let exported = ZoneFileWriter().write(try temp.store.exportZone("example.test"))
        let serialBefore = try serial(temp.store)
        let error = #expect(throws: StoreError.self) { try edit.apply(temp.store) }
        #expect(error?.kind == edit.expected, "\(error.map(\.description) ?? "")")
        #expect(error?.zone != nil)
        if edit.expected != .unknownZone && edit.label != "bad zone name" { #expect(error?.record != nil) }
        #expect(try dump(temp.store) == before)
        #expect(ZoneFileWriter().write(try temp.store.exportZone("example.test")) == exported)
        #expect(try serial(temp.store) == serialBefore)
    }

    @Test func errorNamesZoneRecordAndReason() throws {
        let temp = try exampleStore()
        let error = #expect(throws: StoreError.self) {
            try temp.store.addRecord(zone: "example.test", name: "www", ttl: 300, type: "CNAME", rdata: "x.example.net.", now: noon)
        }
        let text = error?.description ?? ""
        #expect(text.contains("example.test."))
        #expect(text.contains("www.example.test."))
        #expect(text.contains("CNAME beside other data"))
    }

    // MARK: Serials

    @Test func incrementSerialWrapsPerRFC1982() throws {
        let temp = try TemporaryStore()
        try temp.store.importZone("w.test", zoneText: """
            w.test. 300 IN SOA ns.w.test. h.w.test. 4294967295 3600 600 1209600 300
            w.test. 300 IN NS ns.w.test.
            """, now: noon)
        try temp.store.addRecord(zone: "w.test", name: "a", ttl: 1, type: "A", rdata: "192.0.2.1", now: noon)
        #expect(try serial(temp.store, "w.test") == 0)
        #expect(SerialNumber(0) > SerialNumber(4_294_967_295))
        #expect(try temp.store.zone("w.test").serial == 0)
    }

    @Test func dateSerialsKeepIncreasingPastNinetyNineEditsADay() throws {
        let temp = try TemporaryStore()
        try temp.store.createZone("d.test", ns: ["ns.d.test."], email: "h@d.test", serialPolicy: .date, now: noon)
        #expect(try serial(temp.store, "d.test") == 2_026_112_300)
        var last = SerialNumber(try serial(temp.store, "d.test"))
        for i in 0..<150 {
            try temp.store.addRecord(zone: "d.test", name: "h\(i)", ttl: 60, type: "A", rdata: "192.0.2.1", now: noon)
            let current = SerialNumber(try serial(temp.store, "d.test"))
            #expect(current > last)
            last = current
        }
        #expect(last.rawValue == 2_026_112_450)
        // The next day's number is below the current one: still +1. Two days later the date wins.
        try temp.store.addRecord(zone: "d.test", name: "n1", ttl: 60, type: "A", rdata: "192.0.2.1", now: noon + 86400)
        #expect(try serial(temp.store, "d.test") == 2_026_112_451)
        try temp.store.addRecord(zone: "d.test", name: "n2", ttl: 60, type: "A", rdata: "192.0.2.1", now: noon + 2 * 86400)
        #expect(try serial(temp.store, "d.test") == 2_026_112_500)
    }

    // MARK: TSIG, ACL, NOTIFY

    @Test func tsigKeys() throws {
        let temp = try exampleStore()
        let key = try temp.store.addTSIGKey(name: "xfr-key", secret: "c2VjcmV0c2VjcmV0c2VjcmV0")
        #expect(key.name == "xfr-key." && key.algorithm == "hmac-sha256")
        let other = try temp.store.addTSIGKey(name: "other.", algorithm: "HMAC-SHA512.", secret: "AAAA")
        #expect(other.algorithm == "hmac-sha512")
        #expect(try temp.store.tsigKeys().map(\.name) == ["other.", "xfr-key."])
        let usable = try temp.store.tsigKeys()[1].tsigKey()
        #expect(usable.algorithm == .hmacSHA256)
        #expect(usable.secret == Array("secretsecretsecret".utf8))
        #expect(throws: StoreError.self) { try temp.store.addTSIGKey(name: "bad", algorithm: "hmac-md5", secret: "AAAA") }
        #expect(throws: StoreError.self) { try temp.store.addTSIGKey(name: "xfr-key", secret: "AAAA") }
        #expect(throws: StoreError.self) { try temp.store.addTSIGKey(name: "bad", secret: "not base64!") }
        #expect(throws: StoreError.self) { try temp.store.addTSIGKey(name: "bad", algorithm: "rot13", secret: "AAAA") }
        try temp.store.addTransferACL(zone: "example.test", prefix: "192.0.2.0/24", key: "xfr-key", now: noon)
        let inUse = #expect(throws: StoreError.self) { try temp.store.deleteTSIGKey(name: "xfr-key") }
        #expect(inUse?.reason.contains("used by") == true)
        try temp.store.deleteTSIGKey(name: "other")
        #expect(try temp.store.tsigKeys().map(\.name) == ["xfr-key."])
        #expect(throws: StoreError.self) { try temp.store.deleteTSIGKey(name: "other") }
    }

    @Test func transferACL() throws {
        let temp = try exampleStore()
        try temp.store.addTSIGKey(name: "k", secret: "AAAA")
        let version = try temp.store.zone("example.test").version
        let entry = try temp.store.addTransferACL(zone: "example.test", prefix: "192.0.2.77/24", now: noon)
        #expect(entry.prefix == "192.0.2.0/24")
        try temp.store.addTransferACL(zone: "example.test", prefix: "2001:db8::1", key: "k", now: noon)
        #expect(try temp.store.zone("example.test").version == version + 2)
        #expect(try temp.store.transferACL(zone: "example.test") == [
            TransferACLEntry(prefix: "192.0.2.0/24", key: nil), TransferACLEntry(prefix: "2001:db8::1/128", key: "k."),
        ])
        #expect(throws: StoreError.self) { try temp.store.addTransferACL(zone: "example.test", prefix: "192.0.2.0/24", now: noon) }
        #expect(throws: StoreError.self) { try temp.store.addTransferACL(zone: "example.test", prefix: "300.1.1.1", now: noon) }
        #expect(throws: StoreError.self) { try temp.store.addTransferACL(zone: "example.test", prefix: "192.0.2.1", key: "nokey", now: noon) }
        #expect(throws: StoreError.self) { try temp.store.addTransferACL(zone: "nope.test", prefix: "192.0.2.1", now: noon) }
        try temp.store.deleteTransferACL(zone: "example.test", prefix: "2001:db8::1", key: "k", now: noon)
        #expect(try temp.store.transferACL(zone: "example.test").count == 1)
        #expect(throws: StoreError.self) { try temp.store.deleteTransferACL(zone: "example.test", prefix: "2001:db8::1", now: noon) }
    }

    @Test func notifyTargets() throws {
        let temp = try exampleStore()
        try temp.store.addTSIGKey(name: "k", secret: "AAAA")
        try temp.store.addNotifyTarget(zone: "example.test", target: "192.0.2.10", now: noon)
        try temp.store.addNotifyTarget(zone: "example.test", target: "[2001:db8::10]:5353", key: "k", now: noon)
        #expect(try temp.store.notifyTargets(zone: "example.test") == [
            NotifyTarget(address: "192.0.2.10", port: 53, key: nil),
            NotifyTarget(address: "2001:db8::10", port: 5353, key: "k."),
        ])
        #expect(throws: StoreError.self) { try temp.store.addNotifyTarget(zone: "example.test", target: "192.0.2.10:53", now: noon) }
        #expect(throws: StoreError.self) { try temp.store.addNotifyTarget(zone: "example.test", target: "ns.example.net", now: noon) }
        #expect(throws: StoreError.self) { try temp.store.addNotifyTarget(zone: "example.test", target: "192.0.2.1:0", now: noon) }
        try temp.store.deleteNotifyTarget(zone: "example.test", target: "192.0.2.10:53", now: noon)
        #expect(try temp.store.notifyTargets(zone: "example.test").count == 1)
        // Deleting the zone takes its ACL and targets with it, so the key can go.
        try temp.store.deleteZone("example.test")
        try temp.store.deleteTSIGKey(name: "k")
    }

    // MARK: The database itself

    @Test func walSynchronousFullAndBusyTimeout() throws {
        let temp = try exampleStore()
        let writer = try temp.store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA busy_timeout"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(writer.0 == "wal")
        #expect(writer.1 == 2)  // FULL
        #expect((writer.2 ?? 0) >= 1000)
        #expect(writer.3 == 1)
        let reader = try temp.store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(reader.0 == "wal")
        #expect(reader.1 == 2)
    }

    @Test func twoStoresOnOneFileSeeEachOther() throws {
        let temp = try exampleStore()
        let second = try PrimaryStore(path: temp.path)
        try second.addRecord(zone: "example.test", name: "x", ttl: 60, type: "TXT", rdata: "\"from the second\"", now: noon)
        #expect(try serial(temp.store) == 6)
        #expect(try temp.store.exportZone("example.test").rrset(at: DomainName("x.example.test."), type: .TXT) != nil)
        try temp.store.addRecord(zone: "example.test", name: "y", ttl: 60, type: "A", rdata: "192.0.2.9", now: noon)
        #expect(try serial(second) == 7)
        #expect(try second.versions()["example.test."] == temp.store.versions()["example.test."])
    }

    @Test func integrityCheckAndMigrationsApplied() throws {
        let temp = try exampleStore()
        let result = try temp.store.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(result == "ok")
        let applied = try temp.store.pool.read { try Migrations.migrator.appliedMigrations($0) }
        // Ours first, then DaemonKit's outbox (whose own migrations grow on their own).
        #expect(applied == Migrations.migrator.migrations)
        #expect(applied.starts(with: ["v1", "v2", "v3", "outbox-v1"]))
        // Reopening an existing file runs no migration twice and keeps the data.
        let reopened = try PrimaryStore(path: temp.path)
        #expect(try reopened.listZones().map(\.name) == ["example.test."])
    }

    @Test func newDatabaseFileIsPrivate() throws {
        let temp = try TemporaryStore()
        let mode = try FileManager.default.attributesOfItem(atPath: temp.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func concurrentWritersFromTwoStoresLoseNoEdit() async throws {
        let temp = try exampleStore()
        let second = try PrimaryStore(path: temp.path)
        let start = try serial(temp.store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in [temp.store, second].enumerated() {
                group.addTask {
                    for i in 0..<20 {
                        try store.addRecord(zone: "example.test", name: "w\(index)-\(i)", ttl: 60, type: "A", rdata: "192.0.2.1", now: noon)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try serial(temp.store) == start + 40)
        #expect(try temp.store.zone("example.test").recordCount == 7 + 40)
        #expect(try integrity(temp.store) == "ok")
    }

    @Test func changingOneSignatureSetKeepsTheOthersAtTheName() throws {
        let temp = try TemporaryStore()
        func zone(_ aSignature: String) -> String {
            """
            $TTL 300
            @ IN SOA ns hostmaster 1 3600 600 1209600 300
            @ IN NS ns
            ns IN A 192.0.2.53
            ns IN RRSIG A 13 3 300 20300101000000 20200101000000 12345 s.test. \(aSignature)
            ns IN RRSIG TXT 13 3 300 20300101000000 20200101000000 12345 s.test. BBBB
            ns IN TXT "t"
            """
        }
        try temp.store.importZone("s.test", zoneText: zone("AAAA"), now: noon)
        try temp.store.importZone("s.test", zoneText: zone("CCCC"), now: noon)
        let exported = try temp.store.exportZone("s.test")
        let ns = DomainName("ns.s.test.")
        #expect(exported.signatures(at: ns, covering: .A)?.rdatas.first?.presentation.hasSuffix("CCCC") == true)
        #expect(exported.signatures(at: ns, covering: .TXT)?.count == 1)
        #expect(exported.recordCount == 6)
    }

    @Test func checkZoneReportsWarnings() throws {
        let temp = try exampleStore()
        #expect(try temp.store.checkZone("example.test").filter { $0.severity == .error }.isEmpty)
        try temp.store.addRecord(zone: "example.test", name: "sub", ttl: 60, type: "NS", rdata: "ns.elsewhere.net.", now: noon)
        try temp.store.addRecord(zone: "example.test", name: "x.sub", ttl: 60, type: "TXT", rdata: "hidden", now: noon)
        #expect(try temp.store.checkZone("example.test").contains { $0.severity == .warning && $0.name.text == "x.sub.example.test." })
    }
}
