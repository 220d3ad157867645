import Foundation
import Testing

@testable import Primary

/// dns-primary's PowerDNS-compatible HTTP API driven by octoDNS with its PowerDNS provider (both from
/// PyPI): a YAML zone synced into the primary (created through the API, ALIAS at the apex included and
/// served expanded), a second sync applying only its changes, a third with nothing to do changing
/// nothing; and raw requests over HTTP that are oversized or not JSON, refused without a change.
@Suite(.serialized)
struct PowerDNSAPIClientTests {
    static let zone = "octo.test."

    /// The zone as octoDNS YAML (octoDNS wants every mapping's keys sorted).
    static func zoneYAML(www: [String], new: String? = nil, mail: Bool = true) -> String {
        var names: [String: String] = [
            "ns1": "  type: A\n  value: 192.0.2.53\n",
            "ns2": "  type: A\n  value: 192.0.2.54\n",
            "www": "  ttl: 300\n  type: A\n  values: [\(www.joined(separator: ", "))]\n",
        ]
        if mail { names["mail"] = "  type: MX\n  values:\n    - exchange: mx.octo.test.\n      preference: 10\n" }
        if let new { names["new"] = "  type: A\n  value: \(new)\n" }
        return """
            ---
            '':
              - type: ALIAS
                value: usasearch-elb.ec2.aws.com.
              - type: NS
                values: [ns1.octo.test., ns2.octo.test.]
              - type: TXT
                values: ["v=spf1 -all"]

            """ + names.keys.sorted().map { "\($0):\n" + names[$0]! }.joined()
    }

    final class Bed {
        let bed: PrimaryTestBed
        let apiPort: Int
        let secret: String

        init(_ name: String, extra: [String] = [], makeFiles: (String) throws -> Void = { _ in }) throws {
            bed = try PrimaryTestBed(name)
            apiPort = try FreePort.next()
            try bed.startUpstream(zones: ["ec2.aws.com": PrimaryServeTests.upstreamZone(serial: 1, address: "192.0.2.10")])
            let made = try bed.must(["api-key", "add", "octodns", "--zone", PowerDNSAPIClientTests.zone, "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(made.utf8)) as? [String: Any]
            secret = object?["secret"] as? String ?? ""
            try makeFiles(bed.dir)
            try bed.startPrimary(["--api-listen", "127.0.0.1:\(apiPort)"] + extra)
            let up = PrimaryTestBed.poll(20, { self.bed.primaryLog },
                                         until: { $0.contains("http api listening") })
            #expect(up.ok, "the API never listened:\n\(up.output)")
        }

        /// `octodns-sync --doit` with the zone file `yaml`; exit status and output.
        func sync(_ yaml: String) throws -> (status: Int32, output: String) {
            let config = bed.dir + "/octodns"
            try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
            try yaml.write(toFile: config + "/\(PowerDNSAPIClientTests.zone)yaml", atomically: true, encoding: .utf8)
            try """
                providers:
                  config:
                    class: octodns.provider.yaml.YamlProvider
                    directory: \(config)
                  primary:
                    class: octodns_powerdns.PowerDnsProvider
                    host: 127.0.0.1
                    port: \(apiPort)
                    api_key: \(secret)
                    timeout: 10
                zones:
                  \(PowerDNSAPIClientTests.zone):
                    sources: [config]
                    targets: [primary]

                """.write(toFile: bed.dir + "/octodns.yaml", atomically: true, encoding: .utf8)
            return try ExternalTool.execute("python3", ["-m", "octodns.cmds.sync", "--config-file", bed.dir + "/octodns.yaml", "--doit"],
                                            timeout: 120)
        }

        func export() throws -> [String] {
            try bed.must(["zone", "export", PowerDNSAPIClientTests.zone]).split(separator: "\n").filter { !$0.hasPrefix(";") }.map(String.init)
        }

        var serial: UInt32? { (try? bed.store().zone(PowerDNSAPIClientTests.zone).serial) }

        /// PATCH requests the daemon logged.
        var patches: Int { bed.primaryLog.components(separatedBy: "method=PATCH").count - 1 }

        func curl(_ arguments: [String]) throws -> String {
            try ExternalTool.run("curl", ["-s", "-m", "10", "-H", "X-API-Key: \(secret)", "-w", " %{http_code}"] + arguments, allowFailure: true)
        }
    }

    @Test func octoDNSSyncsAZoneAndLaterOnlyItsChanges() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        guard (try? ExternalTool.run("python3", ["-c", "import octodns_powerdns"])) != nil else {
            if !ExternalTool.allowMissing { Issue.record("octodns-powerdns is not installed; run scripts/install-test-deps.sh") }
            return
        }
        let bed = try Bed("octodns-sync")

        // 1. The zone does not exist: octoDNS's PATCH gets 404 and it creates the zone with its records.
        let first = try bed.sync(Self.zoneYAML(www: ["192.0.2.1", "192.0.2.2"]))
        #expect(first.status == 0, "first sync: \(first.output)\n\(bed.bed.primaryLog.suffix(3000))")
        let created = try bed.export()
        #expect(created.contains("octo.test.\t60\tIN\tALIAS\tusasearch-elb.ec2.aws.com.") || created.contains { $0.hasPrefix("octo.test.") && $0.contains("ALIAS\tusasearch-elb.ec2.aws.com.") },
                "the ALIAS arrives as an ALIAS: \(created)")
        #expect(created.contains { $0.hasPrefix("www.octo.test.\t300\tIN\tA\t192.0.2.2") })
        #expect(created.contains { $0.contains("MX\t10 mx.octo.test.") })
        let served = PrimaryTestBed.poll(20, { bed.bed.dig(["+short", Self.zone, "A"]) }, until: { $0.contains("192.0.2.10") })
        #expect(served.ok, "the apex ALIAS is served expanded: \(served.output)")

