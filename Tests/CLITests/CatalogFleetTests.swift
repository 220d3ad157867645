import Foundation
import Testing

/// Issue 15, item 5: a fleet of real Knot and BIND secondaries configured only with the signer's catalog
/// zone (RFC 9432) serves every zone added to the signer, signed and validating with `delv`, and drops
/// every zone removed. The member zones come from an NSD primary; nothing is mocked.
@Suite(.serialized)
struct CatalogFleetTests {
    static let catalog = "catalog.invalid."
    static let count = 100

    static func zoneNames() -> [String] { (1...count).map { String(format: "z%03d.fleet.test.", $0) } }

    /// A secondary of the fleet: Knot (`catalog-role: interpret`) or BIND (`catalog-zones`), each on its
    /// own loopback address (BIND binds only to addresses on an interface, so it keeps 127.0.0.1; Knot
    /// takes 127.0.0.2) so the signer's per-address transfer ACL tells them apart, with the catalog as
    /// its only configured zone.
    final class FleetSecondary {
        enum Kind: String { case knot, bind }
        let kind: Kind
        let address: String
        let port: Int
        let daemon: BackgroundProcess

        init(_ kind: Kind, address: String, signerPort: Int, dir base: String) throws {
            self.kind = kind
            self.address = address
            port = try TwoTierHarness.freePort()
            let dir = base + "/fleet-\(kind.rawValue)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let config = dir + "/\(kind.rawValue).conf"
            let catalog = String(CatalogFleetTests.catalog.dropLast())
            switch kind {
            case .knot:
                try (SecondaryConfig.knotServer(directory: dir, address: address, port: port, backgroundWorkers: 2) + """
                    remote:
                      - id: signer
                        address: 127.0.0.1@\(signerPort)
                        via: \(address)
                    acl:
                      - id: notify_from_signer
                        address: 127.0.0.0/8
                        action: notify
                    template:
                      - id: default
                        storage: "\(dir)"
                        zonefile-sync: -1
                      - id: member
                        storage: "\(dir)"
                        zonefile-sync: -1
                        master: signer
                        acl: notify_from_signer
                    zone:
                      - domain: \(catalog)
                        master: signer
                        acl: notify_from_signer
                        catalog-role: interpret
                        catalog-template: member

                    """).write(toFile: config, atomically: true, encoding: .utf8)
                daemon = try BackgroundProcess("knotd", ["-c", config], log: URL(fileURLWithPath: base + "/fleet-knot.log"))
            case .bind:
                try """
                    \(SecondaryConfig.bindOptions(directory: dir, address: address, port: port, extra: [
                        "allow-new-zones yes;", "allow-notify { 127.0.0.0/8; };",
                        "catalog-zones { zone \"\(catalog)\" default-primaries { 127.0.0.1 port \(signerPort); } min-update-interval 1; };",
                    ]))
                    zone "\(catalog)" {
                        type secondary;
                        primaries { 127.0.0.1 port \(signerPort); };
                        file "\(catalog).db";
                    };

                    """.write(toFile: config, atomically: true, encoding: .utf8)
                daemon = try BackgroundProcess("named", ["-g", "-n", "1", "-c", config], log: URL(fileURLWithPath: base + "/fleet-bind.log"))
            }
        }

        var target: String { "\(address):\(port)" }

