import DNSCore
import Foundation
import GRDB

/// What `dns-primary serve` needs of one zone, read in one transaction so the records, the version and
/// the transfer settings belong together (a CLI edit between two reads cannot be half seen).
struct ServingSnapshot: Sendable {
    var name: String
    /// The store's change counter for the zone when read.
    var version: Int64
    var aliasFailurePolicy: AliasFailureSetting
    var keepLastMaxAge: Int
    /// The zone as stored: ALIAS records unexpanded.
    var zone: Zone
    var acl: [TransferACLEntry]
    var notify: [NotifyTarget]
    /// Who may send RFC 2136 updates, and what they may change.
    var updateACL: [UpdateACLEntry] = []

    /// The policy in the form the expander takes.
    var policy: AliasFailurePolicy { aliasFailurePolicy.policy(keepLastMaxAge: keepLastMaxAge) }
}

extension PrimaryStore {
    func servingSnapshot(_ name: String) throws -> ServingSnapshot {
        let origin = try PrimaryStore.zoneName(name)
        return try pool.read { db in try PrimaryStore.servingSnapshot(db, origin) }
    }

    static func servingSnapshot(_ db: Database, _ origin: DomainName) throws -> ServingSnapshot {
        let row = try zoneRow(db, origin)
        let acl = try Row.fetchAll(db, sql: """
            SELECT prefix, key_name FROM transfer_acl WHERE zone_id = ? ORDER BY prefix, key_name
            """, arguments: [row.id]).map { TransferACLEntry(prefix: $0["prefix"], key: $0["key_name"]) }
        let notify = try Row.fetchAll(db, sql: """
            SELECT address, port, key_name FROM notify_targets WHERE zone_id = ? ORDER BY address, port
            """, arguments: [row.id]).map { NotifyTarget(address: $0["address"], port: $0["port"], key: $0["key_name"]) }
        return ServingSnapshot(
            name: row.name, version: row.version, aliasFailurePolicy: row.aliasFailurePolicy,
            keepLastMaxAge: row.keepLastMaxAge, zone: try loadZone(db, row), acl: acl, notify: notify,
            updateACL: try updateACL(db, zoneID: row.id))
    }

    /// Raises the zone's serial (per its policy) without changing a record, when the expansion of its
    /// ALIAS records moved: standard secondaries see the change by serial. Only when the zone is still at
    /// `version`: when an edit came in meanwhile it raised the serial already, and nil is returned.
    func raiseSerial(zone name: String, ifVersion version: Int64, now: Date) throws -> ServingSnapshot? {
        let origin = try PrimaryStore.zoneName(name)
        return try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            guard row.version == version else { return nil }
            let old = try PrimaryStore.loadZone(db, row)
            var new = old
            guard let serial = PrimaryStore.bumpSerial(&new, old: SerialNumber(row.serial), policy: row.serialPolicy, now: now)
            else { throw StoreError(.zoneCheckFailed, zone: row.name, reason: "no SOA record at the apex") }
            try PrimaryStore.commit(from: old, to: new, serial: serial, row: row, now: now, db)
            return try PrimaryStore.servingSnapshot(db, origin)
        }
    }
}