        // 2. Changes: www gets one new address, a name is added, the MX goes. One PATCH, one serial step,
        // and every other RRset as it was.
        let serialBefore = bed.serial
        let patchesBefore = bed.patches
        let second = try bed.sync(Self.zoneYAML(www: ["192.0.2.3"], new: "192.0.2.77", mail: false))
        #expect(second.status == 0, "second sync: \(second.output)")
        let changed = try bed.export()
        #expect(bed.serial == serialBefore.map { $0 + 1 }, "one serial increase for the whole sync")
        #expect(bed.patches == patchesBefore + 1, "one PATCH")
        let untouched = { (lines: [String]) in lines.filter { !$0.hasPrefix("www.") && !$0.hasPrefix("new.") && !$0.contains("\tMX\t") && !$0.contains("\tSOA\t") } }
        #expect(untouched(changed) == untouched(created), "only the changed RRsets differ")
        #expect(changed.contains { $0.hasPrefix("www.octo.test.\t300\tIN\tA\t192.0.2.3") } && !changed.contains { $0.contains("192.0.2.1") && $0.hasPrefix("www.") })
        #expect(changed.contains { $0.hasPrefix("new.octo.test.") } && !changed.contains { $0.contains("\tMX\t") })

        // 3. The same YAML again: octoDNS plans nothing, and nothing changes.
        let third = try bed.sync(Self.zoneYAML(www: ["192.0.2.3"], new: "192.0.2.77", mail: false))
        #expect(third.status == 0, "third sync: \(third.output)")
        #expect(third.output.contains("No changes were planned"), "octoDNS reads back exactly what it wrote:\n\(third.output)")
        #expect(try bed.export() == changed && bed.patches == patchesBefore + 1)
    }

