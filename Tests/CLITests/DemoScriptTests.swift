import Foundation
import Testing

/// scripts/demo.sh, the README's first command (`make demo`), run as a newcomer runs it but with the
/// binaries these tests were built with (`--no-build`): it passes, shows what the seeds' operators checked,
/// and leaves no process and no scratch directory behind.
@Suite(.serialized)
struct DemoScriptTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../scripts/demo.sh").standardized.path

    /// The output with every run of blanks made one space, so dig's and delv's columns can be matched.
    static func squeezed(_ text: String) -> String {
        text.replacing(/[ \t]+/, with: " ")
    }

    /// The part of the output from the line that starts with `heading` up to the next `== ` heading.
    static func section(_ output: String, _ heading: String) -> String {
        guard let start = output.range(of: "== " + heading) else { return "" }
        let rest = output[start.upperBound...]
        let end = rest.range(of: "\n== ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    /// PIDs of live processes whose command line mentions `fragment` (zombies have an empty one).
    static func processes(mentioning fragment: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(fragment)
        }
    }

    @Test func theDemoShowsKeysDSValidatedAnswersAndTheMovedLoadBalancerThenStopsEverything() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("delv"),
              ExternalTool.require("curl") else { return }
        let started = Date()
        let result = try ExternalTool.execute("/usr/bin/env", [
            "BIN_DIR=\(CLITests.binDirectory.path)", "bash", Self.script, "--no-build",
        ], timeout: 240)
        let seconds = Int(Date().timeIntervalSince(started))
        let output = result.output
        let flat = Self.squeezed(output)
        #expect(result.status == 0, "scripts/demo.sh --no-build exited \(result.status) after \(seconds) s:\n\(output)")
        #expect(output.contains("demo: OK in"), "the last line says it passed:\n\(output)")

        // The keys: a KSK and a ZSK, ECDSA P-256 (algorithm 13), as the signer serves them.
        let keys = Self.squeezed(Self.section(output, "the DNSKEY records"))
        #expect(keys.contains("DNSKEY 257 3 13") && keys.contains("DNSKEY 256 3 13"), "KSK and ZSK, algorithm 13:\n\(keys)")

        // The DS record for the registrar, from `dns-signer ds`: key tag, algorithm 13, SHA-256 digest.
        let ds = Self.squeezed(Self.section(output, "the DS record"))
        #expect(ds.contains(/search\.usa\.gov\. \d+ IN DS \d+ 13 2 [0-9A-Fa-f]{64}/), "a DS record, 13 2:\n\(ds)")

        // delv, trusting only that DS, validates the apex and a wildcard name before and after the move.
        let before = Self.squeezed(Self.section(output, "validated answers"))
        #expect(before.components(separatedBy: "; fully validated").count - 1 == 2, "two validated answers:\n\(before)")
        #expect(before.contains("search.usa.gov. 30 IN A 192.0.2.10"), "the apex ALIAS, expanded:\n\(before)")
        #expect(before.contains("agency.sites.infr.search.usa.gov. 30 IN A 192.0.2.10"), "the wildcard ALIAS:\n\(before)")
        let after = Self.squeezed(Self.section(output, "the load balancer moves"))
        #expect(after.components(separatedBy: "; fully validated").count - 1 == 2, "two validated answers after the move:\n\(after)")
        #expect(after.contains("search.usa.gov. 30 IN A 192.0.2.20") && after.contains("RRSIG A 13 3 "),
                "the apex re-signed with the new address:\n\(after)")
        #expect(after.contains("agency.sites.infr.search.usa.gov. 30 IN A 192.0.2.20") && after.contains("RRSIG A 13 5 "),
                "the wildcard name re-signed with the new address:\n\(after)")
        #expect(!after.contains("192.0.2.10"), "no answer with the old address after the move:\n\(after)")

        // Operating it: zone status names the change; /healthz answers; /metrics has per-zone series.
        let status = Self.section(output, "dns-signer zone status")
        #expect(status.contains("search.usa.gov.") && status.contains("192.0.2.20"), "zone status says what changed last:\n\(status)")
        let operations = Self.section(output, "the signer's health check and metrics")
        #expect(operations.contains("/healthz") && operations.contains("/metrics"), "\(operations)")
        #expect(operations.contains(/countersign_[a-z_]+\{[^}]*zone="search\.usa\.gov\."/), "per-zone metrics:\n\(operations)")
        #expect(flat.contains("a zone transfer without the key: refused"), "TSIG guards the transfer:\n\(output)")

        // Nothing left behind: the scratch directory is gone and no process mentions it.
        let scratch = output.firstMatch(of: /scratch directory: (\S+)/).map { String($0.1) }
        #expect(scratch?.contains("countersign-demo.") == true, "the scratch directory is printed:\n\(output)")
        if let scratch {
            #expect(!FileManager.default.fileExists(atPath: scratch), "\(scratch) was removed")
            let deadline = Date().addingTimeInterval(5)
            var left = Self.processes(mentioning: scratch)
            while !left.isEmpty && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.1)
                left = Self.processes(mentioning: scratch)
            }
            #expect(left.isEmpty, "processes still running from \(scratch): \(left)")
        }
    }

    @Test func unknownArgumentsAreRefusedAndHelpDescribesTheFlags() throws {
        let help = try ExternalTool.execute("bash", [Self.script, "--help"], timeout: 10)
        #expect(help.status == 0 && help.output.contains("--no-build") && help.output.contains("--keep"), "\(help.output)")
        let wrong = try ExternalTool.execute("bash", [Self.script, "--frobnicate"], timeout: 10)
        #expect(wrong.status == 2 && wrong.output.contains("unknown argument --frobnicate"), "\(wrong.output)")
    }
}
