import DNSCore
import DaemonKit
import Foundation
import GRDB

/// The last published version of a zone: the unsigned copy it was signed from, the signed zone, and
/// the state recorded with them (all read in one snapshot, so never a mix of two versions).
struct PublishedZone: Sendable, Equatable {
    var unsigned: Zone
    var signed: Zone
    var state: ZoneState
}

extension SignerStore {
    // MARK: Publishing

    /// Stores a new version in one `BEGIN IMMEDIATE` transaction: the unsigned and signed copies, the
    /// zone's state, the journal step leading to it (IXFR out) and the events reporting it; all of it
    /// or, on any error, none of it. A nil `signedChanges` (a zone signed in full) empties the journal.
    ///
    /// A nil diff rewrites every row of that copy; a diff (from the stored copy to the new one) rewrites
    /// only the owner names it touches, each from the whole node in the given zone (deleted when the name
    /// has no data left). `consumeAcceptNext` clears the one-shot shrink override in the same
    /// transaction, for a publish that used it.
    func publish(
        zone name: String, unsigned: Zone, unsignedChanges: ZoneDiff?, signed: Zone, signedChanges: ZoneDiff?,
        state: ZoneState, events: [OperatorEvent], consumeAcceptNext: Bool = false,
        keyLifecycle: KeyLifecycle? = nil, consumedKeyRequests: [Int64] = [], generation: Int64? = nil
    ) throws {
        let origin = try SignerStore.zoneName(name)
        for (copy, zone) in [("unsigned", unsigned), ("signed", signed)] where zone.origin != origin {
            throw SignerStoreError(.mismatch, zone: origin.text, field: "\(copy) copy",
                                   reason: "holds zone \(zone.origin.text), not \(origin.text)")
        }
        // Encoded before the write lock is taken, so the lock is held for the writes only.
        let unsignedRows = SignerStore.nodeRows(unsigned, changes: unsignedChanges)
        let signedRows = SignerStore.nodeRows(signed, changes: signedChanges)
        let journal = JournalWrite(signedChanges: signedChanges, origin: origin)
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            try SignerStore.requireGeneration(generation, zoneID: id, zone: origin, db)
            try SignerStore.write(unsignedRows, table: "unsigned_nodes", zoneID: id, db)
            try SignerStore.write(signedRows, table: "signed_nodes", zoneID: id, db)
            try SignerStore.writeState(state, zoneID: id, db)
            // The step that leads to this version, in the same commit: a reader never sees a journal
            // ahead of or behind the stored zone.
            try SignerStore.writeJournal(journal, limits: journalLimits, zoneID: id, db)
            if let keyLifecycle {
                try SignerStore.writeKeyLifecycle(keyLifecycle, consumed: consumedKeyRequests, zoneID: id, db)
            }
            if consumeAcceptNext {
                try db.cachedStatement(sql: "UPDATE zones SET accept_next = 0 WHERE id = ?").execute(arguments: [id])
            }
            for event in events { try Outbox.record(event, in: db) }
        }
        if !events.isEmpty { outboxSignal.eventsCommitted() }
    }

    /// Records a poll that published nothing (unchanged, refused, failed): state and events only, in
    /// one transaction.
    func recordPoll(zone name: String, state: ZoneState, events: [OperatorEvent], generation: Int64? = nil) throws {
        let origin = try SignerStore.zoneName(name)
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            try SignerStore.requireGeneration(generation, zoneID: id, zone: origin, db)
            try SignerStore.writeState(state, zoneID: id, db)
            for event in events { try Outbox.record(event, in: db) }
        }
        if !events.isEmpty { outboxSignal.eventsCommitted() }
    }

    /// A worker's write is for the generation it started with: a catalog member reset (which drops the
    /// zone's copies and raises the generation) may commit between the worker preparing a version and
    /// writing it, and the old version must not come back under the reset zone.
    static func requireGeneration(_ generation: Int64?, zoneID: Int64, zone: DomainName, _ db: Database) throws {
        guard let generation else { return }
        let stored = try Int64.fetchOne(db.cachedStatement(sql: "SELECT generation FROM zones WHERE id = ?"), arguments: [zoneID])
        guard stored == generation else {
            throw SignerStoreError(.superseded, zone: zone.text,
                                   reason: "the zone was reset by its catalog since this version was prepared (generation \(generation), now \(stored.map(String.init) ?? "-"))")
        }
    }

    // MARK: Reading

    /// The last published version, or nil when the zone has never been signed.
    func published(zone name: String) throws -> PublishedZone? {
        let origin = try SignerStore.zoneName(name)
        let loaded = try pool.read { db -> (unsigned: [ZoneNodeCodec.Row], signed: [ZoneNodeCodec.Row], state: ZoneState)? in
            let id = try SignerStore.zoneID(db, origin)
            let signed = try SignerStore.readRows(table: "signed_nodes", zoneID: id, db)
            guard !signed.isEmpty else { return nil }
            let unsigned = try SignerStore.readRows(table: "unsigned_nodes", zoneID: id, db)
            return (unsigned, signed, try SignerStore.readState(zoneID: id, zone: origin.text, db))
        }
        guard let loaded else { return nil }
        do {
            return PublishedZone(
                unsigned: try ZoneNodeCodec.zone(origin: origin, rows: loaded.unsigned),
                signed: try ZoneNodeCodec.zone(origin: origin, rows: loaded.signed),
                state: loaded.state)
        } catch {
            throw SignerStoreError(.corrupt, zone: origin.text, reason: "\(error)")
        }
    }

    /// The RRsets at the apex of the last published signed zone (one row, not the whole zone), or nil
    /// when the zone has never been signed: `dnskey` prints the DNSKEY records as served.
    func publishedApex(zone name: String) throws -> [RRset]? {
        let origin = try SignerStore.zoneName(name)
        let data = try pool.read { db -> Data? in
            let id = try SignerStore.zoneID(db, origin)
            return try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM signed_nodes WHERE zone_id = ? AND owner = ?"), arguments: [id, Data(ZoneNodeCodec.ownerKey(origin))])
        }
        guard let data else { return nil }
        do {
            return try ZoneNodeCodec.decode([UInt8](data), owner: origin)
        } catch {
            throw SignerStoreError(.corrupt, zone: origin.text, reason: "\(error)")
        }
    }

    func state(zone name: String) throws -> ZoneState {
        let origin = try SignerStore.zoneName(name)
        return try pool.read { db in
            try SignerStore.readState(zoneID: SignerStore.zoneID(db, origin), zone: origin.text, db)
        }
    }

    /// The zone's most recent events, newest first.
    func recentEvents(zone name: String, limit: Int = 20) throws -> [OperatorEvent] {
        let origin = try SignerStore.zoneName(name)
        return try pool.read { db in try Outbox.recent(zone: origin.text, limit: limit, in: db) }
    }

    // MARK: Node rows

    /// What to write for one copy: every row (replacing all), or the touched names' rows (nil data: delete).
    enum NodeWrites: Sendable {
        case all([ZoneNodeCodec.Row])
        case changed([(owner: [UInt8], data: [UInt8]?)])
    }

    static func nodeRows(_ zone: Zone, changes: ZoneDiff?) -> NodeWrites {
        guard let changes else {
            // In key order (SQLite compares BLOBs as bytes), so the B-tree is appended to, not split all over.
            return .all(ZoneNodeCodec.rows(of: zone).sorted { $0.owner.lexicographicallyPrecedes($1.owner) })
        }
        var touched: Set<DomainName> = []
        var writes: [(owner: [UInt8], data: [UInt8]?)] = []
        for rrset in changes.removed + changes.added where touched.insert(rrset.name).inserted {
            writes.append((ZoneNodeCodec.ownerKey(rrset.name), ZoneNodeCodec.row(of: rrset.name, in: zone)?.data))
        }
        return .changed(writes)
    }

    static func write(_ writes: NodeWrites, table: String, zoneID: Int64, _ db: Database) throws {
        let upsert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO \(table) (zone_id, owner, data) VALUES (?, ?, ?)")
        switch writes {
        case .all(let rows):
            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE zone_id = ?").execute(arguments: [zoneID])
            for row in rows { try upsert.execute(arguments: [zoneID, Data(row.owner), Data(row.data)]) }
        case .changed(let rows):
            let delete = try db.cachedStatement(sql: "DELETE FROM \(table) WHERE zone_id = ? AND owner = ?")
            for row in rows {
                if let data = row.data {
                    try upsert.execute(arguments: [zoneID, Data(row.owner), Data(data)])
                } else {
                    try delete.execute(arguments: [zoneID, Data(row.owner)])
                }
            }
        }
    }

    static func readRows(table: String, zoneID: Int64, _ db: Database) throws -> [ZoneNodeCodec.Row] {
        var rows: [ZoneNodeCodec.Row] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT owner, data FROM \(table) WHERE zone_id = ?", arguments: [zoneID])
        while let row = try cursor.next() {
            let owner = try row.withUnsafeData(atIndex: 0) { $0.map { [UInt8]($0) } ?? [] }
            let data = try row.withUnsafeData(atIndex: 1) { $0.map { [UInt8]($0) } ?? [] }
            rows.append(ZoneNodeCodec.Row(owner: owner, data: data))
        }
        return rows
    }

    // MARK: State rows

    static func writeState(_ state: ZoneState, zoneID: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: """
                UPDATE zone_state SET unsigned_serial = ?, unsigned_hash = ?, signed_serial = ?, next_resign = ?,
                    earliest_expiry = ?, last_poll_at = ?, last_poll_result = ?, last_success_at = ?,
                    last_change_at = ?, last_change_summary = ?, consecutive_failures = ?, refusals = ?,
                    last_refusal = ?, expired = ?
                WHERE zone_id = ?
                """).execute(arguments: [
                state.unsignedSerial.map { Int64($0) }, state.unsignedHash.map { Data($0) },
                state.signedSerial.map { Int64($0) }, state.nextResign, state.earliestExpiry, state.lastPollAt,
                state.lastPollResult, state.lastSuccessAt, state.lastChangeAt, state.lastChangeSummary,
                state.consecutiveFailures, state.refusals, state.lastRefusal, state.expired, zoneID,
            ])
        if db.changesCount != 1 {
            throw SignerStoreError(.corrupt, reason: "zone id \(zoneID) has no state row")
        }
    }

    static func readState(zoneID: Int64, zone: String, _ db: Database) throws -> ZoneState {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM zone_state WHERE zone_id = ?"), arguments: [zoneID]) else {
            throw SignerStoreError(.corrupt, zone: zone, reason: "the zone has no state row")
        }
        return state(from: row)
    }

    /// A `zone_state` row as the value.
    static func state(from row: Row) -> ZoneState {
        var state = ZoneState()
        state.unsignedSerial = (row["unsigned_serial"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
        state.unsignedHash = (row["unsigned_hash"] as Data?).map { [UInt8]($0) }
        state.signedSerial = (row["signed_serial"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
        state.nextResign = row["next_resign"]
        state.earliestExpiry = row["earliest_expiry"]
        state.lastPollAt = row["last_poll_at"]
        state.lastPollResult = row["last_poll_result"]
        state.lastSuccessAt = row["last_success_at"]
        state.lastChangeAt = row["last_change_at"]
        state.lastChangeSummary = row["last_change_summary"]
        state.consecutiveFailures = row["consecutive_failures"]
        state.refusals = row["refusals"]
        state.lastRefusal = row["last_refusal"]
        state.expired = row["expired"]
        return state
    }
}
