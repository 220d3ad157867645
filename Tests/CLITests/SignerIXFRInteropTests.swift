import DNSCore
import Foundation
import Testing

/// IXFR in from real primaries with journals, TSIG on: Knot (`zonefile-load: difference`), BIND
/// (`ixfr-from-differences yes`) and `dns-primary`. Three changes — the apex A, a new name, a removed
/// name — each reach `dns-signer` as IXFR (our log and status, and the primary's log, say so), and what
/// the signer then serves is the primary's zone (a fresh AXFR of it, compared record by record without
/// the DNSSEC records and the SOA serial) signed so that `ldns-verify-zone` accepts it.
@Suite(.serialized)
struct SignerIXFRInteropTests {
    static let zone = TwoTierHarness.zone
    static let secret = "aXhmci1pbi10ZXN0LXNlY3JldC0zMi1ieXRlcy0hIQ=="

    /// The zone file for `serial`: apex A `apex`, `www`, host0…host29 (less `removed`), and `extra` names.
    static func zoneFile(serial: Int, apex: String, removed: Set<String> = [], extra: [String] = []) -> String {
        var lines = [
            "$ORIGIN \(zone)", "$TTL 300",
            "@ 3600 IN SOA ns1 hostmaster \(serial) 3600 900 1209600 300",
            "@ 3600 IN NS ns1", "@ 3600 IN NS ns2", "@ IN A \(apex)", "ns1 IN A 192.0.2.53", "ns2 IN A 198.51.100.53",
            "www IN CNAME host0",
        ]
        for i in 0..<30 where !removed.contains("host\(i)") { lines.append("host\(i) IN A 198.51.100.\(i + 1)") }
        lines += extra
        return lines.joined(separator: "\n") + "\n"
    }

    enum Primary: String, CaseIterable { case knot, bind }

    /// A Knot or BIND primary for the zone, on `port`, with the zone file at `file`, TSIG on transfers.
    final class Daemon {
        let kind: Primary
        let dir: String
        let port: Int
        var file: String { dir + "/zone.db" }
        private var process: BackgroundProcess?

        init(_ kind: Primary, dir: String, port: Int) {
            self.kind = kind
            self.dir = dir
            self.port = port
        }

        func start(zoneFile: String) throws {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try zoneFile.write(toFile: file, atomically: true, encoding: .utf8)
            switch kind {
            case .knot:
                try (SecondaryConfig.knotServer(directory: dir, address: "127.0.0.1", port: port) + """
                    key:
                      - id: transfer-key
                        algorithm: hmac-sha256
                        secret: \(SignerIXFRInteropTests.secret)
                    acl:
                      - id: signer
                        address: 127.0.0.0/8
                        key: transfer-key
                        action: transfer
                    zone:
                      - domain: \(SignerIXFRInteropTests.zone)
                        storage: "\(dir)"
                        file: "\(file)"
                        zonefile-sync: -1
                        zonefile-load: difference
                        journal-content: changes
                        acl: signer

                    """).write(toFile: dir + "/knot.conf", atomically: true, encoding: .utf8)
                process = try BackgroundProcess("knotd", ["-c", dir + "/knot.conf"], log: URL(fileURLWithPath: dir + "/knot.log"))
            case .bind:
                try """
                    \(SecondaryConfig.bindOptions(directory: dir, port: port))
                    key "transfer-key" { algorithm hmac-sha256; secret "\(SignerIXFRInteropTests.secret)"; };
                    logging { category xfer-out { default_stderr; }; category default { default_stderr; }; };
                    zone "\(SignerIXFRInteropTests.zone)" {
                        type primary;
                        file "\(file)";
                        ixfr-from-differences yes;
                        max-ixfr-ratio unlimited;
                        allow-transfer { key transfer-key; };
                    };

                    """.write(toFile: dir + "/named.conf", atomically: true, encoding: .utf8)
                process = try BackgroundProcess("named", ["-g", "-n", "1", "-c", dir + "/named.conf"],
                                                log: URL(fileURLWithPath: dir + "/named.log"))
            }
        }

        /// Writes the new zone file and has the daemon load it (the journal gets the difference).
        func load(_ zoneFile: String) throws {
            try zoneFile.write(toFile: file, atomically: true, encoding: .utf8)
            switch kind {
            case .knot: _ = try ExternalTool.run("knotc", ["-s", dir + "/knot.sock", "zone-reload", SignerIXFRInteropTests.zone], timeout: 30)
            case .bind: if let process { kill(process.process.processIdentifier, SIGHUP) }
            }
        }

