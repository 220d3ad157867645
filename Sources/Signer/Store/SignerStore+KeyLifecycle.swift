import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import GRDB

/// The key lifecycle's part of the store (migration signer-v2-keys): the zone's key settings, the
/// lifecycle machine (one JSON document per zone, written with the version it signed), and the
/// operator's key requests waiting for the daemon.
extension SignerStore {
    /// An operator request as queued by the CLI.
    struct QueuedKeyRequest: Sendable, Equatable {
        var id: Int64
        var request: KeyLifecycle.Request
        var by: String
        var at: Int64
    }

    // MARK: Lifecycle

    /// The zone's lifecycle; nil when none was stored yet (a zone never signed, or signed before
    /// lifecycles existed: the caller adopts its keys).
    func keyLifecycle(zone: String) throws -> KeyLifecycle? {
        let origin = try SignerStore.zoneName(zone)
        return try pool.read { db in try SignerStore.keyLifecycle(db, zoneID: SignerStore.zoneID(db, origin), zone: origin.text) }
    }

    static func keyLifecycle(_ db: Database, zoneID: Int64, zone: String) throws -> KeyLifecycle? {
        guard let text = try String.fetchOne(db.cachedStatement(sql: "SELECT document FROM key_lifecycle WHERE zone_id = ?"), arguments: [zoneID]) else {
            return nil
        }
        do {
            return try JSONDecoder().decode(KeyLifecycle.self, from: Data(text.utf8))
        } catch {
            throw SignerStoreError(.corrupt, zone: zone, field: "key lifecycle", reason: "unreadable: \(error)")
        }
    }