    @Test func malformedAndOversizedRequestsAreRefusedWithoutAChange() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("curl") else { return }
        let bed = try Bed("api-malformed")
        try bed.bed.must(["zone", "create", Self.zone, "--ns", "ns1.octo.test.", "--email", "hostmaster@octo.test"])
        let before = try bed.export()
        let url = "http://127.0.0.1:\(bed.apiPort)/api/v1/servers/localhost/zones/\(Self.zone)"
        let badJSON = try bed.curl(["-X", "PATCH", url, "-d", "{\"rrsets\": [ {"])
        #expect(badJSON.hasSuffix(" 400") && badJSON.contains("\"error\""), "\(badJSON)")
        let wrongShape = try bed.curl(["-X", "PATCH", url, "-d", "{\"rrsets\": {\"name\": 1}}"])
        #expect(wrongShape.hasSuffix(" 422") && wrongShape.contains("\"error\""), "\(wrongShape)")
        let big = bed.bed.dir + "/big.json"
        try ("{\"rrsets\": [" + String(repeating: " ", count: 2 << 20) + "]}").write(toFile: big, atomically: true, encoding: .utf8)
        let oversized = try bed.curl(["-X", "PATCH", url, "--data-binary", "@" + big])
        #expect(oversized.hasSuffix(" 413") && oversized.contains("larger than"), "\(oversized.suffix(200))")
        let noKey = try ExternalTool.run("curl", ["-s", "-m", "10", "-w", " %{http_code}", url], allowFailure: true)
        #expect(noKey.hasSuffix(" 401"), "\(noKey)")
        let otherZone = try bed.curl(["http://127.0.0.1:\(bed.apiPort)/api/v1/servers/localhost/zones/other.test."])
        #expect(otherZone.hasSuffix(" 403"), "the key is limited to octo.test.: \(otherZone)")
        #expect(try bed.export() == before)
        // The server is still there after all that.
        #expect(try bed.curl([url]).hasSuffix(" 200"))
    }

    @Test func theAPIServesHTTPSWithTheOperatorsCertificate() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("curl"), ExternalTool.require("openssl") else { return }
        let bed = try Bed("api-tls", extra: []) { dir in
            try ExternalTool.run("openssl", [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", dir + "/api.key", "-out", dir + "/api.crt",
            ])
        }
        // Restarted with TLS (the files exist only now that the bed made them).
        try bed.bed.startPrimary(["--api-listen", "127.0.0.1:\(bed.apiPort)", "--api-tls-certificate", bed.bed.dir + "/api.crt",
                                  "--api-tls-key", bed.bed.dir + "/api.key"])
        let url = "https://127.0.0.1:\(bed.apiPort)/api/v1/servers/localhost"
        let answered = PrimaryTestBed.poll(20, {
            (try? ExternalTool.run("curl", ["-s", "-m", "5", "--cacert", bed.bed.dir + "/api.crt", "-H", "X-API-Key: \(bed.secret)",
                                            "-w", " %{http_code}", url], allowFailure: true)) ?? ""
        }, until: { $0.hasSuffix(" 200") })
        #expect(answered.ok && answered.output.contains("\"daemon_type\":\"authoritative\""), "HTTPS with the operator's certificate: \(answered.output)")
        let plain = (try? ExternalTool.run("curl", ["-s", "-m", "5", "-w", " %{http_code}", "http://127.0.0.1:\(bed.apiPort)/api"],
                                           allowFailure: true)) ?? ""
        #expect(!plain.hasSuffix(" 200"), "plain HTTP is not answered on the TLS port: \(plain)")
        let missing = try bed.bed.cli(["serve", "--listen", "127.0.0.1:\(try FreePort.next())", "--resolver", "127.0.0.1:1",
                                       "--api-listen", "127.0.0.1:\(try FreePort.next())", "--api-tls-certificate", "/nonexistent.crt",
                                       "--api-tls-key", "/nonexistent.key"])
        #expect(missing.status != 0 && missing.output.contains("/nonexistent.crt"), "a missing certificate stops serve with its path: \(missing.output)")
    }
}
