import DaemonKit
import DNSCore
import Foundation
import Testing

@testable import Primary

/// Operator notifications from the hidden primary, end to end with the real binary: `dns-primary serve`
/// with `--webhook` beside a real NSD playing the load balancer's DNS (PrimaryTestBed), delivering to the
/// Python webhook receiver that verifies the Standard Webhooks signature with its own code
/// (SignerNotificationTests.Receiver, Tests/Fixtures/webhook_receiver.py); and `dns-primary notify test`,
/// which shares its code with `dns-signer notify test`.
@Suite(.serialized)
struct PrimaryNotificationTests {
    typealias Receiver = SignerNotificationTests.Receiver
    static let secret = SignerNotificationTests.secret
    static let zone = "alias.test."
    static let target = "www.lb.test."

    /// The load balancer's zone: `www` resolves while `present`, and is gone (NXDOMAIN) otherwise.
    static func lbZone(serial: Int, present: Bool) -> String {
        """
        $ORIGIN lb.test.
        $TTL 2
        @ SOA ns hostmaster \(serial) 3600 600 86400 2
        @ NS ns
        ns A 127.0.0.1

        """ + (present ? "www A 192.0.2.10\n" : "")
    }

    static func types(_ requests: [Receiver.Request]) -> [String] { requests.compactMap { $0.body?.type } }

    /// Waits (at most 30 s) until the zone's AXFR carries the target's address.
    static func expectResolving(_ bed: PrimaryTestBed, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = PrimaryTestBed.poll(30, { bed.axfr(zone) }) { AXFRResult($0).rrset(zone, "A") == ["\(zone) 2 IN A 192.0.2.10"] }
        #expect(result.ok, "\(zone) serves its expansion:\n\(result.output)\n\(bed.primaryLog)", sourceLocation: sourceLocation)
    }

    /// Waits (bounded) for the receiver to have logged exactly `expected` event types; then, after several
    /// more refresh rounds (`--refresh 1 --retry 1`), checks that nothing else arrived.
    static func expectReceived(_ receiver: Receiver, _ expected: [String], within seconds: Double, _ bed: PrimaryTestBed,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let got = SignerNotificationTests.waitFor(seconds, receiver.requests, until: { types($0).count >= expected.count })
        #expect(types(got.value) == expected, "received \(types(got.value)):\n\(bed.primaryLog)", sourceLocation: sourceLocation)
        Thread.sleep(forTimeInterval: 4)
        #expect(types(receiver.requests()) == expected, "no repeats over later refresh rounds", sourceLocation: sourceLocation)
    }

    // MARK: 1. alias.failing / alias.recovered by webhook

    @Test func aliasTargetFailingAndRecoveringIsToldOnceEachBySignedWebhook() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("python3") else { return }
        let bed = try PrimaryTestBed("primary-notify")
        let receiver = try Receiver.start(in: bed.directory)
        defer {
            bed.stopPrimary()
            receiver.stop()
        }
        try bed.startUpstream(zones: ["lb.test": Self.lbZone(serial: 1, present: true)])
        try bed.must(["zone", "create", Self.zone, "--ns", "ns1.example.net.", "--alias-failure", "fail"])
        try bed.must(["record", "add", Self.zone, "@", "60", "ALIAS", Self.target])
        try bed.startPrimary(["--webhook", receiver.url, "--webhook-secret", Self.secret])
        Self.expectResolving(bed)
        #expect(bed.primaryLog.contains("notification worker started"), "\(bed.primaryLog)")
        #expect(receiver.requests().isEmpty, "nothing to tell while the target resolves: \(Self.types(receiver.requests()))")

        // The name is removed from the load balancer's zone: NXDOMAIN, one alias.failing.
        try bed.startUpstream(zones: ["lb.test": Self.lbZone(serial: 2, present: false)])
        Self.expectReceived(receiver, ["alias.failing"], within: 30, bed)
        let failing = try #require(receiver.requests().first)
        #expect(failing.verified && failing.status == 204, "signature verified by the receiver: \(failing.reason)")
        let body = try #require(failing.body)
        #expect(failing.id == body.id, "webhook-id is the event's id")
        #expect(body.zone == Self.zone && body.severity == "critical", "under `fail` transfers stop: \(body)")
        #expect(body.details["owner"] == Self.zone && body.details["target"] == Self.target, "\(body.details)")
        #expect(body.details["reason"] == "NXDOMAIN", "\(body.details)")
        #expect(body.summary.contains(Self.target) && body.summary.contains("NXDOMAIN"), "a sentence a person reads: \(body.summary)")

