import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

/// Offline checks of master files, like `named-checkzone`: parse, run the semantic checks, print the zone in
/// canonical order. Every problem is reported as `file:line:column` or `name TYPE: reason`.
struct ZoneFileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zonefile",
        abstract: "Check and print zone files without a database.",
        subcommands: [Check.self, Format.self]
    )

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The zone's origin, e.g. example.com. (default: the file's first $ORIGIN or SOA owner is not guessed).")
        var origin: String

        @Argument(help: "The master file to read ('-' for standard input).")
        var file: String

        @Flag(name: .long, help: "Allow $INCLUDE of files relative to the zone file's directory.")
        var allowInclude = false

        /// Reads and parses the zone; errors carry `file:line:column`.
        func load() throws -> Zone {
            let originName: DomainName
            do {
                originName = try DomainName(origin, origin: .root)
            } catch {
                throw ValidationError("--origin \(origin): \(error)")
            }
            return try ZoneFiles.load(file, origin: originName, allowInclude: allowInclude)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse and check a zone file; exit 1 when it has errors.")

        @OptionGroup var options: Options

        func run() throws {
            let zone = try options.load()
            let problems = zone.check()
            for problem in problems {
                FileHandle.standardError.write(Data("\(options.file): \(problem)\n".utf8))
            }
            if problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
            print("\(options.file): zone \(zone.origin) serial \(zone.serial.map(String.init(describing:)) ?? "none"): "
                + "\(zone.nameCount) names, \(zone.rrsetCount) RRsets, \(zone.recordCount) records: OK")
        }
    }

    struct Format: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a zone file in canonical order with absolute names.")

        @OptionGroup var options: Options

        @Flag(name: .long, help: "Write ALIAS records in RFC 3597 form (\\# …) so other servers can read the file.")
        var portable = false

        func run() throws {
            let zone = try options.load()
            let errors = zone.check().filter { $0.severity == .error }
            guard errors.isEmpty else {
                for problem in errors { FileHandle.standardError.write(Data("\(options.file): \(problem)\n".utf8)) }
                throw ExitCode(1)
            }
            print(portable ? ZoneFileWriter.portable.write(zone) : ZoneFileWriter().write(zone), terminator: "")
        }
    }
}
