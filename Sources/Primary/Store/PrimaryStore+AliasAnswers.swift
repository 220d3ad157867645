import DaemonKit
import DNSCore
import Foundation
import GRDB

/// How a zone's ALIAS targets resolve, as the operator is told about it.
enum AliasHealth: String, Sendable, Codable {
    /// Every target resolves.
    case ok
    /// Some fail, and the zone's policy works around it (`keep-last` with a recent answer, `ignore`).
    case degraded
    /// Some fail and the policy cannot work around it: transfers of the zone are answered SERVFAIL.
    case blocked
}

extension PrimaryStore {
    // MARK: Last good answers (for keep-last, across restarts)

    /// Every zone's saved answers, by zone name.
    func aliasAnswers() throws -> [String: [AliasKey: AliasLastGood]] {
        try pool.read { db in
            var result: [String: [AliasKey: AliasLastGood]] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT z.name, a.target, a.family, a.addresses, a.ttl, a.resolved_at
                FROM alias_answers a JOIN zones z ON z.id = a.zone_id
                """)
            for row in rows {
                let zone: String = row["name"]
                let targetText: String = row["target"]
                let familyText: String = row["family"]
                let addressText: String = row["addresses"]
                let ttl: Int64 = row["ttl"]
                let resolvedAt: Int64 = row["resolved_at"]
                guard let target = try? DomainName(targetText),
                      let family = AliasAddressFamily.allCases.first(where: { $0.description == familyText }),
                      let rdatas = PrimaryStore.addressRDatas(addressText, family: family)
                else { throw StoreError(.corrupt, zone: zone, record: "\(targetText) \(familyText)", reason: "unreadable saved ALIAS answer") }
                let addresses = AliasAddresses(rdatas: rdatas, ttl: UInt32(clamping: ttl))
                result[zone, default: [:]][AliasKey(target: target, family: family)] =
                    AliasLastGood(addresses: addresses, resolvedAt: UInt64(max(0, resolvedAt)))
            }
            return result
        }
    }

    /// Makes the saved answers of each zone in `answers` exactly the given ones (a key left out is no
    /// longer used by the zone), in one transaction. Zones deleted meanwhile are skipped.
    func saveAliasAnswers(_ answers: [String: [AliasKey: AliasLastGood]]) throws {
        guard !answers.isEmpty else { return }
        try writeImmediate { db in
            for (zone, keys) in answers {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM zones WHERE name = ?", arguments: [zone])
                else { continue }
                try db.execute(sql: "DELETE FROM alias_answers WHERE zone_id = ?", arguments: [id])
                for (key, last) in keys {
                    try db.execute(
                        sql: """
                            INSERT INTO alias_answers (zone_id, target, family, addresses, ttl, resolved_at)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            id, key.target.text, key.family.description,
                            last.addresses.rdatas.map(\.presentation).joined(separator: "\n"),
                            Int64(last.addresses.ttl), Int64(clamping: last.resolvedAt),
                        ])
                }
            }
        }
    }

    /// A/AAAA RDATA from their presentation form, one per line; nil when a line does not parse.
    static func addressRDatas(_ text: String, family: AliasAddressFamily) -> [RData]? {
        var rdatas: [RData] = []
        for line in text.split(separator: "\n") {
            switch family {
            case .v4:
                guard let address = IPv4Address(String(line)) else { return nil }
                rdatas.append(.a(A(address)))
            case .v6:
                guard let address = IPv6Address(String(line)) else { return nil }
                rdatas.append(.aaaa(AAAA(address)))
            }
        }
        return rdatas
    }

    // MARK: Health and operator events

    /// Every zone's recorded ALIAS health (zones never recorded are `ok`).
    func aliasHealth() throws -> [String: AliasHealth] {
        try pool.read { db in
            var result: [String: AliasHealth] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT z.name, s.state FROM alias_status s JOIN zones z ON z.id = s.zone_id
                """) {
                result[row["name"]] = AliasHealth(rawValue: row["state"]) ?? .ok
            }
            return result
        }
    }

    /// Records a zone's new ALIAS health and, in the same transaction, the operator event `event` makes
    /// of the change (given the recorded state before it). Nothing is written when the state is the one
    /// recorded already, so one change of state gives one event however often it is observed.
    /// Returns whether the state changed.
    @discardableResult
    func setAliasHealth(
        zone name: String, _ health: AliasHealth, reason: String, now: Date,
        event: (_ previous: AliasHealth) -> OperatorEvent?
    ) throws -> Bool {
        let origin = try PrimaryStore.zoneName(name)
        var recorded = false
        let changed = try writeImmediate { db in
            let row = try PrimaryStore.zoneRow(db, origin)
            let stored = try String.fetchOne(db, sql: "SELECT state FROM alias_status WHERE zone_id = ?", arguments: [row.id])
            let previous = stored.flatMap(AliasHealth.init(rawValue:)) ?? .ok
            guard previous != health else { return false }
            try db.execute(
                sql: """
                    INSERT INTO alias_status (zone_id, state, since, reason) VALUES (?, ?, ?, ?)
                    ON CONFLICT (zone_id) DO UPDATE SET state = excluded.state, since = excluded.since, reason = excluded.reason
                    """,
                arguments: [row.id, health.rawValue, PrimaryStore.timestamp(now), reason])
            if let event = event(previous) {
                try Outbox.record(event, in: db)
                recorded = true
            }
            return true
        }
        if recorded { outboxSignal.eventsCommitted() }
        return changed
    }

    /// The most recent operator events, newest first (for tests and a future `zone status`).
    func recentEvents(zone: String? = nil, limit: Int = 20) throws -> [OperatorEvent] {
        let key = try zone.map { try PrimaryStore.zoneName($0).text }
        return try pool.read { db in try Outbox.recent(zone: key, limit: limit, in: db) }
    }
}
