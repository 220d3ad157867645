import DaemonKit
import DNSEdge
import Foundation
import Testing

@testable import Primary

/// `dns-primary`'s admin commands beyond record edits, run as an operator runs them: transfer ACLs and
/// NOTIFY targets, `zone edit` with scripted editors, `zone show`, `zone set`, `zone export --expanded`
/// against a real NSD upstream, and the config file.
@Suite(.serialized)
struct PrimaryCLITests {
    let bed: PrimaryTestBed
    init() throws { bed = try PrimaryTestBed("primary-cli") }

    static let zoneText = """
        $ORIGIN example.test.
        $TTL 300
        @ SOA ns1 hostmaster 1 3600 900 1209600 300
        @ NS ns1
        ns1 A 192.0.2.53
        www A 192.0.2.80
        @ 60 ALIAS lb.example.net.
        """

    func makeZone() throws {
        let file = bed.dir + "/example.test.zone"
        try Self.zoneText.write(toFile: file, atomically: true, encoding: .utf8)
        try bed.must(["zone", "import", "example.test.", file])
    }

    /// Runs `dns-primary ARGS --db DB` under `env` with `environment` set and VISUAL/EDITOR cleared first.
    func withEnvironment(_ environment: [String: String], _ arguments: [String]) throws -> (status: Int32, output: String) {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try ExternalTool.execute(
            "/usr/bin/env", ["-u", "VISUAL", "-u", "EDITOR"] + assignments + [PrimaryTestBed.binary] + arguments + ["--db", bed.db],
            timeout: 60)
    }

