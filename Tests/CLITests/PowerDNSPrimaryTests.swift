import Foundation
import Testing

/// PowerDNS as the hidden primary instead of `dns-primary` (issue 6): Debian's `pdns_server` with the
/// bind backend holds the seed zone, apex and wildcard ALIAS in PowerDNS's own syntax, and expands them
/// on outgoing AXFR (`outgoing-axfr-expand-alias=yes`) through a local NSD serving the load balancer's
/// zone. `dns-signer`, configured exactly as for our primary, signs and serves what it transfers, follows
/// an edit (serial bump and a new record, reloaded with `pdns_control`) and a moved load balancer (no
/// serial change: PowerDNS expands ALIAS afresh on every transfer, so only a poll by content sees it).
@Suite(.serialized)
struct PowerDNSPrimaryTests {
    static func signed(_ value: String) -> (String) -> Bool {
        { $0.contains("status: NOERROR") && $0.contains(value) && $0.contains("RRSIG") }
    }

    @Test func theSignerSignsAndServesWhatPowerDNSTransfers() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("delv"),
              ExternalTool.require("pdns_server"), ExternalTool.require("pdns_control") else { return }
        let harness = try TwoTierHarness(name: "pdns-primary")
        let pdns = try PowerDNSPrimary(directory: harness.directory.appendingPathComponent("pdns"),
                                       port: harness.primaryPort, resolverPort: harness.upstreamPort)
        defer {
            pdns.stop()
            harness.cleanUp()
        }
        try harness.startUpstream(address: "192.0.2.10")
        try pdns.start(zoneFile: try String(contentsOfFile: TwoTierHarness.seed, encoding: .utf8))
        // PowerDNS itself hands out the expansion (and would fail the transfer if it could not resolve).
        let ready = TwoTierHarness.poll(20, { harness.dig(harness.primaryPort, ["+tcp", TwoTierHarness.zone, "AXFR"]) }, until: {
            $0.contains("192.0.2.10") && !$0.contains("Transfer failed")
        })
        try #require(ready.ok, "PowerDNS does not transfer the zone with its ALIAS expanded:\n\(ready.output)\n\(pdns.log)")
        #expect(!ready.output.contains("TYPE65401") && !ready.output.contains("ALIAS"), "expanded, not sent as is:\n\(ready.output)")

        try harness.addSignerZone(poll: "60s")
        try harness.startSigner()
        let apex = TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "A") }, until: Self.signed("192.0.2.10"))
        #expect(apex.ok, "the apex A expanded by PowerDNS is not served signed:\n\(apex.output)\n\(harness.logs)\n\(pdns.log)")
        let wildcard = harness.askSigner("agency.sites.infr.search.usa.gov.", "AAAA")
        #expect(Self.signed("2001:db8::10")(wildcard), "the wildcard ALIAS, expanded and signed:\n\(wildcard)")
        let anchor = try SignerDaemonTests.delvAnchor(harness)
        let validated = try SignerDaemonTests.delv(harness, anchor: anchor, TwoTierHarness.zone, "A")
        #expect(validated.contains("; fully validated") && validated.contains("192.0.2.10"), "delv:\n\(validated)")
        let firstSerial = try #require(harness.signerSerial())
        // `auto` (the default) asked PowerDNS's version.bind at the first poll and chose content polling:
        // PowerDNS changes ALIAS content without raising the serial.
        let chosen = TwoTierHarness.poll(10, { harness.signerLog }, until: { $0.contains("poll mode chosen") })
        #expect(chosen.output.contains("mode=content"), "auto must choose content polling for PowerDNS:\n\(harness.logs)")

        // An edit on the PowerDNS side: serial bump and a new record, reloaded by the bind backend.
        try pdns.editZone { text in
            text.replacingOccurrences(of: "2016070901 ; serial", with: "2016070902 ; serial")
                + "pdns-added 300 IN TXT \"edited on PowerDNS\"\n"
        }
        try harness.signerCLI(["zone", "refresh", TwoTierHarness.zone])
        let edit = TwoTierHarness.poll(15, { harness.askSigner("pdns-added.search.usa.gov.", "TXT") }, until: Self.signed("edited on PowerDNS"))
        #expect(edit.ok, "the record added on PowerDNS is not served signed:\n\(edit.output)\n\(harness.logs)\n\(pdns.log)")
        let editSerial = try #require(harness.signerSerial())
        #expect(editSerial > firstSerial, "a new signed version: \(editSerial) after \(firstSerial)")
        let status = try harness.signerCLI(["zone", "status", TwoTierHarness.zone, "--json"])
        let state = ((try? JSONSerialization.jsonObject(with: Data(status.utf8))) as? [String: Any])?["state"] as? [String: Any]
        #expect(state?["unsignedSerial"] as? Int == 2016070902, "the unsigned serial is PowerDNS's:\n\(status)")

        // The load balancer moves; PowerDNS's serial does not. Only the content of the transfer changes.
        try harness.startUpstream(address: "192.0.2.20", serial: 2)
        try harness.signerCLI(["zone", "refresh", TwoTierHarness.zone])
        let moved = TwoTierHarness.poll(15, { harness.askSigner(TwoTierHarness.zone, "A") }, until: Self.signed("192.0.2.20"))
        #expect(moved.ok, "the apex did not follow the load balancer behind PowerDNS:\n\(moved.output)\n\(harness.logs)\n\(pdns.log)")
        let movedWildcard = harness.askSigner("agency.sites.infr.search.usa.gov.", "A")
        #expect(Self.signed("192.0.2.20")(movedWildcard), "the wildcard follows too:\n\(movedWildcard)")
        let afterMove = try SignerDaemonTests.delv(harness, anchor: anchor, "agency.sites.infr.search.usa.gov.", "A")
        #expect(afterMove.contains("; fully validated") && afterMove.contains("192.0.2.20"), "delv:\n\(afterMove)")
    }
}

