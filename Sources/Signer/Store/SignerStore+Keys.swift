import DaemonKit
import DNSCore
import Foundation
import GRDB

/// A zone's key as listed (`keys list`, `zone status`): never its private half.
struct StoredKeyInfo: Sendable, Equatable, Codable {
    var keyTag: UInt16
    var flags: UInt16
    var algorithm: UInt8
    /// KSK, ZSK, or CSK when the zone has only keys with the SEP bit (each signs everything).
    var role: String
    var createdAt: Int64

    var algorithmName: String { DNSSECAlgorithm(algorithm).mnemonic }
}

extension SignerStore {
    /// The zone's signing keys, in the order they were stored; empty before the first signing.
    func keys(zone: String) throws -> [SigningKey] {
        let origin = try SignerStore.zoneName(zone)
        let rows = try pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT key_tag, flags, private_pem FROM keys WHERE zone_id = ? ORDER BY id"), arguments: [SignerStore.zoneID(db, origin)])
        }
        return try rows.map { row in
            let tag: Int = row["key_tag"]
            do {
                return try SigningKey(pem: row["private_pem"], flags: UInt16(truncatingIfNeeded: row["flags"] as Int))
            } catch {
                // The error says what is wrong with the PEM, never its content.
                throw SignerStoreError(.corrupt, zone: origin.text, field: "key \(tag)", reason: "stored private key unreadable: \(error)")
            }
        }
    }

    /// Public facts about the zone's keys.
    func keyInfo(zone: String) throws -> [StoredKeyInfo] {
        let origin = try SignerStore.zoneName(zone)
        return try pool.read { db in try SignerStore.keyInfo(db, zoneID: SignerStore.zoneID(db, origin)) }
    }

    /// Stores keys the daemon generated (or imported): keys already stored are left as they are; a
    /// different key whose tag collides with one of the zone's is refused (RRSIG and DS name keys by
    /// tag). Not a configuration change. Store keys before publishing a zone signed with them, so the
    /// published DNSKEYs always have their private halves here.
    func storeKeys(zone: String, keys: [SigningKey], now: Date) throws {
        try storeKeys(zone: zone, keys: keys, now: now, lifecycle: nil, events: [])
    }

    /// Stores new keys and, in the same transaction, the lifecycle that names them and the events that
    /// announce them (a new zone's first keys: one synced commit instead of two, which with thousands of
    /// zones signed for the first time at once is a third of the writes).
    func storeKeys(zone: String, keys: [SigningKey], now: Date, lifecycle: KeyLifecycle?, events: [OperatorEvent]) throws {
        let origin = try SignerStore.zoneName(zone)
        let existing = try self.keys(zone: zone)
        var added: [SigningKey] = []
        for key in keys where !existing.contains(where: { SignerStore.sameKey($0, key) })
            && !added.contains(where: { SignerStore.sameKey($0, key) }) {
            added.append(key)
        }
        guard !added.isEmpty || lifecycle != nil || !events.isEmpty else { return }
        do {
            _ = try ZoneKeySet(zone: origin, keys: existing + added)
        } catch {
            throw SignerStoreError(.duplicate, zone: origin.text, field: "keys", reason: "\(error)")
        }
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            for key in added {
                try db.cachedStatement(sql: "INSERT INTO keys (zone_id, key_tag, flags, algorithm, private_pem, created_at) VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [id, Int(key.keyTag), Int(key.flags), Int(key.algorithm.rawValue), key.pemRepresentation,
                                SignerStore.timestamp(now)])
            }
            if let lifecycle { try SignerStore.writeKeyLifecycle(lifecycle, consumed: [], zoneID: id, db) }
            for event in events { try Outbox.record(event, in: db) }
        }
        if !events.isEmpty { outboxSignal.eventsCommitted() }
    }

    static func sameKey(_ a: SigningKey, _ b: SigningKey) -> Bool {
        a.algorithm == b.algorithm && a.flags == b.flags && a.publicKeyBytes == b.publicKeyBytes
    }

    static func keyInfo(_ db: Database, zoneID: Int64) throws -> [StoredKeyInfo] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT key_tag, flags, algorithm, created_at FROM keys WHERE zone_id = ? ORDER BY id"), arguments: [zoneID])
        let flags = rows.map { UInt16(truncatingIfNeeded: $0["flags"] as Int) }
        let allSEP = flags.allSatisfy { $0 & DNSKEY.sepFlag != 0 }
        return zip(rows, flags).map { row, flags in
            let sep = flags & DNSKEY.sepFlag != 0
            return StoredKeyInfo(
                keyTag: UInt16(truncatingIfNeeded: row["key_tag"] as Int), flags: flags,
                algorithm: UInt8(truncatingIfNeeded: row["algorithm"] as Int),
                role: allSEP ? "CSK" : sep ? "KSK" : "ZSK", createdAt: row["created_at"])
        }
    }
}
