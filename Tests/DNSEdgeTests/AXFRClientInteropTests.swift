import DNSCore
import Foundation
import Testing

@testable import DNSEdge

#if canImport(Glibc)
import Glibc
#endif

/// Our AXFR client pulls a zone with TSIG from real NSD, Knot and BIND, each started by the test on
/// 127.0.0.1 at a free high port (config in a temp dir, running in the foreground, stopped by PID,
/// every wait bounded). The result must equal the zone file they serve, compared as DNSCore Zones.
/// The zone is large enough (about 100 KB) to need several messages, so the TSIG chain across
/// messages is exercised with each server's own signing.
@Suite("AXFR client interop with NSD, Knot and BIND", .serialized)
struct AXFRClientInteropTests {
    static let zone: DomainName = "interop.test."

    enum Server: String, CaseIterable, Sendable {
        case nsd, knot, bind

        var tool: String {
            switch self {
            case .nsd: "nsd"
            case .knot: "knotd"
            case .bind: "named"
            }
        }

        var isRequired: Bool { ExternalTool.path(of: tool) != nil || !ExternalTool.allowMissing }

        /// Writes the server's configuration into `directory`; returns the command line.
        func configure(directory: URL, port: Int, key: TSIGKey, zoneFile: URL) throws -> [String] {
            let dir = directory.path
            let secret = key.base64Secret
            let keyName = String(key.name.text.dropLast())
            let zoneName = String(AXFRClientInteropTests.zone.text.dropLast())
            let config = directory.appendingPathComponent("\(rawValue).conf")
            let text: String
            let arguments: [String]
            switch self {
            case .nsd:
                text = """
                server:
                    ip-address: 127.0.0.1@\(port)
                    server-count: 1
                    username: ""
                    chroot: ""
                    zonesdir: "\(dir)"
                    database: ""
                    zonelistfile: "\(dir)/zone.list"
                    xfrdfile: "\(dir)/xfrd.state"
                    xfrdir: "\(dir)"
                    pidfile: "\(dir)/nsd.pid"
                    verbosity: 1
                    do-ip6: no
                remote-control:
                    control-enable: no
                key:
                    name: "\(keyName)"
                    algorithm: \(key.algorithm.mnemonic)
                    secret: "\(secret)"
                zone:
                    name: "\(zoneName)"
                    zonefile: "\(zoneFile.path)"
                    provide-xfr: 127.0.0.1 \(keyName)

                """
                arguments = ["-d", "-c", config.path]
            case .knot:
                text = """
                server:
                    rundir: "\(dir)"
                    listen: 127.0.0.1@\(port)
                control:
                    listen: "\(dir)/knot.sock"
                database:
                    storage: "\(dir)"
                log:
                  - target: stderr
                    any: info
                key:
                  - id: \(keyName)
                    algorithm: \(key.algorithm.mnemonic)
                    secret: \(secret)
                acl:
                  - id: transfer
                    address: 127.0.0.1
                    key: \(keyName)
                    action: transfer
                zone:
                  - domain: \(zoneName)
                    storage: "\(zoneFile.deletingLastPathComponent().path)"
                    file: "\(zoneFile.lastPathComponent)"
                    acl: transfer

                """
                arguments = ["-c", config.path]
            case .bind:
                text = """
                \(SecondaryConfig.bindOptions(directory: dir, port: port))
                \(key.bindConfiguration)
                zone "\(zoneName)" {
                    type primary;
                    file "\(zoneFile.path)";
                    allow-transfer { key \(keyName); };
                };

                """
                arguments = ["-g", "-n", "1", "-c", config.path]
            }
            try text.write(to: config, atomically: true, encoding: .utf8)
            return arguments
        }
    }