        /// Outgoing IXFRs the daemon logged.
        var ixfrsLogged: Int {
            let log = process?.log ?? ""
            // Knot: "IXFR, outgoing, remote …, started, serial 1 -> 2"; BIND: "IXFR started: TSIG … (serial 1 -> 2)"
            // ("AXFR-style IXFR started" when it sends the whole zone).
            let marker = kind == .knot ? "IXFR, outgoing" : "IXFR started"
            return log.components(separatedBy: "\n").filter { $0.contains(marker) && $0.contains("started") && !$0.contains("AXFR") }.count
        }

        var log: String { String((process?.log ?? "").suffix(3000)) }

        func stop() { process?.stop() }
    }

    /// The records of an AXFR from dig, one normalised line each, without the closing SOA, the DNSSEC
    /// records, the TSIG and the SOA serial (the signer's is its own).
    static func content(_ axfr: String) -> [String] {
        let skipped: Set<String> = ["RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY", "TSIG"]
        var lines: [String] = []
        for line in axfr.split(separator: "\n") where !line.hasPrefix(";") {
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 5, !skipped.contains(fields[3]) else { continue }
            if fields[3] == "SOA", fields.count >= 7 { fields[6] = "-" }
            lines.append(fields.joined(separator: " ").lowercased())
        }
        return Array(Set(lines)).sorted()
    }

