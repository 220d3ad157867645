import ArgumentParser
import DNSCore
import DNSEdge

/// The key lifecycle's and the poll mode's settings, shared by `zone add` and `zone set` (only those
/// given change).
struct KeyPolicyOptions: ParsableArguments {
    @Option(name: .customLong("zsk-lifetime"), help: "Roll the ZSK automatically after this long in use: 30d, 90d, 12h, or none (default 90d).")
    var zskLifetime: String?
    @Option(name: .customLong("ksk-lifetime"), help: "Roll the KSK (or CSK) automatically after this long; none (default): only with `keys roll`.")
    var kskLifetime: String?
    @Option(name: .customLong("propagation-delay"), help: "Time for a new version to reach every server of the zone and of the parent (default 1h).")
    var propagationDelay: String?
    @Option(name: .customLong("parent-ds-ttl"), help: "The parent's DS TTL, if it should not be read from the parent's answers; 'auto' reads it (default).")
    var parentDSTTL: String?
    @Option(name: .customLong("parent-server"), help: "A server of the parent zone to check for our DS, ADDR[:PORT]. Repeatable; replaces the list. Default: found through --parent-resolver.")
    var parentServers: [String] = []
    @Flag(name: .customLong("no-parent-server"), help: "Forget the parent servers given before: find them through the resolver.")
    var noParentServer = false
    @Option(name: .customLong("ds-check-interval"), help: "How often the parent is asked for our DS while a rollover waits for it (default 10m).")
    var dsCheckInterval: String?
    @Flag(name: .long, help: "Serve the zone without DNSSEC; a signed zone goes there safely: CDS/CDNSKEY DELETE, then the DS removed, then no signatures.")
    var unsigned = false
    @Flag(name: .long, help: "Sign the zone again after --unsigned (new keys, a new DS for the registrar).")
    var signed = false

    @Option(name: .customLong("poll-mode"), help: "How polls notice changes: serial (an SOA query; a transfer when the serial moved, on NOTIFY, or at the content check), content (a full transfer compared by content every poll, for primaries that change content without raising the serial, as PowerDNS expanding ALIAS), or auto (default: content for PowerDNS, serial otherwise).")
    var pollMode: String?
    @Option(name: .customLong("content-check"), help: "In serial mode, a full transfer compared by content at least this often (default 1h).")
    var contentCheck: String?
    @Option(name: .customLong("transfer"), help: "How a changed zone is transferred: ixfr (default: only the changes, RFC 1995; AXFR when the primary has no IXFR or sends the whole zone; the content check is an AXFR that proves the result) or axfr (always the whole zone).")
    var transfer: String?

    func apply(to changes: inout SignerZoneChanges, zone: String) throws {
        let parse = ZoneCommand.SettingsParser(zone: zone)
        if let pollMode {
            guard let mode = SignerZoneConfig.PollMode(rawValue: pollMode) else {
                throw parse.bad("--poll-mode \(pollMode)", "use auto, serial or content")
            }
            changes.pollMode = mode
        }
        if let transfer {
            guard let mode = SignerZoneConfig.TransferMode(rawValue: transfer) else {
                throw parse.bad("--transfer \(transfer)", "use ixfr or axfr")
            }
            changes.transferMode = mode
        }
        if let contentCheck { changes.contentCheckSeconds = try Self.duration(contentCheck, "--content-check", parse, zero: false) }
        if let zskLifetime { changes.zskLifetime = .some(try Self.lifetime(zskLifetime, "--zsk-lifetime", parse)) }
        if let kskLifetime { changes.kskLifetime = .some(try Self.lifetime(kskLifetime, "--ksk-lifetime", parse)) }
        if let propagationDelay { changes.propagationDelay = try Self.duration(propagationDelay, "--propagation-delay", parse, zero: true) }
        if let parentDSTTL {
            changes.parentDSTTL = .some(parentDSTTL == "auto" ? nil : try Self.duration(parentDSTTL, "--parent-ds-ttl", parse, zero: true))
        }
        if !parentServers.isEmpty && noParentServer { throw parse.bad("--parent-server/--no-parent-server", "give one of them, not both") }
        if !parentServers.isEmpty {
            changes.parentServers = try parentServers.map { text in
                do { return try ListenAddress(parsing: text) } catch { throw parse.bad("--parent-server \(text)", "\(error)") }
            }
        }
        if noParentServer { changes.parentServers = [] }
        if let dsCheckInterval { changes.dsCheckInterval = try Self.duration(dsCheckInterval, "--ds-check-interval", parse, zero: false) }
        if unsigned && signed { throw parse.bad("--unsigned/--signed", "give one of them, not both") }
        if unsigned { changes.unsigned = true }
        if signed { changes.unsigned = false }
    }

    /// Seconds, or nil for `none`.
    static func lifetime(_ text: String, _ flag: String, _ parse: ZoneCommand.SettingsParser) throws -> Int64? {
        if text == "none" { return nil }
        return try duration(text, flag, parse, zero: false)
    }

    static func duration(_ text: String, _ flag: String, _ parse: ZoneCommand.SettingsParser, zero: Bool) throws -> Int64 {
        guard let seconds = TTLText.parse(text), zero || seconds > 0 else {
            throw parse.bad("\(flag) \(text)", "expected a duration like 30s, 10m, 1h, 90d\(zero ? "" : " (above 0)")")
        }
        return Int64(seconds)
    }
}
