import ArgumentParser
import DNSCore
import Foundation

/// What the key lifecycle shows and takes from operators: `keys status`, `keys plan`, `keys roll`,
/// `keys ds-seen`, `keys ds-gone`. Requests are checked here against the stored lifecycle (a refusal says
/// why and changes nothing) and queued for the running daemon, which takes them within a second.
extension KeysCommand {
    /// The stored lifecycle, policy and TTL facts of a zone, as the daemon would see them.
    struct View {
        var origin: DomainName
        var config: SignerZoneConfig
        var lifecycle: KeyLifecycle
        var facts: ZoneTTLFacts
        var pending: [SignerStore.QueuedKeyRequest]

        init(_ store: SignerStoreOptions, zone: String) throws {
            origin = try SignerStore.zoneName(zone)
            let signer = try store.open()
            config = try signer.storedZone(origin.text).config
            if let stored = try signer.keyLifecycle(zone: origin.text) {
                lifecycle = stored
            } else {
                lifecycle = KeyLifecycle.adopting(try signer.keyInfo(zone: origin.text).map { ($0.keyTag, $0.algorithm, $0.flags, $0.createdAt) },
                                                  csk: config.csk)
            }
            facts = try signer.published(zone: origin.text).map { ZoneTTLFacts(zone: $0.signed) }
                ?? ZoneTTLFacts(dnskeyTTL: 3600, maxZoneTTL: 86_400)
            pending = try signer.keyRequests(zone: origin.text)
        }

        var policy: KeyPolicy { config.keyPolicy }

        /// "2026-12-08 10:00Z (in 3h): switch: waiting until …", or what holds when nothing is scheduled.
        func nextEventSentence(now: Int64) -> String {
            let reason = KeyLifecycleText.reason(lifecycle, policy: policy, facts: facts, now: now)
            guard let next = lifecycle.nextDeadline(policy: policy, facts: facts) else { return reason }
            return "\(SignerStoreOptions.time(next)): \(reason)"
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Each key's role and state since when, the rollover in progress and its next step with the reason.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String

        struct Report: Encodable {
            struct Key: Encodable {
                var keyTag: UInt16
                var role: String
                var algorithm: UInt8
                var state: String
                var since: Int64
                var activeSince: Int64?
            }
            struct Progress: Encodable {
                var kind: String
                var step: String
                var stepStarted: Int64
                var nextAt: Int64?
                var reason: String
                var parent: String?
            }
            var zone: String
            var insecure: Bool
            var keys: [Key]
            var rollover: Progress?
            var nextEventAt: Int64?
            var pendingRequests: [String]

            enum CodingKeys: String, CodingKey { case zone, insecure, keys, rollover, nextEventAt, pendingRequests }

            /// `rollover` and `nextEventAt` are written as null when absent, so scripts can test for them.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(zone, forKey: .zone)
                try container.encode(insecure, forKey: .insecure)
                try container.encode(keys, forKey: .keys)
                try container.encode(rollover, forKey: .rollover)
                try container.encode(nextEventAt, forKey: .nextEventAt)
                try container.encode(pendingRequests, forKey: .pendingRequests)
            }
        }

        func run() throws {
            let view = try View(store, zone: zone)
            let now = Int64(Date().timeIntervalSince1970)
            let report = Self.report(view, now: now)
            try store.emit(report) { Self.text(report, view: view, now: now) }
        }

        static func report(_ view: View, now: Int64) -> Report {
            let next = view.lifecycle.nextDeadline(policy: view.policy, facts: view.facts)
            let progress = view.lifecycle.rollover.map { rollover in
                Report.Progress(kind: rollover.kind.rawValue, step: rollover.currentStep.name, stepStarted: rollover.stepStarted,
                                nextAt: next, reason: KeyLifecycleText.reason(view.lifecycle, policy: view.policy, facts: view.facts, now: now),
                                parent: rollover.parentReport)
            }
            return Report(
                zone: view.origin.text, insecure: view.lifecycle.insecure,
                keys: view.lifecycle.keys.map {
                    .init(keyTag: $0.tag, role: $0.role.label, algorithm: $0.algorithm, state: $0.state.rawValue, since: $0.since,
                          activeSince: $0.activeSince)
                },
                rollover: progress, nextEventAt: next, pendingRequests: view.pending.map { "\($0.request) by \($0.by)" })
        }

