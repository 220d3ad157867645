import ArgumentParser
import Foundation

/// `dns-primary catalog …`: the catalog zone (RFC 9432) of the primary's zones, so a signer (`dns-signer
/// catalog follow`) or any catalog-reading secondary adds and removes zones by itself.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Produce a catalog zone (RFC 9432) of this primary's zones.",
        discussion: """
            The running daemon serves it (unsigned) within a second: transfers are allowed to --allow-transfer and to \
            every zone's transfer ACL entries, and every zone's NOTIFY targets are told of each membership change.
            """,
        subcommands: [SetCatalog.self, Unset.self, Show.self])

    struct SetCatalog: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Name the catalog zone to serve.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The catalog zone's name, e.g. catalog.invalid. (not a zone held here).") var name: String
        @Option(name: .long, help: "A group property (RFC 9432 §4.4.2) every member carries.") var group: String?

        func run() throws {
            let db = try store.open()
            try db.setCatalog(name: name, group: group, now: Date())
            let setting = try db.catalogSetting()
            try store.emit(setting) { "catalog \(setting?.name ?? name): every zone held here is a member" + (group.map { " (group \($0))" } ?? "") }
        }
    }

    struct Unset: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unset", abstract: "Stop serving the catalog zone.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            try store.open().unsetCatalog()
            print("catalog no longer served")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the catalog setting.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let setting = try store.open().catalogSetting()
            try store.emit(setting) {
                guard let setting else { return "no catalog is produced" }
                return "catalog \(setting.name)" + (setting.group.map { " group \($0)" } ?? "")
                    + (setting.serial == 0 ? ", not published yet" : ", serial \(setting.serial)")
            }
        }
    }
}