    /// Writes the lifecycle and removes the requests it took up, inside a caller's transaction.
    static func writeKeyLifecycle(_ lifecycle: KeyLifecycle, consumed: [Int64], zoneID: Int64, _ db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(lifecycle), as: UTF8.self)
        try db.cachedStatement(sql: "INSERT INTO key_lifecycle (zone_id, document) VALUES (?, ?) ON CONFLICT(zone_id) DO UPDATE SET document = excluded.document").execute(arguments: [zoneID, text])
        for id in consumed {
            try db.cachedStatement(sql: "DELETE FROM key_requests WHERE id = ? AND zone_id = ?").execute(arguments: [id, zoneID])
        }
    }

    /// Stores the lifecycle (with the events it raised) on its own: a step that changed nothing in the
    /// zone (a parent check, a request refused on arrival).
    func recordKeyLifecycle(zone name: String, _ lifecycle: KeyLifecycle, consumed: [Int64], events: [OperatorEvent]) throws {
        let origin = try SignerStore.zoneName(name)
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            try SignerStore.writeKeyLifecycle(lifecycle, consumed: consumed, zoneID: id, db)
            for event in events { try Outbox.record(event, in: db) }
        }
        if !events.isEmpty { outboxSignal.eventsCommitted() }
    }

    /// The keys in the zone now: every stored key the lifecycle has not removed (a zone signed before
    /// lifecycles existed: every stored key). For `dnskey`, `ds` and `check-chain`, which must not offer
    /// a rolled-out key's DS.
    func liveKeys(zone name: String) throws -> [SigningKey] {
        let stored = try keys(zone: name)
        guard let lifecycle = try keyLifecycle(zone: name) else { return stored }
        let live = Set(lifecycle.liveKeys.map(KeyLifecycle.ref))
        return stored.filter { live.contains(Rollover.KeyRef(tag: $0.keyTag, algorithm: $0.algorithm.rawValue)) }
    }

    // MARK: Requests

    /// Queues `request` for the daemon after checking it against the stored lifecycle (the daemon checks
    /// again when it takes it). Raises the configuration version so the daemon sees it within a second.
    func queueKeyRequest(zone name: String, _ request: KeyLifecycle.Request, by: String, now: Date) throws {
        let origin = try SignerStore.zoneName(name)
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM zones WHERE id = ?"), arguments: [id]) else {
                throw SignerStoreError(.unknownZone, zone: origin.text, reason: "no such zone in the store (see `dns-signer zone list`)")
            }
            let config = try SignerStore.storedZone(row).config
            var lifecycle = try SignerStore.keyLifecycle(db, zoneID: id, zone: origin.text)
            if lifecycle == nil {
                let keys = try SignerStore.keyInfo(db, zoneID: id)
                lifecycle = KeyLifecycle.adopting(keys.map { ($0.keyTag, $0.algorithm, $0.flags, $0.createdAt) }, csk: config.csk)
            }
            if let refusal = lifecycle!.refusal(of: request, policy: config.keyPolicy) {
                throw SignerStoreError(.invalidArgument, zone: origin.text, reason: refusal)
            }
            let pending = try SignerStore.keyRequests(db, zoneID: id)
            if pending.contains(where: { $0.request == request }) {
                throw SignerStoreError(.duplicate, zone: origin.text, reason: "the same request is already waiting for the daemon")
            }
            let text = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
            try db.cachedStatement(sql: "INSERT INTO key_requests (zone_id, request, requested_by, created_at) VALUES (?, ?, ?, ?)").execute(arguments: [id, text, by, SignerStore.timestamp(now)])
            try SignerStore.touch(zoneID: id, now: now, db)
        }
    }

    /// Requests waiting for the daemon, oldest first.
    func keyRequests(zone name: String) throws -> [QueuedKeyRequest] {
        let origin = try SignerStore.zoneName(name)
        return try pool.read { db in try SignerStore.keyRequests(db, zoneID: SignerStore.zoneID(db, origin)) }
    }

    static func keyRequests(_ db: Database, zoneID: Int64) throws -> [QueuedKeyRequest] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT id, request, requested_by, created_at FROM key_requests WHERE zone_id = ? ORDER BY id"), arguments: [zoneID]).compactMap { row in
            let text: String = row["request"]
            guard let request = try? JSONDecoder().decode(KeyLifecycle.Request.self, from: Data(text.utf8)) else { return nil }
            return QueuedKeyRequest(id: row["id"], request: request, by: row["requested_by"], at: row["created_at"])
        }
    }

    // MARK: Settings columns

    static func writeKeySettings(_ config: SignerZoneConfig, zoneID: Int64, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                UPDATE zones SET zsk_lifetime = ?, ksk_lifetime = ?, propagation_delay = ?, parent_ds_ttl = ?,
                    parent_servers = ?, ds_check_interval = ?, unsigned = ?, poll_mode = ?, content_check = ?,
                    transfer_mode = ? WHERE id = ?
                """).execute(arguments: [config.zskLifetime, config.kskLifetime, config.propagationDelay, config.parentDSTTL,
                        config.parentServers.map(\.description).joined(separator: " "), config.dsCheckInterval,
                        config.unsigned, config.pollMode.rawValue, config.contentCheckSeconds, config.transferMode.rawValue, zoneID])
    }

    static func readKeySettings(_ row: Row, into config: inout SignerZoneConfig) throws {
        config.zskLifetime = row["zsk_lifetime"]
        config.kskLifetime = row["ksk_lifetime"]
        config.propagationDelay = row["propagation_delay"]
        config.parentDSTTL = row["parent_ds_ttl"]
        config.dsCheckInterval = row["ds_check_interval"]
        config.unsigned = row["unsigned"]
        config.contentCheckSeconds = row["content_check"]
        guard let mode = SignerZoneConfig.PollMode(rawValue: row["poll_mode"]) else {
            throw SignerStoreError(.corrupt, zone: config.origin.text, field: "poll mode", reason: "unknown in the store")
        }
        config.pollMode = mode
        guard let transfer = SignerZoneConfig.TransferMode(rawValue: row["transfer_mode"]) else {
            throw SignerStoreError(.corrupt, zone: config.origin.text, field: "transfer mode", reason: "unknown in the store")
        }
        config.transferMode = transfer
        config.parentServers = try addresses(row["parent_servers"], zone: config.origin.text, field: "parent server")
    }

    static func checkKeySettings(_ config: SignerZoneConfig, zone: String) throws {
        func positive(_ value: Int64?, _ field: String) throws {
            if let value, value <= 0 {
                throw SignerStoreError(.invalidArgument, zone: zone, field: field, reason: "must be longer than 0 seconds")
            }
        }
        try positive(config.zskLifetime, "ZSK lifetime")
        try positive(config.kskLifetime, "KSK lifetime")
        try positive(config.dsCheckInterval, "DS check interval")
        try positive(config.contentCheckSeconds, "content check interval")
        if config.propagationDelay < 0 {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "propagation delay", reason: "cannot be negative")
        }
        if let ttl = config.parentDSTTL, ttl < 0 {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "parent DS TTL", reason: "cannot be negative")
        }
        // A lifetime shorter than the rollover it starts would start the next one before this one ends.
        if let zsk = config.zskLifetime, zsk < 2 * config.propagationDelay {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "ZSK lifetime \(zsk)s",
                                   reason: "must be at least twice the propagation delay (\(config.propagationDelay)s): a rollover takes longer than that")
        }
        _ = try checkedParentServers(config.parentServers, zone: zone)
    }

    static func checkedParentServers(_ servers: [ListenAddress], zone: String) throws -> [ListenAddress] {
        try servers.map { server in
            guard let address = IPAddress(server.host), (1...65535).contains(server.port) else {
                throw SignerStoreError(.invalidArgument, zone: zone, field: "parent server \(server)",
                                       reason: "give an IP address and optional port (ADDR[:PORT])")
            }
            return ListenAddress(host: address.description, port: server.port)
        }
    }
}
