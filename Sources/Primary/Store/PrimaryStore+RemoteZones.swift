import DNSCore
import Foundation
import GRDB

extension PrimaryStore {
    /// Creates a zone from its whole content (the HTTP API's zone creation): the same checks as an
    /// import, in one transaction; refused when the zone exists.
    @discardableResult
    func createZone(_ zone: Zone, now: Date) throws -> ZoneSummary {
        let origin = zone.origin.lowercased()
        try PrimaryStore.validate(zone, record: nil)
        guard let serial = zone.serial else {
            throw StoreError(.zoneCheckFailed, zone: origin.text, reason: "no SOA record at the apex")
        }
        return try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM zones WHERE name = ?", arguments: [origin.text]) != nil {
                throw StoreError(.zoneExists, zone: origin.text, reason: "the zone already exists")
            }
            let id = try PrimaryStore.insertZoneRow(
                db, name: origin.text, serial: serial, serialPolicy: .increment, aliasFailurePolicy: .fail,
                keepLastMaxAge: 86400, now: now)
            for rrset in zone.rrsets { try PrimaryStore.insert(rrset, zoneID: id, db) }
            return try PrimaryStore.summary(db, PrimaryStore.zoneRow(db, origin))
        }
    }
}
