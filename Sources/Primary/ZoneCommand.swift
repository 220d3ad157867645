import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

/// `dns-primary zone …`: zones in the store. Every edit is checked first and committed atomically with a
/// serial increase; a refused edit changes nothing.
struct ZoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zone", abstract: "Create, import, export, list, show, check and delete zones.",
        subcommands: [Create.self, Import.self, Export.self, List.self, Show.self, Check.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a zone with an SOA and apex NS records.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone, e.g. example.com.") var zone: String
        @Option(name: .long, help: "A name server for the apex NS RRset. Repeatable; the first is the SOA MNAME.")
        var ns: [String] = []
        @Option(name: .long, help: "The responsible mailbox (hostmaster@example.com).") var email: String = "hostmaster"
        @Option(name: .customLong("serial-policy"), help: "increment or date (YYYYMMDDnn).") var serialPolicy: SerialPolicy = .increment
        @Option(name: .customLong("alias-failure"), help: "When an ALIAS target does not resolve: fail, keep-last or ignore.")
        var aliasFailure: AliasFailureSetting = .fail

        func run() throws {
            guard !ns.isEmpty else { throw ValidationError("give at least one --ns NAME") }
            let summary = try store.open().createZone(
                zone, ns: ns, email: email, serialPolicy: serialPolicy, aliasFailurePolicy: aliasFailure, now: Date())
            try store.emit(summary) { "created \(summary.name) serial \(summary.serial)" }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a zone's content with a master file, atomically.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "The master file ('-' for standard input).") var file: String

        func run() throws {
            let summary = try store.open().importZone(zone, zoneText: try ZoneFiles.readText(file), now: Date())
            try store.emit(summary) { "imported \(summary.name): \(summary.recordCount) records, serial \(summary.serial)" }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a zone as a master file (ALIAS records as stored).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            print(ZoneFileWriter().write(try store.open().exportZone(zone)), terminator: "")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the zones with their serials.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let zones = try store.open().listZones()
            try store.emit(zones) {
                zones.map { "\($0.name)\tserial \($0.serial)\t\($0.recordCount) records" }.joined(separator: "\n")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a zone's serial, policies and size.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let summary = try store.open().zone(zone)
            try store.emit(summary) {
                """
                zone:           \(summary.name)
                serial:         \(summary.serial) (policy \(summary.serialPolicy.rawValue))
                records:        \(summary.recordCount)
                ALIAS failure:  \(summary.aliasFailurePolicy.rawValue) (keep-last max age \(summary.keepLastMaxAge)s)
                last change:    \(summary.updatedAt)
                """
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the semantic checks on a stored zone; exit 1 on errors.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let problems = try store.open().checkZone(zone)
            for problem in problems { print(problem) }
            if problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
            if problems.isEmpty { print("\(zone): OK") }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a zone and its records, ACLs and NOTIFY targets.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            try store.open().deleteZone(zone)
            print("deleted \(zone)")
        }
    }
}

extension SerialPolicy: ExpressibleByArgument {}
extension AliasFailureSetting: ExpressibleByArgument {}
