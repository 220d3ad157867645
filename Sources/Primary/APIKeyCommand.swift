import ArgumentParser
import DaemonKit
import Foundation

/// `dns-primary api-key …`: the keys of the PowerDNS-compatible HTTP API (`serve --api-listen`).
struct APIKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api-key", abstract: "Add, list and remove keys of the HTTP API.",
        discussion: """
            A key is a random secret shown once, when it is made; the store keeps only its SHA-256. Clients send \
            it as the X-API-Key header (octoDNS's api_key, Terraform's api_key). --zone limits a key to some \
            zones (repeatable); without it the key may use and create every zone.
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a key and print its secret (once).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "A name for the key (letters, digits, '.', '_', '-').") var name: String
        @Option(name: .customLong("zone"), help: "A zone the key may use. Repeatable. Default: every zone.") var zones: [String] = []

        func run() throws {
            let secret = APIKeyDigest.newSecret()
            let entry = try store.open().addAPIKey(name: name, secret: secret, zones: zones, now: Date())
            struct Made: Encodable {
                var name: String
                var zones: [String]
                var secret: String
            }
            // Printed once: `api-key list` never shows it again.
            try store.emit(Made(name: entry.name, zones: entry.zones, secret: secret)) {
                "api key \(entry.name) (\(entry.zones.isEmpty ? "every zone" : entry.zones.joined(separator: " "))): \(secret)"
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key names and their zones (never the secrets).")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let keys = try store.open().apiKeys()
            try store.emit(keys) {
                keys.isEmpty ? "no API keys"
                    : keys.map { "\($0.name)\t\($0.zones.isEmpty ? "every zone" : $0.zones.joined(separator: " "))" }
                        .joined(separator: "\n")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key; clients using it get 401 at once.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The key's name.") var name: String

        func run() throws {
            try store.open().deleteAPIKey(name: name)
            try store.emit(["removed": name]) { "api key \(name) removed" }
        }
    }
}
