import Foundation
import Testing

/// deploy/: the two-host topology script and the systemd units, as an operator would run them.
@Suite(.serialized)
struct TwoHostsTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy").standardized
    static var script: String { deploy.appendingPathComponent("two-hosts.sh").path }

    /// Root, or password-less sudo, and a kernel that lets us make a namespace (not every container does).
    static let canCreateNamespaces: Bool = {
        guard let ip = ExternalTool.path(of: "ip") else { return false }
        let probe = "cs-probe-\(getpid())"
        let prefix: [String] = geteuid() == 0 ? [] : ["-n", ip]
        let runner = geteuid() == 0 ? ip : (ExternalTool.path(of: "sudo") ?? "")
        guard !runner.isEmpty, let made = try? ExternalTool.execute(runner, prefix + ["netns", "add", probe], timeout: 10),
              made.status == 0 else { return false }
        _ = try? ExternalTool.execute(runner, prefix + ["netns", "del", probe], timeout: 10)
        return true
    }()

    static let hasSystemdAnalyze = ExternalTool.path(of: "systemd-analyze") != nil

    // MARK: two-hosts.sh

    @Test func theScriptPlansTSIGOnBothSidesAndTearsEverythingDown() throws {
        let syntax = try ExternalTool.execute("bash", ["-n", Self.script])
        #expect(syntax.status == 0, "bash -n: \(syntax.output)")
        let plan = try ExternalTool.execute("bash", [Self.script, "--dry-run"], timeout: 30)
        #expect(plan.status == 0, "\(plan.output)")
        let lines = plan.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("+ ") }

        func index(_ fragment: String) -> Int? { lines.firstIndex { $0.contains(fragment) } }
        let steps = [
            "ip netns add cs-primary", "ip netns add cs-signer",
            "link add veth0 type veth peer name veth0 netns cs-signer",
            "addr add 10.53.0.1/24", "addr add 10.53.0.2/24",
            "dns-primary tsig add transfer-key", "dns-primary zone import search.usa.gov.",
            "dns-primary zone acl add search.usa.gov. 10.53.0.2/32 --key transfer-key",
            "ip netns exec cs-primary <bin>/dns-primary serve",
            "dns-signer tsig add transfer-key",
            "dns-signer zone add search.usa.gov. --primary 10.53.0.1:53 --key transfer-key",
            "ip netns exec cs-signer <bin>/dns-signer serve",
            "dig @10.53.0.2 search.usa.gov. A +dnssec",
            "ip netns del cs-primary", "ip netns del cs-signer",
        ]
        var previous = -1
        for step in steps {
            let position = index(step)
            #expect(position != nil, "the plan has `\(step)`:\n\(plan.output)")
            if let position {
                #expect(position > previous, "`\(step)` comes after the steps before it")
                previous = position
            }
        }
        // The same secret on both sides, and the zone file the seeds' operators use.
        let secrets = lines.filter { $0.contains("tsig add") }.map { $0.components(separatedBy: "--secret ").last ?? "" }
        #expect(secrets.count == 2 && Set(secrets.map { $0.split(separator: " ").first.map(String.init) ?? "" }).count == 1)
        #expect(plan.output.contains("deploy/search.usa.gov.zone"))
        #expect(plan.output.contains("--listen 10.53.0.1:53") && plan.output.contains("--listen 10.53.0.2:53"))
        #expect(lines.last?.contains("ip netns del") == true, "teardown is the last thing it does")
    }

    @Test(.enabled(if: TwoHostsTests.canCreateNamespaces,
                   "skipped: network namespaces cannot be created here (needs root or password-less sudo, and CAP_SYS_ADMIN)"))
    func twoNamespacesServeTheSignedZoneWithTSIGOnTheTransfer() throws {
        let suffix = String(UInt32.random(in: 0...0xFFFF), radix: 16)
        let nsPrimary = "cs-primary-\(suffix)"
        let nsSigner = "cs-signer-\(suffix)"
        let environment = "BIN_DIR=\(CLITests.binDirectory.path) NS_PRIMARY=\(nsPrimary) NS_SIGNER=\(nsSigner) WAIT_SECONDS=90"
        let result = try ExternalTool.execute("/usr/bin/env", environment.split(separator: " ").map(String.init) + ["bash", Self.script],
                                              timeout: 300)
        if result.status == 77 {
            Issue.record("the script found it cannot create namespaces although the probe could:\n\(result.output)")
            return
        }
        #expect(result.status == 0, "deploy/two-hosts.sh exited \(result.status):\n\(result.output)")
        #expect(result.output.contains("RRSIG"), "dig +dnssec showed the signature")
        #expect(result.output.contains("OK: search.usa.gov. transferred with TSIG"))
        let left = (try? ExternalTool.run("ip", ["netns", "list"])) ?? ""
        #expect(!left.contains(nsPrimary) && !left.contains(nsSigner), "the namespaces were deleted:\n\(left)")
    }

    // MARK: systemd units

    /// The unit with ExecStart pointed at the built binary (verify insists the program exists).
    func unitForVerify(_ name: String, binary: String, in directory: URL) throws -> String {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
        let path = directory.appendingPathComponent(name).path
        try text.replacingOccurrences(of: "/usr/local/bin/\(binary)", with: CLITests.binDirectory.appendingPathComponent(binary).path)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: TwoHostsTests.hasSystemdAnalyze, "skipped: systemd-analyze is not installed, the units cannot be verified"))
    func theSystemdUnitsVerifyAndAreHardened() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (unit, binary) in [("dns-primary.service", "dns-primary"), ("dns-signer.service", "dns-signer")] {
            let path = try unitForVerify(unit, binary: binary, in: directory)
            let verify = try ExternalTool.execute("systemd-analyze", ["verify", path], timeout: 60)
            #expect(verify.status == 0 && verify.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                    "\(unit): systemd-analyze verify says nothing, not even a warning:\n\(verify.output)")

            let security = try ExternalTool.execute("systemd-analyze", ["security", "--offline=yes", path], timeout: 60)
            let exposure = security.output.components(separatedBy: "Overall exposure level for \(unit): ").last?
                .split(separator: " ").first.flatMap { Double($0) }
            #expect(exposure != nil && exposure! <= 2.5, "\(unit): exposure \(exposure.map { "\($0)" } ?? "?") (≤ 2.5 expected)")

            let text = try String(contentsOfFile: path, encoding: .utf8)
            for line in ["AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                         "ProtectSystem=strict", "StateDirectory=countersign", "NoNewPrivileges=yes", "User=countersign"] {
                #expect(text.contains("\n\(line)\n"), "\(unit) has \(line)")
            }
            // The daemon accepts what ExecStart passes.
            let help = try ExternalTool.execute(CLITests.binDirectory.appendingPathComponent(binary).path, ["serve", "--help"])
            #expect(help.output.contains("--config"), "`\(binary) serve --help` lists --config, which the unit passes:\n\(help.output)")
            #expect(text.contains("ExecStart=\(CLITests.binDirectory.appendingPathComponent(binary).path) serve --config /etc/countersign/"))
        }
    }
}
