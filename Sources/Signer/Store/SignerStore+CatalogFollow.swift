import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import GRDB

/// A catalog the signer follows (`dns-signer catalog follow`): where it is transferred from, how often,
/// and what the last one said.
struct FollowedCatalog: Sendable, Equatable, Codable {
    var id: Int64
    var name: String
    var primaries: [String]
    var key: String?
    var pollSeconds: Int
    var serial: UInt32?
    var members: Int
    var lastPollAt: Int64?
    var lastError: String?
}

extension SignerStore {
    /// Follows the catalog `name` at `primaries`: its members become zones with `zone add`'s defaults,
    /// transferred from the same primaries with the same key.
    func followCatalog(name text: String, primaries: [ListenAddress], key: String?, pollSeconds: Int, now: Date = Date()) throws {
        let origin = try SignerStore.zoneName(text)
        guard !primaries.isEmpty else {
            throw SignerStoreError(.invalidArgument, zone: origin.text, field: "--primary", reason: "give at least one primary, ADDR[:PORT]")
        }
        guard pollSeconds > 0 else { throw SignerStoreError(.invalidArgument, zone: origin.text, field: "--poll", reason: "must be positive") }
        let checked = try SignerStore.checkedPrimaries(primaries, zone: origin.text)
        let keyName = try key.map { try SignerStore.keyName($0, zone: origin.text) }
        try writeImmediate { db in
            if let keyName { try SignerStore.requireKey(db, keyName, zone: origin.text) }
            if try Row.fetchOne(db, sql: "SELECT 1 FROM catalog_followed WHERE name = ?", arguments: [origin.text]) != nil {
                throw SignerStoreError(.duplicate, zone: origin.text, field: "catalog", reason: "already followed")
            }
            try db.execute(sql: """
                INSERT INTO catalog_followed (name, primaries, tsig_key, poll_seconds, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [origin.text, checked.map(\.description).joined(separator: " "), keyName, pollSeconds,
                                 SignerStore.timestamp(now)])
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    /// Stops following: the zones it added stay, as if added by hand; those it parked stay parked
    /// (delete them with `zone remove`).
    func unfollowCatalog(name text: String, now: Date = Date()) throws {
        let origin = try SignerStore.zoneName(text)
        try writeImmediate { db in
            try db.execute(sql: "DELETE FROM catalog_followed WHERE name = ?", arguments: [origin.text])
            guard db.changesCount > 0 else { throw SignerStoreError(.notFound, zone: origin.text, field: "catalog", reason: "not followed") }
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    func followedCatalogs() throws -> [FollowedCatalog] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM catalog_followed ORDER BY name").map { row in
                FollowedCatalog(id: row["id"], name: row["name"], primaries: (row["primaries"] as String).split(separator: " ").map(String.init),
                                key: row["tsig_key"], pollSeconds: row["poll_seconds"],
                                serial: (row["serial"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }, members: row["members"],
                                lastPollAt: row["last_poll_at"], lastError: row["last_error"])
            }
        }
    }

    /// Zones a catalog parked (left the catalog, keys kept).
    func parkedZones() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM zones WHERE parked = 1 ORDER BY name") }
    }

    /// Applies a received, valid catalog in one transaction: adds, resumes, parks, resets and takes
    /// over zones as `CatalogFollowPlan` says (its comment says why a reset keeps the keys), records each
    /// member's unique id and `coo`, the serial, and clears the last refusal. Returns the plan.
    @discardableResult
    func applyCatalog(_ followed: FollowedCatalog, catalog: CatalogZone, serial: UInt32, now: Date = Date()) throws -> CatalogFollowPlan {
        let primaries = try followed.primaries.map { try ListenAddress(parsing: $0, defaultPort: 53) }
        let catalogName = try SignerStore.zoneName(followed.name)
        return try writeImmediate { db in
            var existing: [DomainName: CatalogFollowPlan.Existing] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, catalog_id, parked, catalog_member_id, catalog_coo FROM zones") {
                guard let name = try? DomainName(row["name"] as String) else { continue }
                existing[name] = .init(ours: (row["catalog_id"] as Int64?) == followed.id, parked: row["parked"] as Bool,
                                       memberID: row["catalog_member_id"],
                                       movingTo: (row["catalog_coo"] as String?).flatMap { try? DomainName($0) })
            }
            let plan = CatalogFollowPlan(catalog: catalogName, members: catalog.members, existing: existing)
            for name in plan.add {
                var config = SignerZoneConfig(origin: name, primaries: primaries)
                config.tsigKeyName = followed.key
                config.pollSeconds = followed.pollSeconds
                let id = try SignerStore.insertZone(config, primaries: primaries, keyName: followed.key, now: now, db)
                try db.execute(sql: "UPDATE zones SET catalog_id = ? WHERE id = ?", arguments: [followed.id, id])
            }
            // Handed over by its old catalog's `coo` (RFC 9432 §5.5): this catalog's from now on, so the old
            // one dropping it later parks nothing.
            for name in plan.takeOver {
                try db.execute(sql: "UPDATE zones SET catalog_id = ? WHERE name = ?", arguments: [followed.id, name.text])
            }
            for (name, record) in plan.records {
                try db.execute(sql: "UPDATE zones SET catalog_member_id = ?, catalog_coo = ? WHERE name = ?",
                               arguments: [record.id, record.coo?.text, name.text])
            }
            // A member that comes back was usually deleted and created again at the primary, often with
            // a lower serial: it is transferred at once and that one transfer passes the policy guards
            // (as `zone accept-next`), so the zone is served again with its old keys.
            for name in plan.resume {
                try db.execute(sql: "UPDATE zones SET parked = 0, refresh_requested = 1, accept_next = 1 WHERE name = ?", arguments: [name.text])
            }
            for name in plan.reset {
                try SignerStore.resetZoneData(db, SignerStore.zoneID(db, name), now: now)
            }
            for name in plan.park {
                try db.execute(sql: "UPDATE zones SET parked = 1 WHERE name = ?", arguments: [name.text])
            }
            try db.execute(sql: """
                UPDATE catalog_followed SET serial = ?, members = ?, last_poll_at = ?, last_error = NULL WHERE id = ?
                """, arguments: [Int64(serial), catalog.members.count, SignerStore.timestamp(now), followed.id])
            if !plan.isEmpty { try SignerStore.touch(zoneID: nil, now: now, db) }
            return plan
        }
    }

    /// A member reset (RFC 9432 §5.4): the zone's unsigned and signed copies, its IXFR journal, a pending
    /// review and its poll history go; its settings, TSIG, downstream entries and DNSSEC keys (with their
    /// lifecycle) stay, so the zone is signed again under the KSK the parent's DS names. The generation
    /// rises, so the running daemon replaces the zone's worker by a fresh one, which transfers the zone
    /// as for a first poll (nothing served meanwhile: the old content is what the producer withdrew).
    static func resetZoneData(_ db: Database, _ zoneID: Int64, now: Date) throws {
        for table in ["unsigned_nodes", "signed_nodes", "journal", "pending_review", "zone_state"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE zone_id = ?", arguments: [zoneID])
        }
        try db.execute(sql: "INSERT INTO zone_state (zone_id) VALUES (?)", arguments: [zoneID])
        try db.execute(sql: "UPDATE zones SET generation = generation + 1, refresh_requested = 1 WHERE id = ?",
                       arguments: [zoneID])
        try touch(zoneID: zoneID, now: now, db)
    }

    /// Records a catalog that was refused (or could not be transferred): nothing else changes. An
    /// operator event is recorded when the reason differs from the last one, so a broken catalog is
    /// reported once, not at every poll. Returns whether it was new.
    @discardableResult
    func recordCatalogRefusal(_ followed: FollowedCatalog, reason: String, now: Date = Date()) throws -> Bool {
        try writeImmediate { db in
            let previous = try String.fetchOne(db, sql: "SELECT last_error FROM catalog_followed WHERE id = ?", arguments: [followed.id])
            try db.execute(sql: "UPDATE catalog_followed SET last_poll_at = ?, last_error = ? WHERE id = ?",
                           arguments: [SignerStore.timestamp(now), reason, followed.id])
            guard previous != reason else { return false }
            try Outbox.record(OperatorEvent(
                kind: .transferRefused, severity: .warning, zone: followed.name, time: SignerStore.timestamp(now),
                summary: "catalog \(followed.name) refused, its zones unchanged: \(reason)",
                details: ["guard": "catalog", "reason": reason]), in: db)
            return true
        }
    }
}
