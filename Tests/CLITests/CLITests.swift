import Foundation
import Testing

/// The command-line tools as an operator uses them: built binaries run as processes, checked by exit
/// status, output, and by tools nobody here wrote.
@Suite(.serialized)
struct CLITests {
    /// The executables sit beside the test bundle in the build directory.
    static let binDirectory: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("dns-signer").path) {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    struct Run {
        var status: Int32
        var output: String
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> Run {
        let path = binDirectory.appendingPathComponent(tool).path
        #expect(FileManager.default.isExecutableFile(atPath: path), "\(path) is built by `swift build --build-tests`")
        let result = try ExternalTool.execute(path, arguments, timeout: 120)
        return Run(status: result.status, output: result.output)
    }

    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func file(_ name: String, _ text: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let zoneText = """
        $ORIGIN example.test.
        $TTL 300
        @ SOA ns1 hostmaster 1 3600 900 1209600 300
        @ NS ns1
        ns1 A 192.0.2.53
        www A 192.0.2.80
        *.wild AAAA 2001:db8::1
        sub NS ns.sub
        ns.sub A 192.0.2.54
        """

    @Test func zonefileCheckAcceptsGoodZonesAndPointsAtMistakes() throws {
        let good = try file("good.db", Self.zoneText)
        let ok = try Self.run("dns-primary", ["zonefile", "check", "--origin", "example.test.", good])
        #expect(ok.status == 0)
        #expect(ok.output.contains("zone example.test. serial 1"))

        let bad = try file("bad.db", Self.zoneText + "\nmail MX ten mail\n")
        let refused = try Self.run("dns-primary", ["zonefile", "check", "--origin", "example.test.", bad])
        #expect(refused.status != 0)
        #expect(refused.output.contains("bad.db:10:9: MX preference: expected a number from 0 to 65535, found \"ten\""))

        let conflict = try file("conflict.db", Self.zoneText + "\nwww CNAME other.example.\n")
        let semantic = try Self.run("dns-primary", ["zonefile", "check", "--origin", "example.test.", conflict])
        #expect(semantic.status == 1)
        #expect(semantic.output.contains("www.example.test. CNAME: CNAME beside other data"))

        let missing = try Self.run("dns-primary", ["zonefile", "check", "--origin", "example.test.", directory.path + "/nope.db"])
        #expect(missing.status != 0)
        #expect(missing.output.contains("nope.db: cannot read the file"))
    }

    @Test func formattedZonesPassBINDAndKnot() throws {
        guard ExternalTool.require("named-checkzone"), ExternalTool.require("kzonecheck") else { return }
        let input = try file("in.db", Self.zoneText)
        let formatted = try Self.run("dns-primary", ["zonefile", "format", "--origin", "example.test.", input])
        #expect(formatted.status == 0)
        let out = try file("out.db", formatted.output)
        try ExternalTool.run("named-checkzone", ["-k", "fail", "-i", "local", "example.test", out])
        try ExternalTool.run("kzonecheck", ["-o", "example.test.", out])
    }

    @Test(arguments: [[], ["--nsec3"], ["--nsec3", "--opt-out"], ["--csk"], ["--algorithm", "ed25519"]])
    func signZoneOutputIsValidForEveryJudge(options: [String]) throws {
        guard ExternalTool.require("dnssec-verify"), ExternalTool.require("ldns-verify-zone"),
              ExternalTool.require("kzonecheck") else { return }
        let input = try file("zone.db", Self.zoneText)
        let signed = directory.appendingPathComponent("zone.signed").path
        let keys = directory.appendingPathComponent("keys").path
        let run = try Self.run("dns-signer", ["sign-zone", "--origin", "example.test.", "--in", input, "--out", signed, "--keys", keys] + options)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("generated"), "keys are generated into an empty directory")
        let ours = try Self.run("dns-signer", ["verify-zone", "--origin", "example.test.", signed])
        #expect(ours.status == 0, "\(ours.output)")
        try ExternalTool.run("dnssec-verify", (options.contains("--csk") ? ["-z"] : []) + ["-o", "example.test", signed])
        try ExternalTool.run("ldns-verify-zone", [signed])
        try ExternalTool.run("kzonecheck", ["-o", "example.test.", "--dnssec", "on", signed])

        // A second signing reuses the keys instead of making new ones.
        let again = try Self.run("dns-signer", ["sign-zone", "--origin", "example.test.", "--in", input, "--out", signed, "--keys", keys] + options)
        #expect(again.status == 0)
        #expect(!again.output.contains("generated"))
    }

    @Test func verifyZoneRejectsTamperingAndExpiry() throws {
        let input = try file("zone.db", Self.zoneText)
        let signed = directory.appendingPathComponent("zone.signed").path
        let keys = directory.appendingPathComponent("keys").path
        let now = 1_800_000_000
        #expect(try Self.run("dns-signer", ["sign-zone", "--origin", "example.test.", "--in", input, "--out", signed,
                                            "--keys", keys, "--now", "\(now)", "--validity", "14d"]).status == 0)
        #expect(try Self.run("dns-signer", ["verify-zone", "--origin", "example.test.", "--now", "\(now)", signed]).status == 0)

        let expired = try Self.run("dns-signer", ["verify-zone", "--origin", "example.test.", "--now", "\(now + 15 * 86400)", signed])
        #expect(expired.status == 1)
        #expect(expired.output.contains("expired"))

        // A record added after signing: unsigned data, and the chain no longer matches.
        let text = try String(contentsOfFile: signed, encoding: .utf8) + "extra.example.test. 300 IN A 192.0.2.99\n"
        let tampered = try file("tampered.signed", text)
        let rejected = try Self.run("dns-signer", ["verify-zone", "--origin", "example.test.", "--now", "\(now)", tampered])
        #expect(rejected.status == 1)
        #expect(rejected.output.contains("extra.example.test."))
    }

    @Test func dsMatchesBINDAndTheRegistrarFields() throws {
        guard ExternalTool.require("dnssec-dsfromkey") else { return }
        let input = try file("zone.db", Self.zoneText)
        let signed = directory.appendingPathComponent("zone.signed").path
        let keys = directory.appendingPathComponent("keys").path
        #expect(try Self.run("dns-signer", ["sign-zone", "--origin", "example.test.", "--in", input, "--out", signed, "--keys", keys]).status == 0)
        let ds = try Self.run("dns-signer", ["ds", "--keys", keys, "--origin", "example.test."])
        #expect(ds.status == 0)
        let dsLine = try #require(ds.output.split(separator: "\n").first { $0.contains("\tDS\t") })
        let ours = dsLine.split(whereSeparator: { $0 == "\t" || $0 == " " }).suffix(4).joined(separator: " ")
        // BIND computes the DS from the KSK in our signed zone.
        let bind = try ExternalTool.run("dnssec-dsfromkey", ["-2", "-f", signed, "example.test"])
        let bindFields = try #require(bind.split(separator: "\n").first).split(separator: " ").suffix(4).joined(separator: " ")
        #expect(ours.uppercased() == bindFields.uppercased())
        #expect(ds.output.contains("Key Tag: "))
        #expect(ds.output.contains("Algorithm: 13 (ECDSAP256SHA256)"))
        #expect(ds.output.contains("Digest Type: 2 (SHA-256)"))
    }

    @Test func signZoneRefusesWhatItMustNotSign() throws {
        let alias = try file("alias.db", Self.zoneText + "\n@ 60 ALIAS lb.example.net.\n")
        let keys = directory.appendingPathComponent("keys").path
        let out = directory.appendingPathComponent("out.signed").path
        let refused = try Self.run("dns-signer", ["sign-zone", "--origin", "example.test.", "--in", alias, "--out", out, "--keys", keys])
        #expect(refused.status != 0)
        #expect(refused.output.contains("ALIAS must be expanded into A/AAAA"))
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is written")

        let badAlgorithm = try Self.run("dns-signer", ["sign-zone", "--origin", "example.test.", "--in", alias, "--out", out, "--keys", keys, "--algorithm", "md5"])
        #expect(badAlgorithm.status != 0)
        #expect(badAlgorithm.output.contains("algorithm md5: use one of"))
    }

    @Test func primaryStoreEditsAreCheckedAndRefusalsChangeNothing() throws {
        let db = ["--db", directory.appendingPathComponent("primary.db").path]
        func primary(_ arguments: [String]) throws -> Run { try Self.run("dns-primary", arguments + db) }
        #expect(try primary(["zone", "create", "example.test.", "--ns", "ns1.example.test.", "--email", "hostmaster@example.test"]).status == 0)
        #expect(try primary(["record", "add", "example.test.", "ns1", "300", "A", "192.0.2.53"]).status == 0)
        #expect(try primary(["record", "add", "example.test.", "@", "60", "ALIAS", "lb.example.net."]).status == 0)
        let before = try primary(["zone", "export", "example.test."]).output
        #expect(before.contains("example.test.\t60\tIN\tALIAS\tlb.example.net."))
        #expect(before.contains("SOA\tns1.example.test. hostmaster.example.test. 3 "), "two edits raised the serial twice")

        let refusals: [([String], String)] = [
            (["record", "add", "example.test.", "@", "60", "CNAME", "other.example."], "CNAME beside other data"),
            (["record", "add", "example.test.", "@", "60", "ALIAS", "second.example."], "ALIAS"),
            (["record", "add", "example.test.", "www", "300", "A", "300.1.1.1"], "expected a dotted-quad IPv4 address"),
            (["record", "add", "example.test.", "www.other.", "300", "A", "192.0.2.1"], "out of zone"),
            (["record", "add", "example.test.", "bad..name", "300", "A", "192.0.2.1"], "empty label"),
            (["record", "add", "missing.test.", "www", "300", "A", "192.0.2.1"], "no such zone"),
            (["record", "add", "example.test.", "www", "300", "BOGUS", "x"], "BOGUS"),
        ]
        for (arguments, message) in refusals {
            let refused = try primary(arguments)
            #expect(refused.status != 0, "\(arguments)")
            #expect(refused.output.contains(message), "\(arguments): \(refused.output)")
        }
        #expect(try primary(["zone", "export", "example.test."]).output == before, "refused edits changed nothing")

        let listed = try primary(["zone", "list", "--json"])
        #expect(listed.output.contains("\"serial\" : 3"))
        let key = try primary(["tsig", "add", "xfr"])
        #expect(key.output.hasPrefix("key \"xfr.\" { algorithm hmac-sha256; secret \""))
        #expect(!(try primary(["tsig", "list"]).output.contains("secret")), "secrets are shown only once")
    }
}