        static func text(_ report: Report, view: View, now: Int64) -> String {
            var lines: [String] = []
            if report.keys.isEmpty { lines.append("\(report.zone): no keys yet (they are made at the first signing)") }
            if report.insecure { lines.append("\(report.zone): served without DNSSEC (zone set --signed turns it back on)") }
            for key in view.lifecycle.keys where key.isLive || key.since > now - 30 * 86_400 {
                lines.append("\(key.role.label)\t\(key.tag)\t\(key.algorithmName)\t\(key.state.rawValue) since \(SignerStoreOptions.time(key.since))")
            }
            if let rollover = view.lifecycle.rollover {
                let steps = Rollover.steps(rollover.kind)
                lines.append("rollover: \(rollover.kind.rawValue), step \(rollover.step + 1) of \(steps.count) (\(rollover.currentStep.name)) since "
                    + SignerStoreOptions.time(rollover.stepStarted) + "; started \(SignerStoreOptions.time(rollover.started)): \(rollover.reason)")
                lines.append("next: " + (report.nextEventAt.map { SignerStoreOptions.time($0) } ?? "-") + " — " + (report.rollover?.reason ?? ""))
            } else if let next = report.nextEventAt {
                lines.append("next key event: \(SignerStoreOptions.time(next)) — " + KeyLifecycleText.reason(view.lifecycle, policy: view.policy, facts: view.facts, now: now))
            } else {
                lines.append("no rollover scheduled (no lifetimes set)")
            }
            for request in report.pendingRequests { lines.append("waiting for the daemon: \(request)") }
            return lines.joined(separator: "\n")
        }
    }

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the timeline of the next (or the given) rollover before it starts, from the zone's TTLs and settings.")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "zsk, ksk, csk, key-set or unsign (default: the one in progress, else the next scheduled, else zsk or csk).")
        var kind: String?

        func run() throws {
            let view = try View(store, zone: zone)
            let now = Int64(Date().timeIntervalSince1970)
            let chosen: Rollover.Kind
            if let kind {
                guard let parsed = Rollover.Kind(rawValue: kind) else {
                    throw ValidationError("unknown rollover \(kind): use zsk, ksk, csk, key-set or unsign")
                }
                chosen = parsed
            } else {
                chosen = view.lifecycle.rollover?.kind ?? (view.lifecycle.liveKeys.contains { $0.role == .csk } ? .csk : .zsk)
            }
            let start = view.lifecycle.rollover?.kind == chosen ? view.lifecycle.rollover!.started
                : max(now, view.lifecycle.nextDeadline(policy: view.policy, facts: view.facts) ?? now)
            let lines = KeyLifecycleText.plan(chosen, start: start, policy: view.policy, facts: view.facts)
            try store.emit(lines.map { ["at": "\($0.at)", "step": $0.step, "what": $0.what] }) {
                (["\(view.origin.text): \(chosen.rawValue) rollover, DNSKEY TTL \(view.facts.dnskeyTTL)s, largest TTL \(view.facts.maxZoneTTL)s, "
                    + "propagation delay \(view.policy.propagationDelay)s, parent DS TTL "
                    + (view.policy.parentDSTTL.map { "\($0)s" } ?? "read from the parent (\(KeyPolicy.fallbackDSTTL)s assumed here)")]
                 + lines.map { "\(SignerStoreOptions.time($0.at))\t\($0.step)\t\($0.what)" }).joined(separator: "\n")
            }
        }
    }

    struct Roll: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a ZSK, KSK or CSK rollover now (the running daemon takes it within a second).")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "zsk, ksk or csk.") var kind: String

        func run() throws {
            guard let parsed = Rollover.Kind(rawValue: kind), [.zsk, .ksk, .csk].contains(parsed) else {
                throw ValidationError("unknown rollover \(kind): use zsk, ksk or csk (`zone set --algorithm/--csk` for a key-set rollover)")
            }
            try KeysCommand.queue(store, zone: zone, .roll(parsed), done: "\(parsed.rawValue) rollover requested")
        }
    }

    struct DSSeen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ds-seen",
            abstract: "Confirm that the parent publishes the DS of the new KSK/CSK (for parents the signer cannot query).")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "The key tag of the new KSK or CSK.") var tag: UInt16

        func run() throws {
            try KeysCommand.queue(store, zone: zone, .dsSeen(tag: tag), done: "DS of \(tag) confirmed; the rollover waits the DS TTL, then goes on")
        }
    }

    struct DSGone: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ds-gone", abstract: "Confirm that the parent no longer publishes the zone's DS (going unsigned).")
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "The key tag of the zone's KSK or CSK.") var tag: UInt16

        func run() throws {
            try KeysCommand.queue(store, zone: zone, .dsGone(tag: tag), done: "DS removal confirmed; signing stops after the DS TTL")
        }
    }

    static func queue(_ store: SignerStoreOptions, zone: String, _ request: KeyLifecycle.Request, done: String) throws {
        let origin = try SignerStore.zoneName(zone)
        let user = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"
        try store.open().queueKeyRequest(zone: origin.text, request, by: user, now: Date())
        try store.emit(["zone": origin.text, "request": "\(request)", "result": "queued"]) {
            "\(origin.text): \(done) (a running daemon takes it within a second; `dns-signer keys status \(origin.text)` follows it)"
        }
    }
}
