import ArgumentParser
import Foundation

/// `dns-signer catalog …`: the catalog zone (RFC 9432) this signer produces of the zones it signs, and
/// the fleet of secondaries (Knot, BIND) that read it to serve every zone with no configuration of their
/// own.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Produce a catalog zone (RFC 9432) of the signed zones for a fleet of secondaries.",
        subcommands: [SetCatalog.self, Unset.self, Show.self, Downstream.self, Follow.self, Unfollow.self])

    struct SetCatalog: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Name the catalog zone to serve (unsigned, by AXFR to the fleet, NOTIFY on every membership change).")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The catalog zone's name, e.g. catalog.invalid. (not a zone signed here).") var name: String
        @Option(name: .long, help: "A group property (RFC 9432 §4.4.2) every member carries; Knot and BIND can map it to a template.")
        var group: String?

        func run() throws {
            let db = try store.open()
            try db.setCatalog(name: name, group: group, now: Date())
            let settings = try db.catalogSettings()
            try store.emit(settings) {
                "catalog \(settings.catalog?.name ?? name): every zone served signed here is a member"
                    + (group.map { " (group \($0))" } ?? "")
                    + (settings.downstream.isEmpty ? "; add the fleet with `dns-signer catalog downstream add ADDR[:PORT]`" : "")
            }
        }
    }

    struct Unset: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unset", abstract: "Stop serving the catalog zone.")
        @OptionGroup var store: SignerStoreOptions

        func run() throws {
            try store.open().unsetCatalog(now: Date())
            print("catalog no longer served")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the catalog setting and the fleet.")
        @OptionGroup var store: SignerStoreOptions

        func run() throws {
            let db = try store.open()
            let report = Report(produced: try db.catalogSettings(), followed: try db.followedCatalogs(), parked: try db.parkedZones())
            try store.emit(report) {
                (Self.lines(report.produced) + report.followed.map(Self.line) + report.parked.map { "parked \($0) (left its catalog; keys kept)" })
                    .joined(separator: "\n")
            }
        }

        struct Report: Encodable {
            var produced: CatalogSettings
            var followed: [FollowedCatalog]
            var parked: [String]
        }

        static func line(_ followed: FollowedCatalog) -> String {
            "following \(followed.name) from \(followed.primaries.joined(separator: ", "))"
                + (followed.key.map { " key \($0)" } ?? "") + ", poll \(SignerStoreOptions.duration(Int64(followed.pollSeconds)))"
                + (followed.serial.map { ", serial \($0), \(followed.members) members" } ?? ", not read yet")
                + (followed.lastError.map { "; REFUSED: \($0)" } ?? "")
        }

        static func lines(_ settings: CatalogSettings) -> [String] {
            var lines: [String]
            if let catalog = settings.catalog {
                lines = ["catalog \(catalog.name)" + (catalog.group.map { " group \($0)" } ?? "")
                         + (catalog.serial == 0 ? ", not published yet" : ", serial \(catalog.serial)")]
            } else {
                lines = ["no catalog is produced"]
            }
            lines += settings.downstream.map { target in
                "fleet secondary \(target.address):\(target.port)" + (target.key.map { " key \($0)" } ?? "")
            }
            return lines
        }
    }

    struct Downstream: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The fleet: secondaries that may transfer the catalog and every zone in it, and get NOTIFY for each.",
            subcommands: [Add.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a fleet secondary.")
            @OptionGroup var store: SignerStoreOptions
            @Argument(help: "The secondary, ADDR[:PORT] (NOTIFY port, 53 by default).") var address: String
            @Option(name: .long, help: "TSIG key its transfers (and our NOTIFYs) are signed with.") var key: String?

            func run() throws {
                try store.open().addCatalogDownstream(address: address, key: key, now: Date())
                print("\(address) may transfer the catalog and every zone in it" + (key.map { " with key \($0)" } ?? "") + ", and gets NOTIFY")
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a fleet secondary.")
            @OptionGroup var store: SignerStoreOptions
            @Argument(help: "ADDR[:PORT], as added.") var address: String

            func run() throws {
                try store.open().removeCatalogDownstream(address: address, now: Date())
                print("removed fleet secondary \(address)")
            }
        }
    }

    struct Follow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "follow",
            abstract: "Follow a primary's catalog zone: its members become zones here, with `zone add`'s defaults.",
            discussion: """
                The catalog is transferred from the primaries every --poll and on their NOTIFY. A new member is added \
                (transferred from the same primaries with the same key); a member that leaves is parked: no longer \
                polled or served, but kept with its keys, so if it comes back its DS at the parent still matches \
                (`zone remove` deletes it for good). Zones added by hand are never touched. A catalog that cannot be \
                read is refused whole: nothing changes, and one transfer.refused event says why.
                """)
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The catalog zone's name.") var name: String
        @Option(name: .long, help: "The primary serving the catalog (and its members), ADDR[:PORT]. Repeatable.") var primary: [String] = []
        @Option(name: .long, help: "TSIG key for the catalog's and the members' transfers.") var key: String?
        @Option(name: .long, help: "Poll interval of the catalog and of the zones it adds (default 60s).") var poll = "60s"

        func run() throws {
            let origin = try SignerStore.zoneName(name)
            let parse = ZoneCommand.SettingsParser(zone: origin.text)
            guard !primary.isEmpty else { throw parse.bad("--primary", "give the primary serving the catalog, ADDR[:PORT]") }
            try store.open().followCatalog(name: origin.text, primaries: try parse.primaries(primary), key: key,
                                           pollSeconds: try parse.poll(poll), now: Date())
            print("following catalog \(origin.text) from \(primary.joined(separator: ", ")): the running daemon reads it within a second")
        }
    }

    struct Unfollow: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unfollow", abstract: "Stop following a catalog; the zones it added stay, as if added by hand.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The catalog zone's name.") var name: String

        func run() throws {
            let origin = try SignerStore.zoneName(name)
            try store.open().unfollowCatalog(name: origin.text, now: Date())
            print("no longer following \(origin.text); its zones stay")
        }
    }
}