    /// What the signer serves is the primary's zone (a fresh AXFR of it with the key), signed so that
    /// `ldns-verify-zone` accepts it.
    static func expectServesPrimaryZone(_ harness: TwoTierHarness, primaryPort: Int, _ label: String,
                                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let theirs = harness.dig(primaryPort, ["-y", "hmac-sha256:transfer-key:\(secret)", zone, "AXFR"])
        let ours = harness.dig(harness.signerPort, [zone, "AXFR"])
        #expect(!content(theirs).isEmpty && content(ours) == content(theirs),
                "\(label): served content differs from the primary's:\nours \(content(ours))\ntheirs \(content(theirs))",
                sourceLocation: sourceLocation)
        let judged = try SignerDaemonTests.ldnsVerify(axfr: ours, in: harness, run: 0)
        #expect(judged.status == 0, "\(label): ldns-verify-zone refuses the served zone:\n\(judged.output.suffix(2000))",
                sourceLocation: sourceLocation)
    }

    @Test(arguments: Primary.allCases)
    func changesArriveAsIXFRAndTheSignedZoneIsTheprimarysZone(_ kind: Primary) throws {
        guard ExternalTool.require(kind == .knot ? "knotd" : "named"), ExternalTool.require("dig"),
              ExternalTool.require("ldns-verify-zone"), kind == .bind || ExternalTool.require("knotc") else { return }
        let harness = try TwoTierHarness(name: "signer-ixfr-\(kind)")
        let primary = Daemon(kind, dir: harness.dir + "/\(kind)", port: harness.primaryPort)
        defer {
            primary.stop()
            harness.cleanUp()
        }
        let started = Date()
        try primary.start(zoneFile: Self.zoneFile(serial: 1, apex: "192.0.2.1"))
        let up = TwoTierHarness.poll(20, { harness.dig(primary.port, ["+short", Self.zone, "SOA"]) }, until: { $0.contains(" 1 3600 ") })
        try #require(up.ok, "\(kind) does not serve the zone:\n\(primary.log)")
        try harness.signerCLI(["tsig", "add", "transfer-key", "--secret", Self.secret])
        try harness.signerCLI(["zone", "add", Self.zone, "--primary", "127.0.0.1:\(primary.port)", "--key", "transfer-key",
                               "--poll", "1s", "--nsec3"])
        try harness.startSigner()
        let signed = TwoTierHarness.poll(30, { harness.askSigner(Self.zone, "A") }, until: { $0.contains("192.0.2.1") && $0.contains("RRSIG") })
        try #require(signed.ok, "the signer does not serve the zone from \(kind):\n\(signed.output)\n\(harness.logs)\n\(primary.log)")

        let changes: [(what: String, file: String, name: String, type: String, expect: (String) -> Bool)] = [
            ("apex A", Self.zoneFile(serial: 2, apex: "192.0.2.2"), Self.zone, "A", { $0.contains("192.0.2.2") && $0.contains("RRSIG") }),
            ("new name", Self.zoneFile(serial: 3, apex: "192.0.2.2", extra: ["fresh IN A 203.0.113.1"]), "fresh.\(Self.zone)", "A",
             { $0.contains("203.0.113.1") && $0.contains("RRSIG") }),
            ("removed name", Self.zoneFile(serial: 4, apex: "192.0.2.2", removed: ["host5"], extra: ["fresh IN A 203.0.113.1"]),
             "host5.\(Self.zone)", "A", { $0.contains("status: NXDOMAIN") && $0.contains("NSEC3") }),
        ]
        for (index, change) in changes.enumerated() {
            try primary.load(change.file)
            let seen = TwoTierHarness.poll(30, { harness.askSigner(change.name, change.type) }, until: change.expect)
            #expect(seen.ok, "\(kind), \(change.what): not served signed:\n\(seen.output)\n\(harness.logs)\n\(primary.log)")
            let incremental = TwoTierHarness.poll(5, { "\(harness.signerPolls("changed (IXFR, 1 sequences"))" }, until: { $0 == "\(index + 1)" })
            #expect(incremental.ok, "\(kind), \(change.what): not an IXFR (\(incremental.output) so far):\n\(harness.logs)")
            #expect(primary.ixfrsLogged >= index + 1, "\(kind), \(change.what): \(kind) logged \(primary.ixfrsLogged) IXFRs:\n\(primary.log)")
        }

        try Self.expectServesPrimaryZone(harness, primaryPort: primary.port, "\(kind)")
        print("SignerIXFRInteropTests: \(kind) took \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }
}

extension SignerIXFRInteropTests {
    /// The same from `dns-primary` (its zone with ALIAS expanded): an apex change, a new name and a
    /// removed name, each as IXFR. `dns-primary` answers IXFR incrementally from the branch that adds
    /// IXFR out (issue 14); until then it answers with the whole zone, which this test reports as a
    /// known issue while still checking that the signer follows every change and serves it verified.
    @Test func dnsPrimaryChangesArriveAsIXFR() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("ldns-verify-zone") else { return }
        let harness = try TwoTierHarness(name: "signer-ixfr-primary")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: true)
        try harness.primaryCLI(["tsig", "add", "transfer-key", "--secret", Self.secret])
        try harness.primaryCLI(["zone", "acl", "add", Self.zone, "127.0.0.1", "--key", "transfer-key"])
        try harness.startPrimary()
        try harness.signerCLI(["tsig", "add", "transfer-key", "--secret", Self.secret])
        try harness.addSignerZone(poll: "1s", extra: ["--key", "transfer-key", "--nsec3"])
        try harness.startSigner()
        let signed = TwoTierHarness.poll(30, { harness.askSigner(Self.zone, "A") }, until: { $0.contains("192.0.2.10") && $0.contains("RRSIG") })
        try #require(signed.ok, "the signer does not serve the zone:\n\(signed.output)\n\(harness.logs)")

        let edits: [(what: String, command: [String], name: String, type: String, expect: (String) -> Bool)] = [
            ("apex TXT", ["record", "add", Self.zone, "@", "300", "TXT", "\"apex-change\""], Self.zone, "TXT",
             { $0.contains("apex-change") && $0.contains("RRSIG") }),
            ("new name", ["record", "add", Self.zone, "fresh", "300", "A", "203.0.113.1"], "fresh.\(Self.zone)", "A",
             { $0.contains("203.0.113.1") && $0.contains("RRSIG") }),
            ("removed name", ["record", "delete", Self.zone, "mail", "A"], "mail.\(Self.zone)", "A",
             { $0.contains("status: NXDOMAIN") && $0.contains("NSEC3") }),
        ]
        for edit in edits {
            try harness.primaryCLI(edit.command)
            let seen = TwoTierHarness.poll(30, { harness.askSigner(edit.name, edit.type) }, until: edit.expect)
            #expect(seen.ok, "\(edit.what): not served signed:\n\(seen.output)\n\(harness.logs)")
        }
        let (incremental, whole) = (harness.signerPolls("changed (IXFR, "), harness.signerPolls("changed (IXFR answered with the whole zone)"))
        // dns-primary answers from its journal of expanded versions (IXFR out): every change is incremental.
        #expect(incremental >= edits.count, "each change as IXFR: \(incremental) incremental, \(whole) whole-zone answers")
        try Self.expectServesPrimaryZone(harness, primaryPort: harness.primaryPort, "dns-primary")
    }
}