    /// An executable shell script in the test directory.
    func script(_ name: String, _ body: String) throws -> String {
        let path = bed.dir + "/" + name
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    func export() throws -> String { try bed.must(["zone", "export", "example.test."]) }

    /// `zone edit`'s private directories in the temporary directory.
    static func editDirectories() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("dns-primary-edit-") })
    }

    // MARK: Transfer ACL and NOTIFY targets

    @Test func transferACLAndNotifyTargetsAreKeptPerZone() throws {
        try makeZone()
        try bed.must(["tsig", "add", "xfr"])
        #expect(try bed.must(["zone", "acl", "add", "example.test.", "192.0.2.0/24", "--key", "xfr"])
                == "zone example.test.: transfer allowed to 192.0.2.0/24 key xfr.\n")
        #expect(try bed.must(["zone", "acl", "add", "example.test", "2001:db8::1"])
                .contains("2001:db8::1/128 (no key)"), "a bare address is a host; the trailing dot is optional")
        #expect(try bed.must(["zone", "acl", "list", "example.test."]) == "192.0.2.0/24 key xfr.\n2001:db8::1/128 (no key)\n")
        let json = try bed.must(["zone", "acl", "list", "example.test.", "--json"])
        let entries = try JSONDecoder().decode([TransferACLEntry].self, from: Data(json.utf8))
        #expect(entries == [TransferACLEntry(prefix: "192.0.2.0/24", key: "xfr."), TransferACLEntry(prefix: "2001:db8::1/128")])

        #expect(try bed.must(["zone", "notify", "add", "example.test.", "[2001:db8::2]:5353"]).contains("[2001:db8::2]:5353"))
        try bed.must(["zone", "notify", "add", "example.test.", "192.0.2.7", "--key", "xfr"])
        #expect(try bed.must(["zone", "notify", "list", "example.test."]) == "192.0.2.7:53 key xfr.\n[2001:db8::2]:5353\n")
        let targets = try JSONDecoder().decode(
            [NotifyTarget].self, from: Data(try bed.must(["zone", "notify", "list", "example.test.", "--json"]).utf8))
        #expect(targets == [NotifyTarget(address: "192.0.2.7", port: 53, key: "xfr."), NotifyTarget(address: "2001:db8::2", port: 5353)])

        // Refusals: a clear message naming the zone, non-zero, nothing changed.
        let before = try bed.must(["zone", "show", "example.test.", "--json"])
        let refusals: [([String], String)] = [
            (["zone", "acl", "add", "example.test.", "300.1.1.1"], "zone example.test.: record '300.1.1.1'"),
            (["zone", "acl", "add", "example.test.", "192.0.2.0/33"], "192.0.2.0/33"),
            (["zone", "acl", "add", "missing.test.", "192.0.2.1"], "zone missing.test.: no such zone"),
            (["zone", "acl", "add", "example.test.", "192.0.2.1", "--key", "nokey"], "record 'nokey.': no such TSIG key"),
            (["zone", "acl", "add", "example.test.", "192.0.2.0/24", "--key", "xfr"], "the ACL entry exists"),
            (["zone", "acl", "delete", "example.test.", "192.0.2.0/24"], "no such ACL entry"),
            (["zone", "notify", "add", "example.test.", "ns.example.net"], "not an IP address"),
            (["zone", "notify", "add", "example.test.", "192.0.2.7:0"], "port must be 1...65535"),
            (["zone", "notify", "add", "example.test.", "192.0.2.7:53"], "the NOTIFY target exists"),
            (["zone", "notify", "delete", "example.test.", "192.0.2.8"], "no such NOTIFY target"),
            (["tsig", "delete", "xfr"], "used by 2 transfer ACL entries or NOTIFY targets"),
            (["zone", "acl", "add", "example.test."], "Missing expected argument '<prefix>'"),
        ]
        for (arguments, message) in refusals {
            let refused = try bed.cli(arguments)
            #expect(refused.status != 0, "\(arguments)")
            #expect(refused.output.contains(message), "\(arguments): \(refused.output)")
        }
        let after = try bed.must(["zone", "show", "example.test.", "--json"])
        #expect(after == before, "refusals changed nothing")

        #expect(try bed.must(["zone", "acl", "delete", "example.test.", "192.0.2.0/24", "--key", "xfr"])
                .contains("no longer allowed to 192.0.2.0/24 key xfr."))
        try bed.must(["zone", "notify", "delete", "example.test.", "192.0.2.7:53"])
        #expect(try bed.must(["zone", "acl", "list", "example.test."]) == "2001:db8::1/128 (no key)\n")
        #expect(try bed.must(["zone", "notify", "list", "example.test."]) == "[2001:db8::2]:5353\n")
        try bed.must(["tsig", "delete", "xfr"])
    }

    // MARK: zone show and zone set

    @Test func zoneShowSaysWhatAnOperatorChecks() throws {
        try makeZone()
        try bed.must(["zone", "acl", "add", "example.test.", "192.0.2.0/24"])
        try bed.must(["zone", "notify", "add", "example.test.", "192.0.2.7:5300"])
        let text = try bed.must(["zone", "show", "example.test."])
        for expected in [
            "zone:         example.test.\n",
            "serial:       1 (policy increment)\n",  // a new zone keeps the file's serial
            "records:      5 in 5 RRsets at 3 names\n",
            "ALIAS:        1, targets ok, on failure fail\n",
            "              example.test. 60 → lb.example.net.\n",
            "transfer ACL: 192.0.2.0/24 (no key)\n",
            "NOTIFY:       192.0.2.7:5300\n",
            "last change:  ",
        ] {
            #expect(text.contains(expected), "\(expected) in:\n\(text)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(try bed.must(["zone", "show", "example.test.", "--json"]).utf8)) as? [String: Any]
        #expect(json?["serial"] as? Int == 1)
        #expect(json?["aliasCount"] as? Int == 1)
        #expect(json?["recordCount"] as? Int == 5)
        #expect(json?["aliasFailurePolicy"] as? String == "fail")
        #expect((json?["transferACL"] as? [[String: Any]])?.first?["prefix"] as? String == "192.0.2.0/24")
        #expect((json?["notifyTargets"] as? [[String: Any]])?.first?["port"] as? Int == 5300)
        #expect(json?["updatedAt"] is String)

        #expect(try bed.must(["zone", "set", "example.test.", "--alias-failure", "keep-last", "--keep-last-max-age", "2h"])
                == "example.test.: serial policy increment, ALIAS failure keep-last (keep-last max age 7200s)\n")
        #expect(try bed.must(["zone", "show", "example.test."]).contains("on failure keep-last (max age 7200s)"))
        let nothing = try bed.cli(["zone", "set", "example.test."])
        #expect(nothing.status != 0 && nothing.output.contains("nothing to change"))
        let bad = try bed.cli(["zone", "set", "example.test.", "--alias-failure", "retry"])
        #expect(bad.status != 0 && bad.output.contains("retry"))
        let missing = try bed.cli(["zone", "show", "missing.test."])
        #expect(missing.status != 0 && missing.output.contains("zone missing.test.: no such zone"))
    }

    @Test func recordEditsAnswerInJSONForScripts() throws {
        try makeZone()
        let added = try bed.must(["record", "add", "example.test.", "api", "300", "A", "192.0.2.90", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(added.utf8)) as? [String: Any]
        #expect(object?["action"] as? String == "added")
        #expect(object?["zone"] as? String == "example.test.")
        #expect(object?["serial"] as? Int == 2)
        #expect(try bed.must(["record", "replace", "example.test.", "api", "300", "A", "192.0.2.91", "|", "192.0.2.92"])
                == "replaced; example.test. serial 3\n")
        #expect(try bed.must(["record", "delete", "example.test.", "api", "A", "192.0.2.91", "--json"]).contains("\"serial\" : 4"))
    }

    // MARK: zone edit

    @Test func zoneEditCommitsTheEditorsChangeWithANewSerial() throws {
        try makeZone()
        let editsBefore = try Self.editDirectories()
        let before = try export()
        let edit = try script("edit.sh", "sed -i 's/192.0.2.80/192.0.2.81/' \"$1\"")
        let saved = try withEnvironment(["EDITOR": edit], ["zone", "edit", "example.test."])
        #expect(saved.status == 0, "\(saved.output)")
        #expect(saved.output.contains("zone example.test.: saved, serial 2; 1 RRsets removed, 1 added"))
        let after = try export()
        #expect(after.contains("www.example.test.\t300\tIN\tA\t192.0.2.81"))
        #expect(!after.contains("192.0.2.80"))
        #expect(after.contains("hostmaster.example.test. 2 "), "the serial rose from 1 to 2")
        #expect(before != after)

        // VISUAL wins over EDITOR; a file saved unchanged changes nothing (no serial increase).
        let untouched = try withEnvironment(["VISUAL": "true", "EDITOR": edit], ["zone", "edit", "example.test."])
        #expect(untouched.status == 0)
        #expect(untouched.output.contains("zone example.test.: no changes"))
        #expect(try export() == after)

        // The operator's own higher serial is kept.
        let serial = try script("serial.sh", "sed -i 's/ 2 3600 900/ 2030010100 3600 900/' \"$1\"")
        #expect(try withEnvironment(["EDITOR": serial], ["zone", "edit", "example.test."]).status == 0)
        #expect(try export().contains("hostmaster.example.test. 2030010100 "))

        // Editors given with arguments are run through the shell.
        let withArguments = try withEnvironment(["EDITOR": "sed -i s/192.0.2.81/192.0.2.82/"], ["zone", "edit", "example.test."])
        #expect(withArguments.status == 0, "\(withArguments.output)")
        #expect(try export().contains("192.0.2.82"))
        #expect(try Self.editDirectories() == editsBefore, "the temporary files are removed")
    }

    @Test func zoneEditWithoutATerminalRefusesMistakesAndChangesNothing() throws {
        try makeZone()
        let before = try export()
        let cases: [(String, String)] = [
            ("echo 'www 300 IN A 999.1.1.1' >> \"$1\"", ".zone:10:14: A address: expected a dotted-quad IPv4 address"),
            ("echo 'www 300 IN CNAME elsewhere.example.' >> \"$1\"", "www.example.test. CNAME: CNAME beside other data"),
            ("echo '@ 300 IN ALIAS second.example.' >> \"$1\"", "ALIAS"),
            ("sed -i '/SOA/d' \"$1\"", "SOA"),
            ("echo 'www.other.test. 300 IN A 192.0.2.1' >> \"$1\"", "out of zone"),
            ("exit 1", "the editor"),
        ]
        for (index, (body, message)) in cases.enumerated() {
            let editor = try script("bad\(index).sh", body)
            let refused = try withEnvironment(["EDITOR": editor], ["zone", "edit", "example.test."])
            #expect(refused.status != 0, "\(body)")
            #expect(refused.output.contains(message), "\(body): \(refused.output)")
            #expect(refused.output.contains("nothing changed"), "\(body): \(refused.output)")
            #expect(try export() == before, "\(body) changed the zone")
        }
        let unknown = try withEnvironment(["EDITOR": "true"], ["zone", "edit", "missing.test."])
        #expect(unknown.status != 0 && unknown.output.contains("zone missing.test.: no such zone"))
    }

    @Test func zoneEditReopensTheEditorAtATerminalUntilTheZoneIsValid() throws {
        guard ExternalTool.require("script") else { return }
        try makeZone()
        // First run: a mistake. Second run: fixed. `script` gives the command a terminal; "y" answers
        // "Edit again?".
        let editor = try script("twice.sh", """
            if [ ! -e "$1.seen" ]; then touch "$1.seen"; echo 'www 300 IN A 999.1.1.1' >> "$1"
            else sed -i 's/999.1.1.1/192.0.2.99/' "$1"; fi
            """)
        func atTerminal(_ answer: String) throws -> (status: Int32, output: String) {
            let command = "env -u VISUAL EDITOR=\(editor) \(PrimaryTestBed.binary) zone edit example.test. --db \(bed.db)"
            return try ExternalTool.execute("/bin/sh", ["-c", "printf '\(answer)\\n' | script -qec \"\(command)\" /dev/null"], timeout: 60)
        }
        let before = try export()
        let abandoned = try atTerminal("n")
        #expect(abandoned.output.contains("expected a dotted-quad IPv4 address"))
        #expect(abandoned.output.contains("Edit again? [Y/n]"))
        #expect(abandoned.output.contains("edit abandoned; nothing changed"), "\(abandoned.output)")
        #expect(try export() == before)

        let fixed = try atTerminal("y")
        #expect(fixed.status == 0, "\(fixed.output)")
        #expect(fixed.output.contains("Edit again? [Y/n]"))
        #expect(fixed.output.contains("saved, serial 2"), "\(fixed.output)")
        #expect(try export().contains("www.example.test.\t300\tIN\tA\t192.0.2.99"))
    }

    @Test func zoneEditNeverUndoesAnEditMadeMeanwhile() throws {
        try makeZone()
        // The editor session overlaps another operator's `record add`.
        let editor = try script("overlap.sh", """
            "\(PrimaryTestBed.binary)" record add example.test. other 300 A 192.0.2.77 --db "\(bed.db)" >/dev/null
            sed -i 's/192.0.2.80/192.0.2.81/' "$1"
            """)
        let refused = try withEnvironment(["EDITOR": editor], ["zone", "edit", "example.test."])
        #expect(refused.status != 0)
        #expect(refused.output.contains("changed by someone else while you were editing; nothing committed"), "\(refused.output)")
        let zone = try export()
        #expect(zone.contains("other.example.test.\t300\tIN\tA\t192.0.2.77"), "the other edit stays")
        #expect(zone.contains("192.0.2.80") && !zone.contains("192.0.2.81"))
        // The operator's file is kept for them; it holds their change.
        let kept = try #require(refused.output.range(of: #"kept in (\S+)"#, options: .regularExpression))
        let path = String(refused.output[kept].dropFirst("kept in ".count))
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("192.0.2.81"))
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    // MARK: zone export --expanded

    static let upstream = """
        $ORIGIN ec2.aws.com.
        $TTL 30
        @ SOA ns hostmaster 1 3600 600 86400 30
        @ NS ns
        ns A 127.0.0.1
        usasearch-elb 45 A 192.0.2.10
        usasearch-elb 45 AAAA 2001:db8::10

        """

    @Test func exportExpandedIsWhatTheTransferCarries() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        try bed.startUpstream(zones: ["ec2.aws.com": Self.upstream])
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../deploy/search.usa.gov.zone").standardized.path
        try bed.must(["zone", "import", "search.usa.gov.", seed])
        let resolver = "127.0.0.1:\(bed.upstreamPort)"

        let expanded = try bed.must(["zone", "export", "search.usa.gov.", "--expanded", "--resolver", resolver])
        #expect(expanded.contains("search.usa.gov.\t45\tIN\tA\t192.0.2.10"), "TTL min(ALIAS 60, target 45):\n\(expanded)")
        #expect(expanded.contains("search.usa.gov.\t45\tIN\tAAAA\t2001:db8::10"))
        #expect(expanded.contains("*.sites.infr.search.usa.gov.\t45\tIN\tA\t192.0.2.10"))
        #expect(!expanded.contains("ALIAS"))
        #expect(try bed.must(["zone", "export", "search.usa.gov."]).contains("ALIAS\tusasearch-elb.ec2.aws.com."),
                "without --expanded the ALIAS records are printed as stored")

        // Record for record what `dns-primary serve` transfers (both put through the same formatter).
        try bed.startPrimary()
        let served = PrimaryTestBed.poll(20, { bed.axfr("search.usa.gov.") }) { !AXFRResult($0).records.isEmpty }
        #expect(served.ok, "\(served.output)\n\(bed.primaryLog)")
        let transferred = AXFRResult(served.output).records.dropLast().joined(separator: "\n") + "\n"  // one SOA
        func canonical(_ text: String) throws -> String {
            let file = bed.dir + "/canonical-\(UUID().uuidString).zone"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let formatted = try ExternalTool.execute(PrimaryTestBed.binary, ["zonefile", "format", "--origin", "search.usa.gov.", file])
            #expect(formatted.status == 0, "\(formatted.output)")
            return formatted.output.split(separator: "\n").filter { !$0.hasPrefix(";") }.joined(separator: "\n")
        }
        #expect(try canonical(expanded) == canonical(transferred))
        bed.stopPrimary()

        // The failure policy applies: with the upstream gone, `fail` refuses and prints nothing...
        bed.stopUpstream()
        let failed = try bed.cli(["zone", "export", "search.usa.gov.", "--expanded", "--resolver", resolver])
        #expect(failed.status != 0)
        #expect(failed.output.contains("zone search.usa.gov.: ALIAS not expanded (policy fail)"), "\(failed.output)")
        #expect(failed.output.contains("usasearch-elb.ec2.aws.com."))
        #expect(!failed.output.contains("IN\tSOA"))
        // ... and `ignore` leaves the addresses out, with a warning naming the owner and target.
        try bed.must(["zone", "set", "search.usa.gov.", "--alias-failure", "ignore"])
        let ignored = try bed.cli(["zone", "export", "search.usa.gov.", "--expanded", "--resolver", resolver])
        #expect(ignored.status == 0, "\(ignored.output)")
        #expect(ignored.output.contains("warning: zone search.usa.gov.:"))
        #expect(ignored.output.contains("usasearch-elb.ec2.aws.com."))
        #expect(!ignored.output.contains("192.0.2.10") && ignored.output.contains("mail.search.usa.gov.\t300\tIN\tA\t192.0.2.25"))

        let misuse = try bed.cli(["zone", "export", "search.usa.gov.", "--resolver", resolver])
        #expect(misuse.status != 0 && misuse.output.contains("--resolver is used only with --expanded"))
        let badResolver = try bed.cli(["zone", "export", "search.usa.gov.", "--expanded", "--resolver", "127.0.0.1:99999"])
        #expect(badResolver.status != 0 && badResolver.output.contains("--resolver 127.0.0.1:99999"))
        let hostname = try bed.cli(["zone", "export", "search.usa.gov.", "--expanded", "--resolver", "resolver.example"])
        #expect(hostname.status != 0 && hostname.output.contains("--resolver resolver.example: not an IP address"), "\(hostname.output)")
    }

    // MARK: The config file

    @Test func adminCommandsFindTheDatabaseThroughTheConfigFile() throws {
        let configured = bed.dir + "/configured.db"
        let config = bed.dir + "/primary.conf"
        try "# test\ndatabase \"\(configured)\"\nlisten 127.0.0.1:5300\n".write(toFile: config, atomically: true, encoding: .utf8)
        func run(_ arguments: [String], environment: [String] = []) throws -> (status: Int32, output: String) {
            try ExternalTool.execute("/usr/bin/env", ["-u", "DNS_PRIMARY_DB", "-u", "DNS_PRIMARY_CONFIG"] + environment
                                     + [PrimaryTestBed.binary] + arguments, timeout: 60)
        }
        #expect(try run(["zone", "create", "conf.test.", "--ns", "ns1.conf.test.", "--config", config]).status == 0)
        #expect(FileManager.default.fileExists(atPath: configured))
        #expect(try run(["zone", "list", "--config", config]).output.contains("conf.test."))
        #expect(try run(["zone", "list"], environment: ["DNS_PRIMARY_CONFIG=\(config)"]).output.contains("conf.test."))
        // --db and $DNS_PRIMARY_DB win over the file.
        let other = bed.dir + "/other.db"
        #expect(try run(["zone", "list", "--config", config, "--db", other]).output == "\n")
        #expect(try run(["zone", "list", "--config", config], environment: ["DNS_PRIMARY_DB=\(other)"]).output == "\n")

        try "database \(configured)\nlisen 127.0.0.1:5300\n".write(toFile: config, atomically: true, encoding: .utf8)
        let typo = try run(["zone", "list", "--config", config])
        #expect(typo.status != 0)
        #expect(typo.output.contains("\(config):2: unknown key 'lisen' (did you mean 'listen'?)"), "\(typo.output)")
        let missing = try run(["zone", "list", "--config", bed.dir + "/nope.conf"])
        #expect(missing.status != 0 && missing.output.contains("nope.conf: cannot read the file"))
    }

    @Test func serveSettingsTakeFlagsOverTheFileOverTheDefaults() throws {
        let config = try ConfigFile.parse("""
            database /var/lib/x.db
            listen 127.0.0.1:5300
            listen [::1]:5300
            resolver 192.0.2.53
            refresh 5m
            allow-transfer 192.0.2.0/24 key xfr
            log-format json
            metrics-listen 127.0.0.1
            alias-concurrency 16
            """, file: "p.conf")
        try config.validate(allowedKeys: ConfigFile.primaryKeys)
        let fromFile = try PrimaryServeSettings(flags: .init(), config: config, systemResolvers: { ["198.51.100.1"] })
        #expect(fromFile.database == "/var/lib/x.db")
        #expect(fromFile.listen == [ListenAddress(host: "127.0.0.1", port: 5300), ListenAddress(host: "::1", port: 5300)])
        #expect(fromFile.resolvers == [ListenAddress(host: "192.0.2.53", port: 53)])
        #expect(fromFile.refresh == 300 && fromFile.retry == 5 && fromFile.threads == 2)
        #expect(fromFile.transferACL.description == "192.0.2.0/24 key xfr.")
        #expect(fromFile.logFormat == .json)
        #expect(fromFile.metricsListen == ListenAddress(host: "127.0.0.1", port: 9153))
        #expect(fromFile.aliasConcurrency == 16)

        var flags = PrimaryServeSettings.Flags()
        flags.database = "/tmp/flag.db"
        flags.listen = ["127.0.0.1:5301"]
        flags.refresh = 7
        flags.threads = 3
        flags.allowTransfer = ["10.0.0.0/8"]
        flags.logFormat = .text
        flags.aliasConcurrency = 200
        let overridden = try PrimaryServeSettings(flags: flags, config: config, systemResolvers: { [] })
        #expect(overridden.database == "/tmp/flag.db")
        #expect(overridden.listen == [ListenAddress(host: "127.0.0.1", port: 5301)], "a flag replaces the whole list")
        #expect(overridden.resolvers == [ListenAddress(host: "192.0.2.53", port: 53)], "the file still fills what no flag gave")
        #expect(overridden.refresh == 7 && overridden.threads == 3 && overridden.logFormat == .text)
        #expect(overridden.transferACL.description == "10.0.0.0/8")
        #expect(overridden.aliasConcurrency == 200)

        let defaults = try PrimaryServeSettings(flags: .init(), config: .empty, environment: ["DNS_PRIMARY_DB": "/env.db"],
                                                systemResolvers: { ["198.51.100.1", "fe80::1%eth0"] })
        #expect(defaults.database == "/env.db")
        #expect(defaults.listen == [ListenAddress(host: "127.0.0.1", port: 53)])
        #expect(defaults.resolvers == [ListenAddress(host: "198.51.100.1", port: 53)])
        #expect(defaults.transferACL == .loopbackOnly && defaults.metricsListen == nil && defaults.logFormat == .text)
        #expect(defaults.aliasConcurrency == PrimaryServeSettings.defaultAliasConcurrency)

        #expect(throws: ConfigError(file: "p.conf", line: 1, reason: "refresh: 0s is out of range (1...86400 seconds)")) {
            try PrimaryServeSettings(flags: .init(), config: ConfigFile.parse("refresh 0", file: "p.conf"), systemResolvers: { ["192.0.2.1"] })
        }
        #expect(throws: ConfigError.self) {
            try PrimaryServeSettings(flags: .init(), config: ConfigFile.parse("allow-transfer 10.0.0.0/8 key", file: "p.conf"),
                                     systemResolvers: { ["192.0.2.1"] })
        }
        var badFlag = PrimaryServeSettings.Flags()
        badFlag.listen = ["127.0.0.1:99999"]
        #expect(throws: (any Error).self) { try PrimaryServeSettings(flags: badFlag, config: .empty, systemResolvers: { ["192.0.2.1"] }) }
        #expect(throws: (any Error).self) { try PrimaryServeSettings(flags: .init(), config: .empty, systemResolvers: { [] }) }
    }
}
