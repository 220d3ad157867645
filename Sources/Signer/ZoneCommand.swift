import ArgumentParser
import DNSCore
import DNSEdge
import DaemonKit
import Foundation

/// `dns-signer zone …`: the zones the signer transfers, signs and serves. Edits go to the store; a running
/// daemon notices them within a second. A refused edit changes nothing.
struct ZoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zone", abstract: "Add, change, list, inspect and remove signed zones; ask for a poll; manage downstream secondaries.",
        subcommands: [Add.self, SetSettings.self, List.self, Status.self, Remove.self, Refresh.self, AcceptNext.self, Approve.self, Reject.self, Downstream.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add zones to transfer from hidden primaries, sign and serve.",
            discussion: """
                Several zones (arguments, and --from FILE with one zone per line, # for comments, - for standard \
                input) are added with the same settings in one transaction: all of them, or none when one is refused.
                """)
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone, e.g. example.com. (several may be given).") var zones: [String] = []
        @Option(name: .long, help: "Also add the zones named in this file, one per line (- reads standard input).") var from: String?
        @Option(name: .long, help: "A hidden primary, ADDR[:PORT] (port 53 by default; [v6]:PORT). Repeatable.")
        var primary: [String] = []
        @Option(name: .long, help: "TSIG key the transfers are signed with (add it first with `tsig add`).") var key: String?
        @Option(name: .long, help: "Poll interval: 30s, 5m, 1h (default 60s).") var poll = "60s"
        @Flag(name: .long, help: "Deny existence with NSEC3 (RFC 9276: 0 iterations, no salt) instead of NSEC.") var nsec3 = false
        @Flag(name: .customLong("opt-out"), help: "With --nsec3: leave insecure delegations out of the chain.") var optOut = false
        @Option(name: .long, help: "Algorithm of the keys made at first signing: ecdsap256sha256 (13), ecdsap384sha384 (14), ed25519 (15), rsasha256 (8).")
        var algorithm = "ecdsap256sha256"
        @Flag(name: .long, help: "One combined signing key instead of a KSK and a ZSK.") var csk = false
        @Option(name: .customLong("shrink-limit"), help: "Refuse a transfer that loses more than this fraction of the RRsets (default 0.5).")
        var shrinkLimit: String = "0.5"
        @Option(name: .customLong("growth-limit"), help: "Refuse a transfer with more than this many times the RRsets (and --growth-min-rrsets more); 0: off (default 10).")
        var growthLimit: String = "10"
        @Option(name: .customLong("growth-min-rrsets"), help: "The growth guard trips only when more than this many RRsets are added (default 1000).")
        var growthMinRRsets: String = "1000"
        @Flag(name: .customLong("allow-serial-decrease"), help: "Accept a primary serial lower than ours instead of refusing it.")
        var allowSerialDecrease = false
        @Option(name: .customLong("signed-serial"), help: "Serial of the signed zone: unixtime (default) or increment.")
        var signedSerial = "unixtime"
        @Option(name: .customLong("on-expire"), help: "After SOA expire without a successful poll: servfail (default) or keep-serving.")
        var onExpire = "servfail"
        @Option(name: .customLong("catalog-group"), help: "The group property (RFC 9432 §4.4.2) these zones carry in the catalog produced here, instead of the catalog's (`catalog set --group`).")
        var catalogGroup: String?
        @OptionGroup(title: "Keys and rollovers") var keyOptions: KeyPolicyOptions
        @OptionGroup(title: "Review before publishing") var reviewOptions: ReviewOptions

        func run() throws {
            let names = try zones + Self.names(from: from)
            guard let first = names.first else {
                throw ValidationError("give the zone to add (or several, or --from FILE)")
            }
            let template = try config(for: first)
            let configs = try names.map { name -> SignerZoneConfig in
                var config = template
                config.origin = try SignerStore.zoneName(name).lowercased()
                return config
            }
            let signer = try store.open()
            try signer.addZones(configs, now: Date())
            if configs.count > 1 {
                try store.emit(["added": configs.map(\.origin.text)]) {
                    "added \(configs.count) zones (one transaction): polls \(template.primaries.map(\.description).joined(separator: ", ")) every "
                        + "\(SignerStoreOptions.duration(Int64(template.pollSeconds))); keys are made at each zone's first signing"
                }
                return
            }
            let name = configs[0].origin.text
            let stored = try signer.storedZone(name)
            try store.emit(Report(stored, state: ZoneState(), keys: [], downstream: DownstreamList(acl: [], notify: []), events: [])) {
                "added \(name): polls \(stored.config.primaries.map(\.description).joined(separator: ", ")) every "
                    + "\(SignerStoreOptions.duration(Int64(stored.config.pollSeconds))); keys are made at the first signing"
            }
        }

        /// Zone names from `--from` (a file, or - for standard input): one per line, blank lines and # comments skipped.
        static func names(from path: String?) throws -> [String] {
            guard let path else { return [] }
            let text: String
            if path == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("--from \(path): cannot read the file")
                }
                text = String(decoding: data, as: UTF8.self)
            }
            return text.split(whereSeparator: \.isNewline).compactMap { line in
                let word = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                    .trimmingCharacters(in: .whitespaces)
                return word.isEmpty ? nil : word
            }
        }

        /// The settings the options give, for `zone`.
        func config(for zone: String) throws -> SignerZoneConfig {
            let origin = try SignerStore.zoneName(zone)
            let parse = SettingsParser(zone: origin.text)
            guard !primary.isEmpty else { throw parse.bad("--primary", "give at least one hidden primary, ADDR[:PORT]") }
            var config = SignerZoneConfig(origin: origin, primaries: try parse.primaries(primary))
            config.tsigKeyName = key
            config.pollSeconds = try parse.poll(poll)
            config.denial = nsec3 ? SignerZoneConfig.Denial.nsec3 : .nsec
            config.optOut = optOut
            config.algorithm = try parse.algorithm(algorithm)
            config.csk = csk
            config.shrinkLimit = try parse.shrinkLimit(shrinkLimit)
            config.growthLimit = try parse.growthLimit(growthLimit)
            config.growthMinRRsets = try parse.growthMinRRsets(growthMinRRsets)
            config.allowSerialDecrease = allowSerialDecrease
            config.signedSerialPolicy = try parse.signedSerial(signedSerial)
            config.expireAction = try parse.onExpire(onExpire)
            config.catalogGroup = catalogGroup
            var keyChanges = SignerZoneChanges()
            try keyOptions.apply(to: &keyChanges, zone: origin.text)
            try reviewOptions.apply(to: &keyChanges, zone: origin.text)
            return keyChanges.applied(to: config)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the zones with their serials and last poll.")
        @OptionGroup var store: SignerStoreOptions

        func run() throws {
            // One read for every zone and its state: ten thousand zones list in a blink, not one query each.
            let reports = try store.open().storedZonesWithState().map { entry in
                Report(entry.zone, state: entry.state, keys: nil, downstream: nil, events: nil)
            }
            try store.emit(reports) {
                if reports.isEmpty { return "no zones (add one with `dns-signer zone add ZONE --primary ADDR`)" }
                return reports.map { report in
                    let signed = report.state.signedSerial.map { "signed serial \($0)" } ?? "not signed yet"
                    let poll = report.state.lastPollResult.map { "last poll: \($0)" } ?? "never polled"
                    let expired = report.state.expired ? "\tEXPIRED (not served)" : ""
                    return "\(report.zone)\t\(signed)\t\(poll)\(expired)"
                }.joined(separator: "\n")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a zone's serials, last poll and change, signature times, keys, refusals and settings.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Option(help: "How many recent events to show.") var events = 5

        func run() throws {
            let signer = try store.open()
            let stored = try signer.storedZone(zone)
            let name = stored.config.origin.text
            var report = Report(
                stored, state: try signer.state(zone: name), keys: try signer.keyInfo(zone: name),
                downstream: try signer.downstream(zone: name),
                events: try signer.recentEvents(zone: name, limit: max(0, events)).map(Report.Event.init))
            report.pendingReview = try signer.review(zone: name).map(PendingReview.init)
            report.journal = try signer.journalReach(zone: name)
            report.nextKeyEvent = try KeysCommand.View(store, zone: name).nextEventSentence(now: Int64(Date().timeIntervalSince1970))
            try store.emit(report) { report.text(now: Date()) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a zone with its state, private keys, downstream entries and published copies.",
            discussion: "Several zones (arguments, and --from FILE as for `zone add`) are removed in one transaction: all, or none when one is unknown.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone (several may be given).") var zones: [String] = []
        @Option(name: .long, help: "Also remove the zones named in this file, one per line (- reads standard input).") var from: String?

        func run() throws {
            let names = try (zones + Add.names(from: from)).map { try SignerStore.zoneName($0).text }
            guard !names.isEmpty else { throw ValidationError("give the zone to remove (or several, or --from FILE)") }
            try store.open().removeZones(names, now: Date())
            for name in names { print("removed \(name): no longer polled or served; its private keys are deleted") }
        }
    }

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the running daemon to poll the zone now.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let origin = try SignerStore.zoneName(zone)
            try store.open().requestRefresh(origin.text, now: Date())
            print("refresh requested for \(origin.text): the running daemon polls it within a second "
                + "(see `dns-signer zone status \(origin.text)`)")
        }
    }

    struct Downstream: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Secondaries that transfer the signed zone from us (AXFR-out ACL and NOTIFY targets).",
            subcommands: [Add.self, List.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add", abstract: "Allow a secondary to transfer the signed zone and, by default, NOTIFY it of new versions.")
            @OptionGroup var store: SignerStoreOptions
            @Argument(help: "The zone.") var zone: String
            @Argument(help: "The secondary, ADDR[:PORT] (NOTIFY port, 53 by default), or an address block ADDR/LEN with --no-notify.")
            var address: String
            @Option(name: .long, help: "TSIG key its transfers (and our NOTIFYs) are signed with.") var key: String?
            @Flag(inversion: .prefixedNo, help: "Send NOTIFY to the secondary when a new signed version is published.")
            var notify = true

            func run() throws {
                let origin = try SignerStore.zoneName(zone)
                let list = try store.open().addDownstream(zone: origin.text, address: address, key: key, notify: notify, now: Date())
                try store.emit(list) {
                    "\(origin.text): \(address) may transfer the signed zone" + (key.map { " with key \($0)" } ?? "")
                        + (notify ? " and gets NOTIFY" : " (no NOTIFY)")
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List a zone's downstream secondaries.")
            @OptionGroup var store: SignerStoreOptions
            @Argument(help: "The zone.") var zone: String

            func run() throws {
                let origin = try SignerStore.zoneName(zone)
                let list = try store.open().downstream(zone: origin.text)
                try store.emit(list) { Report.downstreamLines(list).joined(separator: "\n") }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "remove", abstract: "Remove a secondary's transfer permission and NOTIFY target(s).")
            @OptionGroup var store: SignerStoreOptions
            @Argument(help: "The zone.") var zone: String
            @Argument(help: "ADDR[:PORT] or ADDR/LEN, as added.") var address: String

            func run() throws {
                let origin = try SignerStore.zoneName(zone)
                try store.open().removeDownstream(zone: origin.text, address: address, now: Date())
                print("\(origin.text): removed downstream \(address)")
            }
        }
    }
}

extension ZoneCommand {
    /// The operator's text for the settings `zone add` and `zone set` share, parsed with the same messages:
    /// each refusal names the zone and the option as given.
    struct SettingsParser {
        var zone: String

        func bad(_ field: String, _ reason: String) -> SignerStoreError {
            SignerStoreError(.invalidArgument, zone: zone, field: field, reason: reason)
        }

        /// ADDR[:PORT] each; names are refused (the store refuses duplicates and port 0 too).
        func primaries(_ texts: [String]) throws -> [ListenAddress] {
            try texts.map { text in
                let address: ListenAddress
                do { address = try ListenAddress(parsing: text) } catch { throw bad("--primary \(text)", "\(error)") }
                guard IPAddress(address.host) != nil else {
                    throw bad("--primary \(text)", "not an IP address (names are not resolved here); ADDR[:PORT], [V6]:PORT")
                }
                guard address.port > 0 else { throw bad("--primary \(text)", "port must be 1...65535") }
                return address
            }
        }

        /// Seconds, from `30s`, `5m`, `1h`.
        func poll(_ text: String) throws -> Int {
            guard let seconds = TTLText.parse(text), seconds > 0 else {
                throw bad("--poll \(text)", "expected a duration like 30s, 5m or 1h")
            }
            return Int(seconds)
        }

        func algorithm(_ text: String) throws -> DNSSECAlgorithm {
            guard let value = DNSSECAlgorithm(mnemonic: text) else {
                throw bad("--algorithm \(text)", "unknown algorithm; use ecdsap256sha256 (13), ecdsap384sha384 (14), ed25519 (15) or rsasha256 (8)")
            }
            return value
        }

        func shrinkLimit(_ text: String) throws -> Double {
            guard let limit = Double(text) else { throw bad("--shrink-limit \(text)", "expected a fraction such as 0.5") }
            return limit
        }

        func signedSerial(_ text: String) throws -> SignerZoneConfig.SignedSerialPolicy {
            guard let policy = SignerZoneConfig.SignedSerialPolicy(rawValue: text) else {
                throw bad("--signed-serial \(text)", "use unixtime or increment")
            }
            return policy
        }

        func onExpire(_ text: String) throws -> SignerZoneConfig.ExpireAction {
            guard let action = SignerZoneConfig.ExpireAction(rawValue: text) else {
                throw bad("--on-expire \(text)", "use servfail or keep-serving")
            }
            return action
        }
    }

    /// A zone as `zone status`, `zone list` and `--json` show it: plain values only.
    struct Report: Encodable {
        struct Settings: Encodable {
            var primaries: [String]
            var tsigKey: String?
            var pollSeconds: Int
            var denial: String
            var optOut: Bool
            var algorithm: String
            var csk: Bool
            var shrinkLimit: Double
            var allowSerialDecrease: Bool
            var acceptNext: Bool
            var signedSerialPolicy: String
            var onExpire: String
            var refreshRequested: Bool
            var growthLimit: Double
            var growthMinRRsets: Int
            /// While `acceptNext` is pending: the OS user who asked, and when.
            var acceptNextBy: String?
            var acceptNextAt: Int64?
            var reviewUnsigned: String
            var reviewSigned: String
            var reviewCommand: String?
            var reviewTimeout: Int64
            /// The review settings in one line, as `zone status` prints them.
            var reviewText: String
            var transferMode: String
            var pollMode: String
            var contentCheckSeconds: Int64
            /// The group it carries in the catalog this signer produces (nil: the catalog-wide one).
            var catalogGroup: String? = nil
        }

        struct State: Encodable {
            var unsignedSerial: UInt32?
            var unsignedHash: String?
            var signedSerial: UInt32?
            var nextResign: Int64?
            var earliestExpiry: Int64?
            var lastPollAt: Int64?
            var lastPollResult: String?
            var lastSuccessAt: Int64?
            var lastChangeAt: Int64?
            var lastChangeSummary: String?
            var consecutiveFailures: Int
            var refusals: Int
            var lastRefusal: String?
            var expired: Bool
        }

        struct Key: Encodable {
            var keyTag: UInt16
            var role: String
            var algorithm: String
            var flags: UInt16
            var createdAt: Int64
        }

        struct Event: Encodable {
            var time: Int64
            var kind: String
            var severity: String
            var summary: String

            init(_ event: OperatorEvent) {
                time = event.time
                kind = event.kind.rawValue
                severity = event.severity.rawValue
                summary = event.summary
            }
        }

        var zone: String
        var settings: Settings
        var state: State
        var keys: [Key]?
        var downstream: DownstreamList?
        var recentEvents: [Event]?
        /// The key lifecycle's next event and why (`zone status`; `keys status` has the details).
        var nextKeyEvent: String? = nil
        /// The version under review or rejected by it (`zone status`).
        var pendingReview: PendingReview? = nil
        /// How far back IXFR can answer from (`zone status`); nil: empty, every IXFR gets the whole zone.
        var journal: JournalReach? = nil
        var version: Int64
        var createdAt: Int64
        var updatedAt: Int64

        init(_ stored: StoredZone, state: ZoneState, keys: [StoredKeyInfo]?, downstream: DownstreamList?, events: [Event]?) {
            let config = stored.config
            zone = config.origin.text
            settings = Settings(
                primaries: config.primaries.map(\.description), tsigKey: config.tsigKeyName, pollSeconds: config.pollSeconds,
                denial: config.denial.rawValue, optOut: config.optOut, algorithm: config.algorithm.mnemonic, csk: config.csk,
                shrinkLimit: config.shrinkLimit, allowSerialDecrease: config.allowSerialDecrease, acceptNext: config.acceptNext,
                signedSerialPolicy: config.signedSerialPolicy.rawValue, onExpire: config.expireAction.rawValue,
                refreshRequested: config.refreshRequested, growthLimit: config.growthLimit,
                growthMinRRsets: config.growthMinRRsets, acceptNextBy: config.acceptNextBy, acceptNextAt: config.acceptNextAt,
                reviewUnsigned: config.reviewUnsigned.rawValue, reviewSigned: config.reviewSigned.rawValue,
                reviewCommand: config.reviewCommand, reviewTimeout: config.reviewTimeout, reviewText: ReviewOptions.text(config),
                transferMode: config.transferMode.rawValue, pollMode: config.pollMode.rawValue,
                contentCheckSeconds: config.contentCheckSeconds)
            settings.catalogGroup = config.catalogGroup
            self.state = State(
                unsignedSerial: state.unsignedSerial, unsignedHash: state.unsignedHash.map(Base16.encode),
                signedSerial: state.signedSerial, nextResign: state.nextResign, earliestExpiry: state.earliestExpiry,
                lastPollAt: state.lastPollAt, lastPollResult: state.lastPollResult, lastSuccessAt: state.lastSuccessAt,
                lastChangeAt: state.lastChangeAt, lastChangeSummary: state.lastChangeSummary,
                consecutiveFailures: state.consecutiveFailures, refusals: state.refusals, lastRefusal: state.lastRefusal,
                expired: state.expired)
            self.keys = keys?.map {
                Key(keyTag: $0.keyTag, role: $0.role, algorithm: $0.algorithmName, flags: $0.flags, createdAt: $0.createdAt)
            }
            self.downstream = downstream
            recentEvents = events
            version = stored.version
            createdAt = stored.createdAt
            updatedAt = stored.updatedAt
        }

        /// The status page: what an operator checks first at the top, settings below.
        func text(now: Date) -> String {
            func time(_ value: Int64?) -> String { SignerStoreOptions.time(value, now: now) }
            var lines: [(String, String)] = []
            lines.append(("zone", zone + (state.expired ? "  EXPIRED: not served (no successful poll within SOA expire)" : "")))
            let unsigned = state.unsignedSerial.map(String.init) ?? "none yet"
            let signed = state.signedSerial.map(String.init) ?? "not signed yet"
            lines.append(("serials", "unsigned \(unsigned), signed \(signed)"))
            if let at = state.lastPollAt {
                lines.append(("last poll", "\(time(at)): \(state.lastPollResult ?? "?")"))
            } else {
                lines.append(("last poll", settings.refreshRequested ? "never (refresh requested)" : "never"))
            }
            if state.lastSuccessAt != state.lastPollAt || state.consecutiveFailures > 0 {
                lines.append(("last success", time(state.lastSuccessAt)
                    + (state.consecutiveFailures > 0 ? "; \(state.consecutiveFailures) failed polls in a row" : "")))
            }
            if let at = state.lastChangeAt {
                lines.append(("last change", "\(time(at)): \(state.lastChangeSummary ?? "")"))
            } else {
                lines.append(("last change", "none yet"))
            }
            lines.append(("next re-sign", state.nextResign.map(time) ?? "not signed yet"))
            lines.append(("earliest expiry", state.earliestExpiry.map(time) ?? "not signed yet"))
            if let keys {
                lines.append(("keys", keys.isEmpty ? "no keys yet: the zone has not been signed"
                    : keys.map { "\($0.role) \($0.keyTag) (\($0.algorithm))" }.joined(separator: ", ")))
            }
            if let nextKeyEvent { lines.append(("next key event", nextKeyEvent)) }
            lines.append(("refusals", state.refusals == 0 ? "none"
                : "\(state.refusals)" + (state.lastRefusal.map { ", last: \($0)" } ?? "")))
            lines.append(("primaries", settings.primaries.joined(separator: ", ")
                + (settings.tsigKey.map { " (TSIG key \($0))" } ?? "") + ", polled every "
                + SignerStoreOptions.duration(Int64(settings.pollSeconds))))
            lines.append(("transfers", (settings.transferMode == "ixfr" ? "IXFR (AXFR when the primary has none)" : "AXFR")
                + ", poll mode \(settings.pollMode), content check (AXFR) every "
                + SignerStoreOptions.duration(settings.contentCheckSeconds)))
            let denial = settings.denial == "nsec3" ? "NSEC3" + (settings.optOut ? " opt-out" : "") : "NSEC"
            lines.append(("signing", "\(denial), \(settings.algorithm), " + (settings.csk ? "CSK" : "KSK + ZSK")
                + ", signed serial \(settings.signedSerialPolicy)"))
            lines.append(("guards", settings.guardsText))
            if settings.acceptNext { lines.append(("accept-next", settings.acceptNextText(now: now))) }
            lines.append(("review", settings.reviewText))
            if let pendingReview { lines.append(("pending review", pendingReview.text(zone: zone, now: now))) }
            lines.append(("on expire", settings.onExpire))
            if let group = settings.catalogGroup { lines.append(("catalog group", "\(group) (in the catalog produced here)")) }
            if downstream != nil {
                lines.append(("journal", journal?.text ?? "empty (an IXFR gets the whole zone until the next change)"))
            }
            if let downstream {
                lines.append(("downstream", Report.downstreamLines(downstream).joined(separator: "\n" + String(repeating: " ", count: 17))))
            }
            if let recentEvents, !recentEvents.isEmpty {
                lines.append(("recent events", recentEvents.map { "\(time($0.time)) \($0.severity): \($0.summary)" }
                    .joined(separator: "\n" + String(repeating: " ", count: 17))))
            }
            return lines.map { label, value in
                (label + ":").padding(toLength: 17, withPad: " ", startingAt: 0) + value
            }.joined(separator: "\n")
        }

        static func downstreamLines(_ list: DownstreamList) -> [String] {
            if list.acl.isEmpty && list.notify.isEmpty { return ["none"] }
            let acl = list.acl.map { "transfer allowed from \($0.prefix)" + ($0.key.map { " with key \($0)" } ?? "") }
            let notify = list.notify.map {
                "NOTIFY to \(ListenAddress(host: $0.address, port: $0.port))" + ($0.key.map { " with key \($0)" } ?? "")
            }
            return acl + notify
        }
    }
}