        // It resolves again: one alias.recovered.
        try bed.startUpstream(zones: ["lb.test": Self.lbZone(serial: 3, present: true)])
        Self.expectResolving(bed)
        Self.expectReceived(receiver, ["alias.failing", "alias.recovered"], within: 20, bed)
        let recovered = try #require(receiver.requests().last?.body)
        #expect(recovered.details["owner"] == Self.zone && recovered.details["target"] == Self.target
                && recovered.details["was"] == "NXDOMAIN", "the recovery names what recovered: \(recovered.details)")
        #expect(recovered.summary.contains(Self.target), "\(recovered.summary)")

        // The upstream stops answering (timeouts): a second change of state, told once again.
        bed.stopUpstream()
        Self.expectReceived(receiver, ["alias.failing", "alias.recovered", "alias.failing"], within: 40, bed)
        let timedOut = try #require(receiver.requests().last?.body)
        #expect(timedOut.details["target"] == Self.target && timedOut.details["reason"]?.contains("timed out") == true,
                "\(timedOut.details)")
        try bed.startUpstream(zones: ["lb.test": Self.lbZone(serial: 4, present: true)])
        Self.expectResolving(bed)
        Self.expectReceived(receiver, ["alias.failing", "alias.recovered", "alias.failing", "alias.recovered"], within: 20, bed)

        // What arrived is the outbox, every event once, in order, every request verified.
        let all = receiver.requests()
        #expect(all.allSatisfy { $0.verified && $0.status == 204 }, "\(all.map(\.reason))")
        let ids = all.compactMap(\.id)
        let outbox = try bed.store().recentEvents(zone: Self.zone).map(\.id).reversed()
        #expect(ids == Array(outbox) && Set(ids).count == 4, "received \(ids), outbox \(Array(outbox))")
    }

    // MARK: 2. notify test

    @Test func notifyTestReportsEachChannelAndFailsForADeadOne() throws {
        guard ExternalTool.require("python3") else { return }
        let bed = try PrimaryTestBed("primary-notify-test")
        let receiver = try Receiver.start(in: bed.directory)
        defer { receiver.stop() }

        // A flag channel and a config-file channel, both delivered to the live receiver.
        let config = bed.dir + "/primary.conf"
        try """
            database \(bed.db)

            [webhook ops]
            url "\(receiver.url)"
            secret "\(Self.secret)"
            min-severity warning
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let live = try bed.cli(["notify", "test", "--config", config, "--webhook", receiver.url, "--webhook-secret", Self.secret])
        #expect(live.status == 0, "\(live.output)")
        #expect(live.output.contains("webhook 'ops' (\(receiver.url)): delivered (HTTP 204)"), "\(live.output)")
        #expect(live.output.contains("webhook 'webhook' (\(receiver.url)): delivered (HTTP 204)"), "\(live.output)")
        let requests = receiver.requests()
        #expect(requests.count == 2 && requests.allSatisfy { $0.verified && $0.body?.type == "test" && $0.body?.zone == nil },
                "\(requests.map { ($0.verified, $0.reason, $0.body?.type ?? "-") })")
        #expect(requests.allSatisfy { $0.body?.summary.contains("from dns-primary") == true }, "\(requests.map { $0.body?.summary ?? "-" })")
        // The admin commands read the same file, sections and all.
        let list = try bed.cli(["zone", "list", "--config", config])
        #expect(list.status == 0, "a config file with channels is one every command takes: \(list.output)")

        // --json for scripts.
        let json = try bed.cli(["notify", "test", "--json", "--webhook", receiver.url, "--webhook-secret", Self.secret])
        #expect(json.status == 0, "\(json.output)")
        struct Result: Decodable { var channel: String; var kind: String; var target: String; var delivered: Bool; var result: String }
        let results = try JSONDecoder().decode([Result].self, from: Data(json.output.utf8))
        #expect(results.map(\.channel) == ["webhook"] && results.allSatisfy { $0.delivered && $0.kind == "webhook" && $0.target == receiver.url })

        // Nothing listens on this port: exit 1, the channel and the reason on its line, the count after.
        let deadURL = "http://127.0.0.1:\(try FreePort.next())/ok"
        let dead = try bed.cli(["notify", "test", "--webhook", deadURL, "--webhook-secret", Self.secret])
        #expect(dead.status == 1, "\(dead.output)")
        #expect(dead.output.contains("webhook 'webhook' (\(deadURL)): failed"), "\(dead.output)")
        #expect(dead.output.contains("dns-primary: 1 of 1 notification channel(s) failed"), "\(dead.output)")

        // One dead among live ones still fails the command, and the live one is still reported delivered.
        let mixed = try bed.cli(["notify", "test", "--config", config, "--webhook", deadURL, "--webhook-secret", Self.secret])
        #expect(mixed.status == 1, "\(mixed.output)")
        #expect(mixed.output.contains("webhook 'ops' (\(receiver.url)): delivered"), "\(mixed.output)")
        #expect(mixed.output.contains("dns-primary: 1 of 2 notification channel(s) failed"), "\(mixed.output)")
    }

    // MARK: 3. Bad flags and channel sections

    @Test(arguments: [
        (["serve", "--webhook", "http://127.0.0.1:9/ok"], "--webhook needs one of --webhook-secret or --webhook-secret-file"),
        (["notify", "test", "--webhook", "http://127.0.0.1:9/ok"], "--webhook needs one of --webhook-secret or --webhook-secret-file"),
        (["serve", "--webhook-secret", "s"], "--webhook-secret needs --webhook URL"),
        (["serve", "--smtp", "127.0.0.1:25"], "email notifications need --mail-from ADDRESS and at least one --mail-to ADDRESS"),
        (["notify", "test", "--mail-to", "ops@example.com"], "--mail-from and --mail-to need --smtp HOST[:PORT] or --sendmail COMMAND"),
        (["serve", "--smtp", "127.0.0.1:25", "--smtp-tls", "--smtp-starttls", "--mail-from", "a@example.com", "--mail-to", "b@example.com"],
         "give --smtp-starttls or --smtp-tls, not both"),
        (["notify", "test", "--webhook", "ftp://127.0.0.1/x", "--webhook-secret", "s"],
         "webhook URL 'ftp://127.0.0.1/x' must be an http:// or https:// URL"),
        (["notify", "test", "--notify-min-severity", "loud", "--webhook", "http://127.0.0.1:9/ok", "--webhook-secret", "s"],
         "--notify-min-severity loud: use info, warning or critical"),
        (["notify", "test"], "no notification channels"),
    ])
    func badNotificationFlagsAreRefusedWithTheReason(arguments: [String], message: String) throws {
        let bed = try PrimaryTestBed("primary-notify-flags")
        let serveArguments = arguments.first == "serve"
            ? ["--listen", "127.0.0.1:\(bed.port)", "--resolver", "127.0.0.1:\(bed.upstreamPort)"] : []
        let result = try bed.cli(arguments + serveArguments)
        #expect(result.status != 0, "\(arguments) was accepted: \(result.output)")
        #expect(result.output.contains(message), "\(arguments): \(result.output)")
        #expect(!result.output.contains("listening"), "refused before serving: \(result.output)")
    }

    @Test func badChannelSectionsAreRefusedWithFileAndLine() throws {
        let bed = try PrimaryTestBed("primary-notify-config")
        let config = bed.dir + "/primary.conf"
        let serve = ["serve", "--config", config, "--listen", "127.0.0.1:\(bed.port)", "--resolver", "127.0.0.1:\(bed.upstreamPort)"]

        // A misspelt key: every command refuses the file, naming file:line.
        try "[webhook ops]\nurl http://127.0.0.1:9/ok\nsecrte \"\(Self.secret)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        for arguments in [serve, ["notify", "test", "--config", config], ["zone", "list", "--config", config]] {
            let result = try bed.cli(arguments)
            #expect(result.status != 0 && result.output.contains("\(config):3: unknown key 'secrte' in [webhook ops] (did you mean 'secret'?)"),
                    "\(arguments): \(result.output)")
        }

        // A channel without its secret: serve and notify test refuse it before doing anything.
        try "[webhook ops]\nurl http://127.0.0.1:9/ok\n".write(toFile: config, atomically: true, encoding: .utf8)
        for arguments in [serve, ["notify", "test", "--config", config]] {
            let result = try bed.cli(arguments)
            #expect(result.status != 0 && result.output.contains("\(config):1: [webhook ops] needs 'secret'"), "\(arguments): \(result.output)")
            #expect(!result.output.contains("listening"), "\(result.output)")
        }

        // How long the outbox keeps settled events: read from the file, a bad value refused at its line.
        let history = try ConfigFile.parse("notification-history-days 7\n[webhook ops]\nurl http://127.0.0.1:9/ok\nsecret s\n",
                                           file: "p.conf")
        try history.validate(allowedKeys: ConfigFile.primaryKeys, sections: ConfigFile.primarySections)
        let settings = try PrimaryServeSettings(flags: .init(), config: history, systemResolvers: { ["192.0.2.53"] })
        #expect(settings.notificationWorker.historySeconds == 7 * 86_400)
        let defaults = try PrimaryServeSettings(flags: .init(), config: .empty, systemResolvers: { ["192.0.2.53"] })
        #expect(defaults.notificationWorker.historySeconds == 30 * 86_400, "30 days unless the file says otherwise")
        try "notification-history-days forever\n".write(toFile: config, atomically: true, encoding: .utf8)
        let forever = try bed.cli(serve)
        #expect(forever.status != 0 && forever.output.contains("\(config):1: notification-history-days:"), "\(forever.output)")

        // An unknown section kind.
        try "[pager ops]\nnumber 5\n".write(toFile: config, atomically: true, encoding: .utf8)
        let pager = try bed.cli(serve)
        #expect(pager.status != 0 && pager.output.contains("\(config):1: unknown section kind 'pager'; expected one of: sendmail, smtp, webhook"),
                "\(pager.output)")
    }
}
