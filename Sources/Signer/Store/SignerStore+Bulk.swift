import DNSCore
import DNSEdge
import Foundation
import GRDB

/// Reads and writes over many zones at once, so a signer holding ten thousand zones does one query where
/// it would otherwise do one per zone: the daemon's reload (which zones changed since it last looked),
/// `zone list`, the transfer ACLs for the router, and the batched poll times of unchanged polls.
extension SignerStore {
    /// Which row of a zone, in which settings version: a zone removed and added again is another row, so
    /// it differs even when the new row's version happens to equal the old one's. A zone reset by its
    /// catalog (RFC 9432 §5.4) keeps its row but not its `generation`: both mean "run it as a new zone".
    struct ZoneVersion: Sendable, Hashable {
        var id: Int64
        var version: Int64
        var generation: Int64 = 0

        /// Whether `other` is another zone under the same name (removed and added again, or reset).
        func isReplaced(by other: ZoneVersion) -> Bool { id != other.id || generation != other.generation }
    }

    /// Every zone's settings version (raised by each change to its settings or downstream entries), by
    /// name as stored. The daemon compares it with what it runs and reads the changed zones' rows only.
    func zoneVersions() throws -> [String: ZoneVersion] {
        try pool.read { db in
            var versions: [String: ZoneVersion] = [:]
            // A zone its catalog parked is not run (see `catalog follow`).
            let rows = try Row.fetchCursor(db, sql: "SELECT id, name, version, generation FROM zones WHERE parked = 0")
            while let row = try rows.next() {
                versions[row["name"]] = ZoneVersion(id: row["id"], version: row["version"], generation: row["generation"])
            }
            return versions
        }
    }

    /// The settings of the named zones (those that exist), in name order.
    func storedZones(named names: some Collection<String>) throws -> [StoredZone] {
        guard !names.isEmpty else { return [] }
        let all = Array(names)
        return try pool.read { db in
            var zones: [StoredZone] = []
            // SQLite's bound-parameter limit is 32,766 by default; stay far below it.
            for start in stride(from: 0, to: all.count, by: 500) {
                let chunk = Array(all[start..<min(start + 500, all.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                zones += try Row.fetchAll(db, sql: "SELECT * FROM zones WHERE name IN (\(marks))", arguments: StatementArguments(chunk))
                    .map(SignerStore.storedZone)
            }
            return zones.sorted { $0.config.origin.text < $1.config.origin.text }
        }
    }

    /// Every zone's settings with its state, in name order, read in one snapshot: `zone list`.
    func storedZonesWithState() throws -> [(zone: StoredZone, state: ZoneState)] {
        try pool.read { db in
            let states = try Row.fetchAll(db, sql: "SELECT * FROM zone_state")
            var byID: [Int64: Row] = [:]
            for row in states { byID[row["zone_id"]] = row }
            return try Row.fetchAll(db, sql: "SELECT * FROM zones ORDER BY name").map { row in
                let zone = try SignerStore.storedZone(row)
                guard let state = byID[row["id"]] else {
                    throw SignerStoreError(.corrupt, zone: zone.config.origin.text, reason: "the zone has no state row")
                }
                return (zone, SignerStore.state(from: state))
            }
        }
    }

    /// Every zone's downstream transfer ACL that has entries, in one query (the router is rebuilt on
    /// every configuration change; one query per zone made that O(zones) round trips).
    func downstreamACLs() throws -> [DomainName: TransferACL] {
        let entries = try pool.read { db -> [String: [DownstreamACLEntry]] in
            var byZone: [String: [DownstreamACLEntry]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT zones.name AS zone, prefix, key_name FROM downstream_acl
                JOIN zones ON zones.id = downstream_acl.zone_id ORDER BY zones.name, prefix, key_name
                """)
            while let row = try rows.next() {
                byZone[row["zone"], default: []].append(DownstreamACLEntry(prefix: row["prefix"], key: row["key_name"]))
            }
            return byZone
        }
        var acls: [DomainName: TransferACL] = [:]
        for (zone, list) in entries {
            acls[try SignerStore.zoneName(zone)] = try SignerStore.transferACL(list, zone: zone)
        }
        return acls
    }

    /// The time of an unchanged poll and the result it reports, to be written later with others (`PollTimes`).
    struct PollTime: Sendable, Equatable {
        var zone: String
        var lastPollAt: Int64
        var lastSuccessAt: Int64?
        /// The text `zone status` shows for the poll; nil leaves the stored one.
        var result: String? = nil
    }

    /// Writes many zones' poll times in one transaction. A time never moves back: a version published
    /// (or a poll recorded) since the unchanged poll was noted wrote a newer state, which stays.
    func recordPollTimes(_ times: [PollTime]) throws {
        guard !times.isEmpty else { return }
        try writeImmediate { db in
            let statement = try db.makeStatement(sql: """
                UPDATE zone_state SET last_poll_at = ?, last_success_at = coalesce(?, last_success_at),
                    last_poll_result = coalesce(?, last_poll_result)
                WHERE zone_id = (SELECT id FROM zones WHERE name = ?) AND coalesce(last_poll_at, 0) <= ?
                """)
            for time in times {
                try statement.execute(arguments: [time.lastPollAt, time.lastSuccessAt, time.result, time.zone, time.lastPollAt])
            }
        }
    }
}