    /// A zone with the usual variety (MX, TXT, CAA, CNAME, SRV, wildcard, delegation with glue and DS)
    /// and enough names to need several AXFR messages.
    static let zoneText: String = {
        var lines = [
            "$ORIGIN interop.test.", "$TTL 3600",
            "@ IN SOA ns1 hostmaster 2024020301 3600 900 1209600 300",
            "@ IN NS ns1", "@ IN NS ns2", "@ IN MX 10 mail", "@ IN TXT \"v=spf1 -all\"",
            "@ IN CAA 0 issue \"letsencrypt.org\"",
            "ns1 IN A 127.0.0.1", "ns2 IN AAAA ::1", "mail IN A 192.0.2.25", "mail IN AAAA 2001:db8::25",
            "www IN CNAME web", "web 300 IN A 192.0.2.80", "web 300 IN A 192.0.2.81",
            "_sip._tcp IN SRV 10 60 5060 web", "* 600 IN TXT \"wildcard\"",
            "sub IN NS ns.sub", "ns.sub IN A 192.0.2.53",
            "sub IN DS 12345 13 2 " + String(repeating: "0123456789ABCDEF", count: 4),
        ]
        for i in 0..<3000 { lines.append("h\(i) 300 IN A 198.51.\(i / 250).\(i % 250 + 1)") }
        for i in 0..<400 {
            lines.append("t\(i) IN TXT \"record \(i) of the interop zone\" \"\(String(repeating: "x", count: 40))\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    static func expectedZone() throws -> Zone {
        var parser = ZoneFileParser(origin: zone)
        return Zone(records: try parser.parse(zoneText), origin: zone)
    }

    @Test("NSD serves the zone; our TSIG AXFR equals the zone file", .enabled(if: Server.nsd.isRequired))
    func nsd() async throws { try await Self.pull(from: .nsd) }

    @Test("Knot serves the zone; our TSIG AXFR equals the zone file", .enabled(if: Server.knot.isRequired))
    func knot() async throws { try await Self.pull(from: .knot) }

    @Test("BIND serves the zone; our TSIG AXFR equals the zone file", .enabled(if: Server.bind.isRequired))
    func bind() async throws { try await Self.pull(from: .bind) }

    static func pull(from server: Server) async throws {
        guard let executable = ExternalTool.path(of: server.tool) else {
            throw ExternalTool.Failure(command: server.tool, status: 127, output: "not installed; run scripts/install-test-deps.sh")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("axfr-\(server.rawValue)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let zoneFile = directory.appendingPathComponent("interop.test.zone")
        try zoneText.write(to: zoneFile, atomically: true, encoding: .utf8)
        let key = try TSIGKey.generate(name: "transfer-key.")
        let port = try AXFRTestPorts.pick()
        let arguments = try server.configure(directory: directory, port: port, key: key, zoneFile: zoneFile)
        let process = try AXFRTestProcess(executable: executable, arguments: arguments,
                                      logURL: directory.appendingPathComponent("\(server.rawValue).log"))
        defer { process.stop() }

        let address = ListenAddress(host: "127.0.0.1", port: port)
        let client = AXFRClient(connectTimeout: .seconds(2))
        // Ready when it answers the SOA query (signed) for the zone; at most 20 s.
        var lastError: TransferError?
        let ready = await process.wait(seconds: 20) {
            do {
                _ = try await client.querySOA(zone: zone, from: address, tsigKey: key, timeout: .seconds(1))
                return true
            } catch {
                lastError = error as? TransferError
                return false
            }
        }
        guard ready else {
            Issue.record("\(server.tool) did not answer within 20 s (\(String(describing: lastError))): \(process.log)")
            return
        }

        let started = ContinuousClock.now
        let transfer = try await client.transfer(zone: zone, from: address, tsigKey: key, timeout: .seconds(30))
        #expect(AXFRTestProcess.seconds(since: started) < 30)
        #expect(transfer.verifiedWithTSIG)
        #expect(transfer.messageCount > 1, "the zone should need several messages")
        #expect(transfer.serial == SerialNumber(2024020301) && transfer.queriedSerial == SerialNumber(2024020301))
        let expected = try expectedZone()
        let received = transfer.makeZone()
        #expect(received == expected)
        if received != expected {
            let diff = ZoneDiff(from: expected, to: received)
            let summary = "\(diff.added.count) RRsets added, \(diff.removed.count) removed; "
                + "first added: \(diff.added.prefix(3)), first removed: \(diff.removed.prefix(3))"
            Issue.record("\(server.tool) transfer differs from the zone file: \(summary)")
        }

        // Without the key the server refuses the transfer, and we say what it answered.
        do {
            _ = try await client.transfer(zone: zone, from: address, timeout: .seconds(10))
            Issue.record("\(server.tool) gave us the zone without TSIG")
        } catch {
            guard case .serverError(.transfer(message: 1), let rcode) = error else {
                Issue.record("expected a refusal, got \(error)")
                return
            }
            #expect(rcode == .REFUSED || rcode == .NOTAUTH)
        }

        // With the right name but a wrong secret the server's TSIG error reaches us.
        let wrong = try TSIGKey(name: key.name, algorithm: key.algorithm, secret: Array(key.secret.reversed()))
        do {
            _ = try await client.transfer(zone: zone, from: address, tsigKey: wrong, timeout: .seconds(10))
            Issue.record("\(server.tool) gave us the zone with a wrong TSIG secret")
        } catch {
            guard case .tsig(.soaQuery, let tsigError) = error else {
                Issue.record("expected a TSIG failure on the SOA query, got \(error)")
                return
            }
            #expect(tsigError == .peerError(.BADSIG, key: key.name, serverTime: nil), "got \(tsigError)")
        }
    }
}
