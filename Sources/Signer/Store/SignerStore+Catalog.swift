import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import GRDB

/// What `catalog show` prints: the setting and the fleet of secondaries.
struct CatalogSettings: Sendable, Equatable, Codable {
    var catalog: ProducedCatalog?
    var downstream: [NotifyTarget]
}

extension SignerStore {
    /// Names the catalog zone to produce (replacing an earlier one) and the group its members carry.
    /// Refused when a zone of that name is signed here: the catalog would shadow it.
    func setCatalog(name text: String, group: String?, now: Date = Date()) throws {
        let origin = try SignerStore.zoneName(text)
        if let problem = ProducedCatalogTable.groupProblem(group) {
            throw SignerStoreError(.invalidArgument, zone: origin.text, field: "--group", reason: problem)
        }
        try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM zones WHERE name = ?", arguments: [origin.text]) != nil {
                throw SignerStoreError(.invalidArgument, zone: origin.text, field: "catalog",
                                       reason: "a signed zone has this name; the catalog needs a name of its own (e.g. catalog.invalid.)")
            }
            try ProducedCatalogTable.set(db, name: origin.text, group: group)
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    /// Stops producing the catalog (its secondaries keep their zones until their copy of it expires, or
    /// drop them all when they are told; see the README).
    func unsetCatalog(now: Date = Date()) throws {
        try writeImmediate { db in
            guard try ProducedCatalogTable.delete(db) else {
                throw SignerStoreError(.notFound, field: "catalog", reason: "no catalog is produced")
            }
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    func catalogSettings() throws -> CatalogSettings {
        try pool.read { db in
            let produced = try ProducedCatalogTable.read(db)
            let targets = try Row.fetchAll(db, sql: "SELECT address, port, key_name FROM catalog_downstream ORDER BY address, port").map {
                NotifyTarget(address: $0["address"], port: $0["port"], key: $0["key_name"])
            }
            return CatalogSettings(catalog: produced, downstream: targets)
        }
    }

    /// Records that the catalog with `digest` is published: the serial rises (to `now` as unix time when
    /// that is higher, as the signed zones' serials do) only when the digest changed. Returns the serial
    /// to serve. Not a configuration change: the daemon's own bookkeeping.
    func publishCatalog(name: String, digest: Data, now: Date = Date()) throws -> UInt32 {
        try writeImmediate { db in
            guard let serial = try ProducedCatalogTable.publish(db, name: name, digest: digest, now: SignerStore.timestamp(now)) else {
                throw SignerStoreError(.notFound, field: "catalog \(name)", reason: "no longer the catalog produced")
            }
            return serial
        }
    }

    /// Adds a fleet secondary: it may transfer the catalog and every zone signed here (signed with `key`
    /// when given) and gets NOTIFY at ADDR[:PORT] (port 53 by default) for each.
    func addCatalogDownstream(address text: String, key: String?, now: Date = Date()) throws {
        let target = try SignerStore.downstreamAddress(text, zone: "catalog")
        guard target.prefix.length == target.prefix.address.bytes.count * 8 else {
            throw SignerStoreError(.invalidArgument, field: "downstream \(text)", reason: "a fleet secondary is one address, not a block")
        }
        let keyName = try key.map { try SignerStore.keyName($0, zone: nil) }
        let address = target.prefix.address.description
        let port = target.port ?? 53
        try writeImmediate { db in
            if let keyName { try SignerStore.requireKey(db, keyName, zone: "catalog") }
            if try Row.fetchOne(db, sql: "SELECT 1 FROM catalog_downstream WHERE address = ? AND port = ?", arguments: [address, port]) != nil {
                throw SignerStoreError(.duplicate, field: "downstream \(text)",
                                       reason: "a fleet secondary at \(ListenAddress(host: address, port: port)) exists")
            }
            try db.execute(sql: "INSERT INTO catalog_downstream (address, port, key_name) VALUES (?, ?, ?)",
                           arguments: [address, port, keyName])
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    /// Removes a fleet secondary (every port at the address, or only the one given).
    func removeCatalogDownstream(address text: String, now: Date = Date()) throws {
        let target = try SignerStore.downstreamAddress(text, zone: "catalog")
        try writeImmediate { db in
            if let port = target.port {
                try db.execute(sql: "DELETE FROM catalog_downstream WHERE address = ? AND port = ?",
                               arguments: [target.prefix.address.description, port])
            } else {
                try db.execute(sql: "DELETE FROM catalog_downstream WHERE address = ?", arguments: [target.prefix.address.description])
            }
            guard db.changesCount > 0 else {
                throw SignerStoreError(.notFound, field: "downstream \(text)", reason: "no such fleet secondary")
            }
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    /// The fleet's transfer permissions: each secondary's address (a host block), with its key.
    static func fleetACLRules(_ targets: [NotifyTarget]) -> [TransferACL.Rule] {
        targets.compactMap { target in
            guard let ip = IPAddress(target.address) else { return nil }
            return TransferACL.Rule(prefix: IPAddressPrefix(address: ip, length: ip.bytes.count * 8),
                                    key: target.key.flatMap { try? DomainName($0) })
        }
    }
}
