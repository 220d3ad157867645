import ArgumentParser
import DNSCore
import Foundation

/// `dns-signer keys list ZONE`: the zone's signing keys, made by the daemon at the first signing. Only
/// public facts are shown; private keys never leave the store.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Show a zone's DNSSEC keys, follow and start rollovers, confirm the parent's DS.",
        subcommands: [List.self, Status.self, Plan.self, Roll.self, DSSeen.self, DSGone.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a zone's keys: tag, role, algorithm, flags, creation time.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let origin = try SignerStore.zoneName(zone)
            let keys = try store.open().keyInfo(zone: origin.text)
            try store.emit(keys) {
                guard !keys.isEmpty else { return KeysCommand.noKeys(origin) }
                return keys.map {
                    "\($0.role)\t\($0.keyTag)\t\($0.algorithmName) (\($0.algorithm))\tflags \($0.flags)\tcreated "
                        + SignerStoreOptions.time($0.createdAt)
                }.joined(separator: "\n")
            }
        }
    }

    static func noKeys(_ origin: DomainName) -> String {
        "\(origin.text): no keys yet: the zone has not been signed (the daemon makes them at the first signing)"
    }

    /// The zone's keys from the store; refuses (exit status 1) when there are none yet.
    static func storedKeys(_ store: SignerStoreOptions, _ origin: DomainName) throws -> [SigningKey] {
        let keys = try store.open().liveKeys(zone: origin.text)
        guard !keys.isEmpty else { throw SignerOptions.Failure(noKeys(origin)) }
        return keys
    }
}

/// `dns-signer dnskey ZONE`: the zone's DNSKEY records, as the signed zone publishes them.
struct DNSKEYCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dnskey", abstract: "Print a zone's DNSKEY records.")
    @OptionGroup var store: SignerStoreOptions
    @Argument(help: "The zone.") var zone: String

    func run() throws {
        let origin = try SignerStore.zoneName(zone)
        let keys = try KeysCommand.storedKeys(store, origin)
        // The TTL the zone publishes them with (the SOA's unless the policy says otherwise).
        let published = try store.open().publishedApex(zone: origin.text)?.first { $0.type == .DNSKEY }
        let ttl = published?.ttl ?? DSCommand.ttl
        let records = keys.map { ResourceRecord(name: origin, ttl: ttl, rdata: .dnskey($0.dnskey)) }
        try store.emit(zip(keys, records).map { key, record in
            ["keyTag": "\(key.keyTag)", "role": key.isKeySigningKey ? "KSK" : "ZSK", "record": record.description]
        }) {
            zip(keys, records).map { key, record in "; \(key.summary)\n\(record)" }.joined(separator: "\n")
        }
    }
}

/// `dns-signer ds`: the DS records of the KSKs, as records and as the four fields of a registrar's form.
/// `ds ZONE` reads the keys from the store; `ds --keys DIR --origin ZONE` from a key directory (the
/// offline signer's, see `sign-zone`).
struct DSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ds", abstract: "Print the DS records to give the registrar (parent zone).")

    @Argument(help: "The zone whose keys are in the signer's database.")
    var zone: String?

    @OptionGroup var store: SignerStoreOptions

    @Option(help: "Directory of the zone's keys (instead of the database; give the zone with --origin).")
    var keys: String?

    @Option(help: "The zone's origin, with --keys.")
    var origin: String?

    @Option(name: .customLong("digest"), help: "Digest types to print: 2 (SHA-256), 4 (SHA-384). Repeatable.")
    var digests: [UInt8] = [2]

    /// The DS TTL is the parent's to choose; the records show one hour, a common registry value.
    static let ttl: UInt32 = 3600

    func validate() throws {
        if keys != nil {
            if origin == nil && zone == nil { throw ValidationError("give the zone: --origin ZONE with --keys DIR") }
        } else if zone == nil {
            throw ValidationError("give the zone: `dns-signer ds ZONE` (keys from the database) or --keys DIR --origin ZONE")
        }
        for digest in digests {
            let type = DSDigestType(rawValue: digest)
            guard type == .sha256 || type == .sha384 else { throw ValidationError("--digest \(digest): use 2 (SHA-256) or 4 (SHA-384)") }
        }
    }

    struct Entry: Encodable {
        var keyTag: UInt16
        var algorithm: UInt8
        var digestType: UInt8
        var digest: String
        var record: String
    }

    func run() throws {
        let zoneName: DomainName
        let ksks: [SigningKey]
        if let keys {
            zoneName = try SignerOptions.origin(origin ?? zone!)
            ksks = try KeyDirectory(path: keys, zone: zoneName).load().filter(\.isKeySigningKey)
            guard !ksks.isEmpty else { throw SignerOptions.Failure("\(keys) holds no key-signing key for \(zoneName)") }
        } else {
            zoneName = try SignerStore.zoneName(zone!)
            ksks = try KeysCommand.storedKeys(store, zoneName).filter(\.isKeySigningKey)
            guard !ksks.isEmpty else { throw SignerOptions.Failure("\(zoneName.text): no key-signing key in the store") }
        }
        var entries: [Entry] = []
        for key in ksks {
            for digest in digests {
                let ds = try key.dnskey.ds(owner: zoneName, digestType: DSDigestType(rawValue: digest))
                entries.append(Entry(
                    keyTag: ds.keyTag, algorithm: ds.algorithm, digestType: ds.digestType, digest: Base16.encode(ds.digest),
                    record: ResourceRecord(name: zoneName, ttl: Self.ttl, rdata: .ds(ds)).description))
                if !store.json {
                    print(ResourceRecord(name: zoneName, ttl: Self.ttl, rdata: .ds(ds)))
                    print(ds.registrarText)
                    print()
                }
            }
        }
        if store.json { try store.emit(entries) { "" } }
    }
}
