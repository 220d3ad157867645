import ArgumentParser
import DNSCore
import Foundation

/// `dns-signer tsig …`: the shared secrets for transfers from the primaries and to downstream secondaries.
struct TSIGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsig", abstract: "Add, list and delete TSIG keys.", subcommands: [Add.self, List.self, Delete.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a key; a random secret as long as the HMAC is made (and printed once) when none is given.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "Key name, e.g. transfer-key.") var name: String
        @Option(help: "hmac-sha256 (default), hmac-sha384, hmac-sha512, hmac-sha1.") var algorithm = "hmac-sha256"
        @Option(help: "Base64 secret, as tsig-keygen prints it (the primary's key must use the same).") var secret: String?

        func run() throws {
            var secretText = secret
            if secretText == nil {
                let keyName = try SignerStore.keyName(name, zone: nil)
                guard let parsed = TSIGAlgorithm(mnemonic: algorithm), parsed.isSupported else {
                    throw SignerStoreError(.invalidArgument, field: "key \(keyName)",
                                           reason: "unknown TSIG algorithm '\(algorithm)'; use hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1")
                }
                secretText = try TSIGKey.generate(name: try DomainName(keyName), algorithm: parsed).base64Secret
            }
            let entry = try store.open().addTSIGKey(name: name, algorithm: algorithm, secret: secretText!, now: Date())
            if secret == nil {
                // Shown this once so the primary (or secondary) can be configured; `tsig list` never shows it.
                print("key \"\(entry.name)\" { algorithm \(entry.algorithm); secret \"\(entry.secret)\"; };")
            } else {
                print("added key \(entry.name) (\(entry.algorithm))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key names and algorithms (never the secrets).")
        @OptionGroup var store: SignerStoreOptions

        func run() throws {
            let keys = try store.open().tsigKeys().map { ["name": $0.name, "algorithm": $0.algorithm] }
            try store.emit(keys) {
                keys.isEmpty ? "no TSIG keys" : keys.map { "\($0["name"]!)\t\($0["algorithm"]!)" }.joined(separator: "\n")
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a key (refused while a zone or downstream entry uses it).")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "Key name.") var name: String

        func run() throws {
            try store.open().deleteTSIGKey(name: name, now: Date())
            print("deleted key \(try SignerStore.keyName(name, zone: nil))")
        }
    }
}
