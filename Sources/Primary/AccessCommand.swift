import ArgumentParser
import Foundation

/// `dns-primary zone acl …`: who may transfer (AXFR) one zone — an address or prefix, and optionally the
/// TSIG key the request must be signed with. Stored with the zone; every change bumps the zone's change
/// counter so a running daemon picks it up.
struct ZoneACLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl", abstract: "Allow, list and remove who may transfer a zone (AXFR).",
        subcommands: [Add.self, List.self, Delete.self])

    struct Entry: ParsableArguments {
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "An address or prefix: 192.0.2.1, 192.0.2.0/24, 2001:db8::/32.") var prefix: String
        @Option(name: .long, help: "A TSIG key (from `tsig add`) the transfer request must be signed with.") var key: String?
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Allow a prefix to transfer the zone, optionally only with a TSIG key.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var entry: Entry

        func run() throws {
            let added = try store.open().addTransferACL(zone: entry.zone, prefix: entry.prefix, key: entry.key, now: Date())
            try store.emit(added) { "zone \(entry.zone): transfer allowed to \(ZoneACLCommand.describe(added))" }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List who may transfer the zone.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let entries = try store.open().transferACL(zone: zone)
            try store.emit(entries) {
                entries.isEmpty ? "zone \(zone): no transfer ACL entries" : entries.map(ZoneACLCommand.describe).joined(separator: "\n")
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an entry: the prefix with --key K, or the unsigned entry without --key.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var entry: Entry

        func run() throws {
            try store.open().deleteTransferACL(zone: entry.zone, prefix: entry.prefix, key: entry.key, now: Date())
            let removed = TransferACLEntry(
                prefix: try PrimaryStore.prefix(entry.prefix, zone: entry.zone), key: try entry.key.map(PrimaryStore.keyName))
            try store.emit(removed) { "zone \(entry.zone): transfer no longer allowed to \(ZoneACLCommand.describe(removed))" }
        }
    }

    static func describe(_ entry: TransferACLEntry) -> String {
        entry.prefix + (entry.key.map { " key \($0)" } ?? " (no key)")
    }
}

/// `dns-primary zone notify …`: the secondaries told about every new version of one zone.
struct ZoneNotifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify", abstract: "Add, list and remove the NOTIFY targets of a zone.",
        subcommands: [Add.self, List.self, Delete.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send NOTIFY for the zone to ADDR[:PORT], signed with --key when given.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "192.0.2.1, 192.0.2.1:5353, 2001:db8::1 or [2001:db8::1]:5353 (port 53 when omitted).") var target: String
        @Option(name: .long, help: "A TSIG key (from `tsig add`) to sign the NOTIFY with.") var key: String?

        func run() throws {
            let added = try store.open().addNotifyTarget(zone: zone, target: target, key: key, now: Date())
            try store.emit(added) { "zone \(zone): NOTIFY to \(ZoneNotifyCommand.describe(added))" }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the NOTIFY targets of the zone.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let targets = try store.open().notifyTargets(zone: zone)
            try store.emit(targets) {
                targets.isEmpty ? "zone \(zone): no NOTIFY targets" : targets.map(ZoneNotifyCommand.describe).joined(separator: "\n")
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop sending NOTIFY for the zone to ADDR[:PORT].")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "The target as added (port 53 when omitted).") var target: String

        func run() throws {
            try store.open().deleteNotifyTarget(zone: zone, target: target, now: Date())
            try store.emit(["zone": zone, "target": target]) { "zone \(zone): no more NOTIFY to \(target)" }
        }
    }

    /// `192.0.2.1:53 key xfr.`, `[2001:db8::1]:5353`.
    static func describe(_ target: NotifyTarget) -> String {
        (target.address.contains(":") ? "[\(target.address)]:\(target.port)" : "\(target.address):\(target.port)")
            + (target.key.map { " key \($0)" } ?? "")
    }
}
