import ArgumentParser
import DaemonKit
import DNSCore
import Foundation

extension ZoneCommand {
    /// `zone show ZONE`: everything an operator checks about one zone, on one screen.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a zone: serial, policies, size, ALIAS records, transfer ACL, NOTIFY targets, last change.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let report = try Report(store: store.open(), zone: zone)
            try store.emit(report) { report.text }
        }
    }

    /// What `zone show` prints; the JSON form has the same fields.
    struct Report: Codable, Equatable {
        struct Alias: Codable, Equatable {
            var owner: String
            var ttl: UInt32
            var target: String
        }

        var name: String
        var serial: UInt32
        var serialPolicy: SerialPolicy
        var aliasFailurePolicy: AliasFailureSetting
        var keepLastMaxAge: Int
        var nameCount: Int
        var rrsetCount: Int
        var recordCount: Int
        var aliasCount: Int
        var aliases: [Alias]
        /// As `serve` last recorded it: ok, degraded (the policy works around a failing target) or blocked.
        var aliasHealth: AliasHealth
        var transferACL: [TransferACLEntry]
        var notifyTargets: [NotifyTarget]
        /// How far back IXFR can answer from (what `serve` recorded); nil: empty.
        var journal: JournalReach?
        var createdAt: Date
        var updatedAt: Date
        var version: Int64
        /// The latest operator events about the zone, newest first.
        var recentEvents: [Event]

        struct Event: Codable, Equatable {
            var time: Date
            var kind: String
            var severity: String
            var summary: String
        }

        init(store: PrimaryStore, zone: String) throws {
            let summary = try store.zone(zone)
            let content = try store.exportZone(zone)
            name = summary.name
            serial = summary.serial
            serialPolicy = summary.serialPolicy
            aliasFailurePolicy = summary.aliasFailurePolicy
            keepLastMaxAge = summary.keepLastMaxAge
            nameCount = content.nameCount
            rrsetCount = content.rrsetCount
            recordCount = content.recordCount
            aliases = content.rrsets.filter { $0.type == .ALIAS }.flatMap { set in
                set.rdatas.compactMap { rdata -> Alias? in
                    guard case .alias(let alias) = rdata else { return nil }
                    return Alias(owner: set.name.text, ttl: set.ttl, target: alias.target.text)
                }
            }
            aliasCount = aliases.count
            aliasHealth = try store.aliasHealth()[summary.name] ?? .ok
            transferACL = try store.transferACL(zone: zone)
            notifyTargets = try store.notifyTargets(zone: zone)
            journal = try store.journalReach(zone: zone)
            createdAt = summary.createdAt
            updatedAt = summary.updatedAt
            version = summary.version
            recentEvents = try store.recentEvents(zone: summary.name, limit: Self.eventsShown).map {
                Event(time: Date(timeIntervalSince1970: TimeInterval($0.time)), kind: $0.kind.rawValue,
                      severity: $0.severity.rawValue, summary: $0.summary)
            }
        }

        /// Events listed by `zone show`.
        static let eventsShown = 3

        /// Aliases listed by `zone show` before "and N more".
        static let aliasesShown = 5

        var text: String {
            let time = ISO8601DateFormatter()
            var lines = [
                ("zone", name),
                ("serial", "\(serial) (policy \(serialPolicy.rawValue))"),
                ("records", "\(recordCount) in \(rrsetCount) RRsets at \(nameCount) names"),
                ("ALIAS", aliasCount == 0 ? "none" : "\(aliasCount), targets \(aliasHealth.rawValue), on failure \(aliasFailurePolicy.rawValue)"
                    + (aliasFailurePolicy == .keepLast ? " (max age \(keepLastMaxAge)s)" : "")),
            ]
            for alias in aliases.prefix(Self.aliasesShown) {
                lines.append(("", "\(alias.owner) \(alias.ttl) → \(alias.target)"))
            }
            if aliases.count > Self.aliasesShown { lines.append(("", "… and \(aliases.count - Self.aliasesShown) more")) }
            lines.append(("transfer ACL", transferACL.isEmpty
                ? "none of its own (serve's allow-transfer applies)"
                : transferACL.map(ZoneACLCommand.describe).joined(separator: ", ")))
            lines.append(("NOTIFY", notifyTargets.isEmpty
                ? "none"
                : notifyTargets.map { ZoneNotifyCommand.describe($0) }.joined(separator: ", ")))
            lines.append(("journal", journal?.text ?? "empty (an IXFR gets the whole zone until the next change)"))
            lines.append(("created", time.string(from: createdAt)))
            lines.append(("last change", "\(time.string(from: updatedAt)) (change \(version))"))
            for (index, event) in recentEvents.enumerated() {
                lines.append((index == 0 ? "events" : "", "\(time.string(from: event.time)) \(event.severity) \(event.kind): \(event.summary)"))
            }
            return lines.map { label, value in
                (label.isEmpty ? "" : label + ":").padding(toLength: 14, withPad: " ", startingAt: 0) + value
            }.joined(separator: "\n")
        }
    }
}