        /// One `dig -f` run asking every zone's SOA with DNSSEC records: the zones answered with a signed
        /// SOA, and the zones answered with any SOA at all.
        func survey(_ zones: [String], dir: String) -> (signed: Set<String>, served: Set<String>) {
            let batch = dir + "/survey-\(kind.rawValue).txt"
            try? zones.map { "\($0) SOA" }.joined(separator: "\n").write(toFile: batch, atomically: true, encoding: .utf8)
            let output = (try? ExternalTool.run("dig", ["@\(address)", "-p", "\(port)", "+norec", "+dnssec", "+noall", "+answer",
                                                        "+time=2", "+tries=1", "-f", batch], timeout: 120, allowFailure: true)) ?? ""
            var signed: Set<String> = []
            var served: Set<String> = []
            for line in output.split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard fields.count >= 5 else { continue }
                let owner = String(fields[0]).lowercased()
                if fields[3] == "SOA" { served.insert(owner) }
                if fields[3] == "RRSIG" && fields[4] == "SOA" { signed.insert(owner) }
            }
            return (signed, served)
        }
    }

    /// NSD on `port` holding `zones`, each a small zone with one address record whose last octet tells
    /// the zones apart.
    static func startNSD(_ zones: [String], port: Int, dir: String) throws -> BackgroundProcess {
        var config = NSDConfig.server(directory: dir, port: port, verbosity: 1) + "\n"
        for (index, zone) in zones.enumerated() {
            try """
                $ORIGIN \(zone)
                $TTL 300
                @ SOA ns1 hostmaster 1 3600 600 86400 300
                @ NS ns1
                ns1 A 192.0.2.53
                www A 198.51.100.\(index % 250 + 1)

                """.write(toFile: dir + "/\(zone)zone", atomically: true, encoding: .utf8)
            config += "zone:\n    name: \"\(zone)\"\n    zonefile: \"\(zone)zone\"\n    provide-xfr: 127.0.0.1 NOKEY\n"
        }
        try config.write(toFile: dir + "/nsd-members.conf", atomically: true, encoding: .utf8)
        return try BackgroundProcess("nsd", ["-d", "-c", dir + "/nsd-members.conf"], log: URL(fileURLWithPath: dir + "/nsd-members.log"))
    }

    /// The KSKs the signer serves for `zones`, as a delv trust-anchors block (one `dig -f` run).
    static func anchors(_ zones: [String], _ harness: TwoTierHarness) throws -> String {
        let batch = harness.dir + "/dnskey.txt"
        try zones.map { "\($0) DNSKEY" }.joined(separator: "\n").write(toFile: batch, atomically: true, encoding: .utf8)
        let output = try ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(harness.signerPort)", "+norec", "+noall", "+answer",
                                                  "+nosplit", "-f", batch], timeout: 60, allowFailure: true)
        var lines: [String] = []
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 8, fields[3] == "DNSKEY", fields[4] == "257" else { continue }
            lines.append("    \"\(fields[0])\" static-key \(fields[4]) \(fields[5]) \(fields[6]) \"\(fields[7...].joined())\";")
        }
        return "trust-anchors {\n\(lines.joined(separator: "\n"))\n};\n"
    }

    /// Polls each secondary (bounded: 90 s) until `left` finds nothing left for it; expects that within
    /// the 30 s target (the wait goes on to 90 s so a slow run says how slow it was), prints the times
    /// and returns them.
    static func waitUntilEvery(_ secondaries: [FleetSecondary], _ goal: String,
                               left: (FleetSecondary) -> [String]) -> [FleetSecondary.Kind: Double] {
        let start = Date()
        var took: [FleetSecondary.Kind: Double] = [:]
        var remaining: [FleetSecondary.Kind: [String]] = [:]
        while Date().timeIntervalSince(start) < 90, took.count < secondaries.count {
            for secondary in secondaries where took[secondary.kind] == nil {
                remaining[secondary.kind] = left(secondary)
                if remaining[secondary.kind]!.isEmpty { took[secondary.kind] = Date().timeIntervalSince(start) }
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        for secondary in secondaries {
            let rest = remaining[secondary.kind] ?? []
            #expect(rest.isEmpty, "\(secondary.kind) did not \(goal) within 90 s; \(rest.count) left, e.g. \(rest.prefix(5)):\n\(secondary.daemon.log.suffix(3000))")
            if let seconds = took[secondary.kind] { #expect(seconds <= 30, "\(secondary.kind) took \(seconds) s to \(goal) (target 30 s)") }
        }
        print("catalog fleet: \(goal): " + secondaries.map { "\($0.kind) \(took[$0.kind].map { String(format: "%.1f s", $0) } ?? "never")" }.joined(separator: ", "))
        return took
    }

    @Test func knotAndBINDFollowTheSignersCatalog() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("knotd"), ExternalTool.require("named"),
              ExternalTool.require("dig"), ExternalTool.require("delv") else { return }
        let harness = try TwoTierHarness(name: "catalog-fleet")
        var processes: [BackgroundProcess] = []
        defer {
            for process in processes { process.stop() }
            harness.cleanUp()
        }
        let zones = Self.zoneNames()
        processes.append(try Self.startNSD(zones, port: harness.upstreamPort, dir: harness.dir))

        // The fleet is configured with the catalog alone; the signer is told the fleet once.
        let knot = try FleetSecondary(.knot, address: "127.0.0.2", signerPort: harness.signerPort, dir: harness.dir)
        processes.append(knot.daemon)
        let bind = try FleetSecondary(.bind, address: "127.0.0.1", signerPort: harness.signerPort, dir: harness.dir)
        processes.append(bind.daemon)
        try harness.signerCLI(["catalog", "set", Self.catalog])
        for secondary in [knot, bind] { try harness.signerCLI(["catalog", "downstream", "add", secondary.target]) }
        let shown = try harness.signerCLI(["catalog", "show"])
        #expect(shown.contains("catalog \(Self.catalog)") && shown.contains("fleet secondary 127.0.0.2:\(knot.port)"), "catalog show:\n\(shown)")
        try harness.startSigner()

        // A hundred zones in one command; the clock starts when it returns.
        try zones.joined(separator: "\n").write(toFile: harness.dir + "/zones.txt", atomically: true, encoding: .utf8)
        try harness.signerCLI(["zone", "add", "--from", harness.dir + "/zones.txt", "--primary", "127.0.0.1:\(harness.upstreamPort)"])
        let took = Self.waitUntilEvery([knot, bind], "serve all \(zones.count) zones signed") { secondary in
            let signed = secondary.survey(zones, dir: harness.dir).signed
            return zones.filter { !signed.contains($0) }
        }
        try #require(took.count == 2)

        // Each copy validates with delv, trusting only the KSKs the signer publishes.
        try Self.anchors(zones, harness).write(toFile: harness.dir + "/anchors.conf", atomically: true, encoding: .utf8)
        for secondary in [knot, bind] {
            var failures: [String] = []
            for zone in zones {
                let output = (try? ExternalTool.run("delv", ["@\(secondary.address)", "-p", "\(secondary.port)", "-a", harness.dir + "/anchors.conf",
                                                             "+root=\(zone)", "www.\(zone)", "A"], timeout: 30, allowFailure: true)) ?? ""
                if !output.contains("; fully validated") { failures.append("\(zone): \(output.prefix(300))") }
            }
            #expect(failures.isEmpty, "\(secondary.kind): \(failures.count) zones fail delv, e.g. \(failures.prefix(3))")
        }

        // Removing them all, again in one command: both secondaries drop every one.
        try harness.signerCLI(["zone", "remove", "--from", harness.dir + "/zones.txt"])
        _ = Self.waitUntilEvery([knot, bind], "drop the removed zones") { $0.survey(zones, dir: harness.dir).served.sorted() }
    }
}
