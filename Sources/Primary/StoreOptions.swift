import ArgumentParser
import Foundation

/// `--db PATH` and `--json`, taken by every subcommand that reads or edits the store.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The primary's SQLite database (default: $DNS_PRIMARY_DB, else /var/lib/countersign/primary.db).")
    var db: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of text.")
    var json = false

    var path: String {
        db ?? ProcessInfo.processInfo.environment["DNS_PRIMARY_DB"] ?? "/var/lib/countersign/primary.db"
    }

    func open() throws -> PrimaryStore { try PrimaryStore(path: path) }

    /// Prints `value` as JSON when asked, else the text form.
    func emit<T: Encodable>(_ value: T, text: () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            print(text())
        }
    }
}
