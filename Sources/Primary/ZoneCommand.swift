import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

/// `dns-primary zone …`: zones in the store. Every edit is checked first and committed atomically with a
/// serial increase; a refused edit changes nothing.
struct ZoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zone",
        abstract: "Create, import, edit, export, list, show, check and delete zones; transfer ACLs and NOTIFY targets.",
        subcommands: [
            Create.self, Import.self, Edit.self, Export.self, List.self, Show.self, Check.self, SetPolicies.self, Delete.self,
            ZoneACLCommand.self, ZoneNotifyCommand.self,
        ])

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

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a zone as a master file: ALIAS records as stored, or --expanded as AXFR carries them.",
            discussion: """
                --expanded resolves every ALIAS target through the resolvers (--resolver, else the config \
                file's 'resolver', else /etc/resolv.conf) and prints the A/AAAA records a secondary would \
                receive, under the zone's ALIAS failure policy: with 'fail', a target that does not resolve \
                is an error and nothing is printed.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Flag(name: .long, help: "Expand ALIAS records into A/AAAA, as outgoing AXFR does.") var expanded = false
        @Option(name: .long, help: "Resolver for ALIAS targets with --expanded, ADDR[:PORT]. Repeatable.")
        var resolver: [String] = []
        @Flag(name: .long, help: "Write ALIAS records in RFC 3597 form (\\# …) so other servers can read the file.")
        var portable = false

        func run() async throws {
            if !resolver.isEmpty && !expanded { throw ValidationError("--resolver is used only with --expanded") }
            let db = try store.open()
            var zone = try db.exportZone(self.zone)
            if expanded {
                let summary = try db.zone(self.zone)
                let config = try store.loadConfig()
                // The config's alias-require-authentic too, so the file matches what AXFR sends.
                let settings = try PrimaryServeSettings(flags: .init(resolver: resolver), config: config)
                let expansion = try await ZoneExpansion.expand(
                    zone, policy: summary.aliasFailurePolicy.policy(keepLastMaxAge: summary.keepLastMaxAge),
                    resolver: UpstreamResolver(resolvers: settings.resolvers, requireAuthenticated: settings.aliasRequireAuthentic),
                    concurrency: settings.aliasConcurrency,
                    lastGood: try db.aliasAnswers()[summary.name] ?? [:],
                    now: Date())
                for problem in expansion.problems {
                    FileHandle.standardError.write(Data("warning: zone \(summary.name): \(problem)\n".utf8))
                }
                zone = expansion.zone
            }
            print((portable ? ZoneFileWriter.portable : ZoneFileWriter()).write(zone), terminator: "")
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

    struct SetPolicies: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a zone's serial policy or ALIAS failure policy (the records are not touched).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Option(name: .customLong("serial-policy"), help: "increment or date (YYYYMMDDnn).") var serialPolicy: SerialPolicy?
        @Option(name: .customLong("alias-failure"), help: "When an ALIAS target does not resolve: fail, keep-last or ignore.")
        var aliasFailure: AliasFailureSetting?
        @Option(name: .customLong("keep-last-max-age"), help: "How long keep-last may serve old answers: seconds or 1h, 2d.")
        var keepLastMaxAge: String?

        func run() throws {
            guard serialPolicy != nil || aliasFailure != nil || keepLastMaxAge != nil else {
                throw ValidationError("nothing to change: give --serial-policy, --alias-failure or --keep-last-max-age")
            }
            let age = try keepLastMaxAge.map { text in
                guard let value = TTLText.parse(text) else {
                    throw ValidationError("--keep-last-max-age \(text): expected seconds or a duration like 1h, 2d")
                }
                return Int(value)
            }
            let summary = try store.open().setPolicies(
                zone, serialPolicy: serialPolicy, aliasFailurePolicy: aliasFailure, keepLastMaxAge: age, now: Date())
            try store.emit(summary) {
                "\(summary.name): serial policy \(summary.serialPolicy.rawValue), ALIAS failure "
                    + "\(summary.aliasFailurePolicy.rawValue) (keep-last max age \(summary.keepLastMaxAge)s)"
            }
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
