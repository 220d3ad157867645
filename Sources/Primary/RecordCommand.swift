import ArgumentParser
import DNSCore
import Foundation

/// `dns-primary record …`: one RRset edit at a time, with RDATA in zone-file syntax.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "Add, delete or replace records.",
        subcommands: [Add.self, Delete.self, Replace.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add one record: ZONE NAME TTL TYPE RDATA… (e.g. example.com. www 300 A 192.0.2.1).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "Owner, relative to the zone or absolute; @ for the apex.") var name: String
        @Argument(help: "TTL in seconds or with units (1h).") var ttl: String
        @Argument(help: "Record type (A, AAAA, ALIAS, TXT, …).") var type: String
        @Argument(parsing: .remaining, help: "RDATA in zone-file syntax.") var rdata: [String]

        func run() throws {
            let zone = try store.open().addRecord(
                zone: self.zone, name: name, ttl: try RecordCommand.ttl(ttl), type: type, rdata: rdata.joined(separator: " "), now: Date())
            try RecordCommand.report("added", zone, store)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a record, or the whole RRset when no RDATA is given.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "Owner.") var name: String
        @Argument(help: "Record type.") var type: String
        @Argument(parsing: .remaining, help: "RDATA of the one record to delete.") var rdata: [String] = []

        func run() throws {
            let zone = try store.open().deleteRecords(
                zone: self.zone, name: name, type: type, rdata: rdata.isEmpty ? nil : rdata.joined(separator: " "), now: Date())
            try RecordCommand.report("deleted", zone, store)
        }
    }

    struct Replace: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a whole RRset: ZONE NAME TTL TYPE RDATA… (records separated by '|' for several).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "Owner.") var name: String
        @Argument(help: "TTL.") var ttl: String
        @Argument(help: "Record type.") var type: String
        @Argument(parsing: .remaining, help: "RDATA; separate several records with a lone '|'.") var rdata: [String]

        func run() throws {
            let records = rdata.split(separator: "|").map { $0.joined(separator: " ") }
            let zone = try store.open().replaceRRset(
                zone: self.zone, name: name, ttl: try RecordCommand.ttl(ttl), type: type, rdatas: records, now: Date())
            try RecordCommand.report("replaced", zone, store)
        }
    }

    /// `added; example.com. serial 7`, or `{"action": "added", "serial": 7, "zone": "example.com."}`.
    static func report(_ action: String, _ zone: Zone, _ store: StoreOptions) throws {
        struct Report: Encodable {
            var action: String
            var zone: String
            var serial: UInt32?
        }
        let report = Report(action: action, zone: zone.origin.text, serial: zone.serial?.rawValue)
        try store.emit(report) { "\(action); \(report.zone) serial \(report.serial.map { "\($0)" } ?? "-")" }
    }

    static func ttl(_ text: String) throws -> UInt32 {
        guard let value = TTLText.parse(text) else { throw ValidationError("TTL \(text): expected seconds or a duration like 1h30m") }
        return value
    }
}

/// `dns-primary tsig …`: the keys secondaries and NOTIFY use.
struct TSIGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsig", abstract: "Add, list and delete TSIG keys.", subcommands: [Add.self, List.self, Delete.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a key; a random 256-bit secret is made when none is given.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Key name, e.g. transfer-key.") var name: String
        @Option(help: "hmac-sha256 (default), hmac-sha384, hmac-sha512, hmac-sha1.") var algorithm = "hmac-sha256"
        @Option(help: "Base64 secret, as tsig-keygen prints it.") var secret: String?

        func run() throws {
            var generator = SystemRandomNumberGenerator()
            let secret = self.secret ?? Base64.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let entry = try store.open().addTSIGKey(name: name, algorithm: algorithm, secret: secret)
            // Printed once so the operator can configure the secondary; `tsig list` never shows it again.
            print("key \"\(entry.name)\" { algorithm \(entry.algorithm); secret \"\(entry.secret)\"; };")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key names and algorithms (never the secrets).")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let keys = try store.open().tsigKeys().map { ["name": $0.name, "algorithm": $0.algorithm] }
            try store.emit(keys) { keys.map { "\($0["name"]!)\t\($0["algorithm"]!)" }.joined(separator: "\n") }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a key (refused while an ACL or NOTIFY target uses it).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Key name.") var name: String

        func run() throws {
            try store.open().deleteTSIGKey(name: name)
            print("deleted key \(name)")
        }
    }
}
