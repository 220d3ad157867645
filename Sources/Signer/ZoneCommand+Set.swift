import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

extension ZoneCommand {
    /// `dns-signer zone set`: changes a zone's settings in place. Removing and adding the zone again would
    /// throw its keys away, and with them the DS at the registrar: the zone would go bogus everywhere.
    struct SetSettings: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a zone's settings; its keys, copies and state stay.",
            discussion: """
                Only the options given change. --primary given once or more replaces the list of primaries. A running \
                daemon picks the change up within a second: new primaries or TSIG key are polled at once, a new poll \
                interval restarts the cycle's timing, and a switch between NSEC and NSEC3 (or of opt-out) signs the \
                stored zone again in full with the same keys, so the DS at the registrar stays valid. On a signed zone, \
                --algorithm and --csk/--no-csk start a key-set rollover (RFC 6781 §4.1.4: the new keys sign first, are \
                published, the DS is replaced, the old keys leave), and --unsigned goes insecure through CDS DELETE.
                """)
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Option(name: .long, help: "A hidden primary, ADDR[:PORT]. Repeatable; replaces the whole list.")
        var primary: [String] = []
        @Option(name: .long, help: "TSIG key the transfers are signed with (add it first with `tsig add`).") var key: String?
        @Flag(name: .customLong("no-key"), help: "Transfer without TSIG.") var noKey = false
        @Option(name: .long, help: "Poll interval: 30s, 5m, 1h.") var poll: String?
        @Option(name: .customLong("shrink-limit"), help: "Refuse a transfer that loses more than this fraction of the RRsets.")
        var shrinkLimit: String?
        @Option(name: .customLong("growth-limit"), help: "Refuse a transfer with more than this many times the RRsets (and --growth-min-rrsets more); 0: off.")
        var growthLimit: String?
        @Option(name: .customLong("growth-min-rrsets"), help: "The growth guard trips only when more than this many RRsets are added.")
        var growthMinRRsets: String?
        @Flag(name: .customLong("allow-serial-decrease"), inversion: .prefixedNo, exclusivity: .exclusive,
              help: "Accept (or, with --no-…, refuse) a primary serial lower than ours.")
        var allowSerialDecrease: Bool?
        @Option(name: .customLong("signed-serial"), help: "Serial of the signed zone: unixtime or increment.") var signedSerial: String?
        @Option(name: .customLong("on-expire"), help: "After SOA expire without a successful poll: servfail or keep-serving.")
        var onExpire: String?
        @Flag(name: .long, help: "Deny existence with NSEC (signs the zone again in full).") var nsec = false
        @Flag(name: .long, help: "Deny existence with NSEC3, opt-out only with --opt-out (signs the zone again in full).")
        var nsec3 = false
        @Flag(name: .customLong("opt-out"), help: "With --nsec3: leave insecure delegations out of the chain.") var optOut = false
        @Option(name: .long, help: "Algorithm of the keys; on a signed zone this starts an algorithm rollover.") var algorithm: String?
        @Flag(name: .long, inversion: .prefixedNo, exclusivity: .exclusive, help: "One combined signing key, or a KSK and a ZSK; on a signed zone this starts a key-set rollover.")
        var csk: Bool?
        @Option(name: .customLong("catalog-group"), help: "The group property (RFC 9432 §4.4.2) the zone carries in the catalog produced here, instead of the catalog's.")
        var catalogGroup: String?
        @Flag(name: .customLong("no-catalog-group"), help: "Carry the catalog-wide group again (`catalog set --group`), or none.")
        var noCatalogGroup = false
        @OptionGroup(title: "Keys and rollovers") var keyOptions: KeyPolicyOptions
        @OptionGroup(title: "Review before publishing") var reviewOptions: ReviewOptions

        /// The changes the options ask for, parsed and checked as `zone add` checks them.
        func changes(zone name: String) throws -> SignerZoneChanges {
            let parse = SettingsParser(zone: name)
            var changes = SignerZoneChanges()
            if !primary.isEmpty { changes.primaries = try parse.primaries(primary) }
            if key != nil && noKey { throw parse.bad("--key/--no-key", "give one of them, not both") }
            if let key { changes.tsigKey = .use(key) }
            if noKey { changes.tsigKey = .withoutKey }
            if let poll { changes.pollSeconds = try parse.poll(poll) }
            if let shrinkLimit { changes.shrinkLimit = try parse.shrinkLimit(shrinkLimit) }
            if let growthLimit { changes.growthLimit = try parse.growthLimit(growthLimit) }
            if let growthMinRRsets { changes.growthMinRRsets = try parse.growthMinRRsets(growthMinRRsets) }
            changes.allowSerialDecrease = allowSerialDecrease
            if let signedSerial { changes.signedSerialPolicy = try parse.signedSerial(signedSerial) }
            if let onExpire { changes.expireAction = try parse.onExpire(onExpire) }
            if nsec && nsec3 { throw parse.bad("--nsec/--nsec3", "give one of them, not both") }
            if optOut && !nsec3 {
                throw parse.bad("--opt-out", "give it with --nsec3 (`zone set \(name) --nsec3 --opt-out`; --nsec3 alone turns opt-out off)")
            }
            if nsec { changes.denial = .nsec }
            if nsec3 {
                changes.denial = .nsec3
                changes.optOut = optOut
            }
            if let algorithm { changes.algorithm = try parse.algorithm(algorithm) }
            changes.csk = csk
            if catalogGroup != nil && noCatalogGroup { throw parse.bad("--catalog-group/--no-catalog-group", "give one of them, not both") }
            if let catalogGroup { changes.catalogGroup = .some(catalogGroup) }
            if noCatalogGroup { changes.catalogGroup = .some(nil) }
            try keyOptions.apply(to: &changes, zone: name)
            try reviewOptions.apply(to: &changes, zone: name)
            return changes
        }

        func run() throws {
            let origin = try SignerStore.zoneName(zone)
            let name = origin.text
            let changes = try changes(zone: name)
            let signer = try store.open()
            let (old, stored) = try signer.updateZone(name, changes, now: Date())
            let keys = try signer.keyInfo(zone: name)
            try store.emit(Report(stored, state: try signer.state(zone: name), keys: keys, downstream: nil, events: nil)) {
                let lines = Self.describe(from: old, to: stored.config, hasKeys: !keys.isEmpty)
                if lines.isEmpty { return "\(name): nothing changed (the settings given are already in place)" }
                return "updated \(name) (a running daemon applies it within a second):\n"
                    + lines.map { "  " + $0 }.joined(separator: "\n")
            }
        }

        /// One line per changed setting, with what the daemon does about it.
        static func describe(from old: SignerZoneConfig, to new: SignerZoneConfig, hasKeys: Bool) -> [String] {
            var lines: [String] = []
            func add(_ label: String, _ before: String, _ after: String, _ effect: String = "") {
                if before != after { lines.append("\(label): \(before) → \(after)" + (effect.isEmpty ? "" : " (\(effect))")) }
            }
            add("primaries", old.primaries.map(\.description).joined(separator: ", "),
                new.primaries.map(\.description).joined(separator: ", "), "polled at once")
            add("TSIG key", old.tsigKeyName ?? "none", new.tsigKeyName ?? "none", "used from the next poll, at once")
            add("poll interval", SignerStoreOptions.duration(Int64(old.pollSeconds)),
                SignerStoreOptions.duration(Int64(new.pollSeconds)), "the cycle restarts: a poll now, then at the new pace")
            func denial(_ config: SignerZoneConfig) -> String {
                config.denial == .nsec3 ? "NSEC3" + (config.optOut ? " opt-out" : "") : "NSEC"
            }
            add("denial", denial(old), denial(new), hasKeys
                ? "the zone is signed again in full with the same keys; the DS at the registrar stays valid"
                : "from the first signing")
            let rollover = hasKeys ? "a key-set rollover starts; `dns-signer keys status` follows it" : "for the keys made at the first signing"
            add("algorithm", old.algorithm.mnemonic, new.algorithm.mnemonic, rollover)
            add("keys", old.csk ? "CSK" : "KSK + ZSK", new.csk ? "CSK" : "KSK + ZSK", rollover)
            func span(_ value: Int64?) -> String { value.map { SignerStoreOptions.duration($0) } ?? "none" }
            add("ZSK lifetime", span(old.zskLifetime), span(new.zskLifetime))
            add("KSK lifetime", span(old.kskLifetime), span(new.kskLifetime))
            add("propagation delay", span(old.propagationDelay), span(new.propagationDelay))
            add("parent DS TTL", old.parentDSTTL.map { SignerStoreOptions.duration($0) } ?? "read from the parent",
                new.parentDSTTL.map { SignerStoreOptions.duration($0) } ?? "read from the parent")
            add("parent servers", old.parentServers.isEmpty ? "found through the resolver" : old.parentServers.map(\.description).joined(separator: ", "),
                new.parentServers.isEmpty ? "found through the resolver" : new.parentServers.map(\.description).joined(separator: ", "))
            add("DS check interval", span(old.dsCheckInterval), span(new.dsCheckInterval))
            add("DNSSEC", old.unsigned ? "off" : "on", new.unsigned ? "off" : "on", new.unsigned
                ? "CDS/CDNSKEY DELETE are published; signing stops once the parent's DS is gone (`dns-signer keys status`)"
                : "new keys are made; give the registrar their DS")
            add("shrink guard", "refuse losing more than \(Int((old.shrinkLimit * 100).rounded())) %",
                "refuse losing more than \(Int((new.shrinkLimit * 100).rounded())) %")
            add("growth guard", GuardText.growth(old.growthLimit, old.growthMinRRsets), GuardText.growth(new.growthLimit, new.growthMinRRsets))
            add("serial decrease", old.allowSerialDecrease ? "allowed" : "refused", new.allowSerialDecrease ? "allowed" : "refused")
            add("signed serial", old.signedSerialPolicy.rawValue, new.signedSerialPolicy.rawValue, "from the next new version")
            add("on expire", old.expireAction.rawValue, new.expireAction.rawValue)
            add("transfer", old.transferMode.rawValue, new.transferMode.rawValue, "from the next poll")
            add("catalog group", old.catalogGroup ?? "the catalog's", new.catalogGroup ?? "the catalog's",
                "in the produced catalog within a second; its secondaries apply it at their next transfer of the catalog")
            lines += ReviewOptions.describe(from: old, to: new)
            return lines
        }
    }
}
