import ArgumentParser
import DNSCore
import Foundation

/// `dns-primary update-acl …`: who may change a zone with RFC 2136 dynamic updates (nsupdate, certbot's
/// rfc2136 plugin, lego, acme.sh, external-dns), and what each may change.
struct UpdateACLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-acl", abstract: "Add, list and remove who may send a zone dynamic updates (RFC 2136).",
        discussion: """
            A zone accepts no updates until it has an entry. An entry names a TSIG key (from `tsig add`) and/or \
            an address block, and may limit the owner names (--name: NAME for that name, '*.NAME' for every \
            name below it, '@' for the apex; relative to the zone unless absolute) and the types (--type) the \
            update may change. Example, a certificate robot that may only touch its challenge records:
              dns-primary update-acl add example.com. --key acme --name _acme-challenge --name '*._acme-challenge' --type TXT
            Unsigned updates are accepted only when asked for, from an address block: --unsigned --from 192.0.2.0/24.
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow updates of a zone with a TSIG key and/or from an address block.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Option(name: .long, help: "The TSIG key (from `tsig add`) updates must be signed with.") var key: String?
        @Option(name: .customLong("from"), help: "Address or block updates must come from (default with --key: anywhere).") var from: String?
        @Flag(name: .long, help: "Accept unsigned updates (needs --from).") var unsigned = false
        @Option(name: .customLong("name"), help: "An owner name the update may change: NAME, '*.NAME' or '@'. Repeatable. Default: any.")
        var names: [String] = []
        @Option(name: .customLong("type"), help: "A record type the update may change. Repeatable. Default: any.")
        var types: [String] = []

        func run() throws {
            let entry = try store.open().addUpdateACL(
                zone: zone, key: key, prefix: from, unsigned: unsigned, names: names, types: types, now: Date())
            try store.emit(entry) { "zone \(zone): updates allowed to \(PrimaryStore.describe(entry))" }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List who may update the zone.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let entries = try store.open().updateACL(zone: zone)
            try store.emit(entries) {
                entries.isEmpty ? "zone \(zone): no update ACL entries (updates refused)"
                    : entries.map(PrimaryStore.describe).joined(separator: "\n")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the entry with this --key and/or --from, as added.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Option(name: .long, help: "The entry's TSIG key.") var key: String?
        @Option(name: .customLong("from"), help: "The entry's address block.") var from: String?

        func run() throws {
            try store.open().deleteUpdateACL(zone: zone, key: key, prefix: from, now: Date())
            let shown = [key.map { "key \($0)" }, from.map { "from \($0)" }].compactMap { $0 }.joined(separator: " ")
            try store.emit(["zone": zone, "removed": shown]) { "zone \(zone): update ACL entry \(shown) removed" }
        }
    }
}