/// `pdns_server` in the foreground on 127.0.0.1, with its configuration, zone file and control socket
/// in the test's directory, stopped by PID.
final class PowerDNSPrimary: @unchecked Sendable {
    let directory: URL
    let port: Int
    let resolverPort: Int
    private var process: BackgroundProcess?
    private var runs = 0
    var dir: String { directory.path }
    var zoneFile: String { dir + "/search.usa.gov.zone" }

    init(directory: URL, port: Int, resolverPort: Int) throws {
        self.directory = directory
        self.port = port
        self.resolverPort = resolverPort
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func start(zoneFile text: String) throws {
        try text.write(toFile: zoneFile, atomically: true, encoding: .utf8)
        try "zone \"search.usa.gov\" { type master; file \"\(zoneFile)\"; };\n"
            .write(toFile: dir + "/named.conf", atomically: true, encoding: .utf8)
        // ALIAS is expanded through `resolver` (NSD, authoritative for the target), on AXFR-out and on
        // queries; no security polling (no network), no DNSSEC database (the signer signs).
        let config = """
            launch=bind
            bind-config=\(dir)/named.conf
            allow-axfr-ips=127.0.0.1
            disable-axfr=no
            outgoing-axfr-expand-alias=yes
            expand-alias=yes
            resolver=127.0.0.1:\(resolverPort)
            security-poll-suffix=
            loglevel=5

            """
        try config.write(toFile: dir + "/pdns.conf", atomically: true, encoding: .utf8)
        runs += 1
        process = try BackgroundProcess("pdns_server", [
            "--config-dir=\(dir)", "--socket-dir=\(dir)", "--local-address=127.0.0.1:\(port)",
            "--guardian=no", "--daemon=no", "--disable-syslog", "--write-pid=no",
        ], log: directory.appendingPathComponent("pdns\(runs).log"))
    }

    /// Rewrites the zone file and has the bind backend reload it now.
    func editZone(_ edit: (String) -> String) throws {
        let text = try String(contentsOfFile: zoneFile, encoding: .utf8)
        try edit(text).write(toFile: zoneFile, atomically: true, encoding: .utf8)
        let output = try ExternalTool.run("pdns_control", ["--socket-dir=\(dir)", "bind-reload-now", "search.usa.gov"], timeout: 30)
        #expect(output.contains("parsed into memory"), "pdns_control bind-reload-now: \(output)")
    }

    var log: String {
        "=== pdns\n" + String((process?.log ?? "").suffix(3000))
    }

    func stop() {
        process?.stop()
        process = nil
    }
}
