import DaemonKit
import DNSCore
import Foundation
import GRDB

extension PrimaryStore {
    /// Names the catalog zone to produce (replacing an earlier one). Refused when a zone of that name is
    /// held here: the catalog would shadow it.
    func setCatalog(name text: String, group: String?, now: Date) throws {
        let origin = try PrimaryStore.zoneName(text)
        if let problem = ProducedCatalogTable.groupProblem(group) {
            throw StoreError(.invalidArgument, zone: origin.text, reason: "--group: \(problem)")
        }
        try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM zones WHERE name = ?", arguments: [origin.text]) != nil {
                throw StoreError(.invalidArgument, zone: origin.text,
                                 reason: "a zone has this name; the catalog needs a name of its own (e.g. catalog.invalid.)")
            }
            try ProducedCatalogTable.set(db, name: origin.text, group: group)
        }
    }

    func unsetCatalog() throws {
        try writeImmediate { db in
            guard try ProducedCatalogTable.delete(db) else { throw StoreError(.notFound, reason: "no catalog is produced") }
        }
    }

    func catalogSetting() throws -> ProducedCatalog? {
        try pool.read { db in try ProducedCatalogTable.read(db) }
    }

    /// Records that the catalog with `digest` is published; returns the serial to serve (raised only
    /// when the membership changed).
    func publishCatalog(name: String, digest: Data, now: Date) throws -> UInt32 {
        try writeImmediate { db in
            guard let serial = try ProducedCatalogTable.publish(db, name: name, digest: digest, now: Int64(now.timeIntervalSince1970)) else {
                throw StoreError(.notFound, zone: name, reason: "no longer the catalog produced")
            }
            return serial
        }
    }
}
