import DNSCore
import Foundation
import Testing
@testable import Signer

/// `dns-signer zone set` as an operator runs it against the store: only the options given change, the
/// output says what changed and what the daemon will do about it, and every refusal names the problem,
/// exits non-zero and leaves the database as it was (compared with `sqlite3 .dump`).
@Suite(.serialized)
struct SignerZoneSetCLITests {
    let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("signer-zone-set-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    var db: String { directory + "/signer.db" }

    func signer(_ arguments: [String]) throws -> CLITests.Run {
        try CLITests.run("dns-signer", arguments + ["--db", db])
    }

    func settings(_ zone: String) throws -> [String: Any] {
        let status = try signer(["zone", "status", zone, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any], "\(status.output)")
        return try #require(json["settings"] as? [String: Any])
    }

    @Test func onlyTheOptionsGivenChange() throws {
        #expect(try signer(["tsig", "add", "xfr", "--secret", "c2VjcmV0c2VjcmV0"]).status == 0)
        let add = try signer(["zone", "add", "example.test.", "--primary", "192.0.2.1", "--key", "xfr", "--poll", "5m",
                              "--shrink-limit", "0.3", "--signed-serial", "increment"])
        #expect(add.status == 0, "\(add.output)")
        let before = try settings("example.test.")

        let set = try signer(["zone", "set", "Example.Test", "--primary", "192.0.2.7:5353", "--primary", "[2001:db8::7]", "--poll", "30s"])
        #expect(set.status == 0, "\(set.output)")
        for line in ["updated example.test.", "primaries: 192.0.2.1:53 → 192.0.2.7:5353, [2001:db8::7]:53 (polled at once)",
                     "poll interval: 5m → 30s (the cycle restarts"] {
            #expect(set.output.contains(line), "\(line)\n---\n\(set.output)")
        }
        #expect(!set.output.contains("TSIG key") && !set.output.contains("denial"), "only what changed is listed:\n\(set.output)")
        var after = try settings("example.test.")
        #expect(after["primaries"] as? [String] == ["192.0.2.7:5353", "[2001:db8::7]:53"])
        #expect(after["pollSeconds"] as? Int == 30)
        for key in ["tsigKey", "denial", "optOut", "algorithm", "csk", "shrinkLimit", "allowSerialDecrease", "signedSerialPolicy", "onExpire"] {
            #expect("\(after[key] ?? "nil")" == "\(before[key] ?? "nil")", "\(key) must not change")
        }

        let more = try signer(["zone", "set", "example.test.", "--no-key", "--nsec3", "--opt-out", "--shrink-limit", "0.8",
                               "--allow-serial-decrease", "--signed-serial", "unixtime", "--on-expire", "keep-serving",
                               "--algorithm", "ed25519", "--csk", "--transfer", "axfr"])
        #expect(more.status == 0, "\(more.output)")
        for line in ["TSIG key: xfr. → none", "denial: NSEC → NSEC3 opt-out (from the first signing)",
                     "algorithm: ECDSAP256SHA256 → ED25519", "keys: KSK + ZSK → CSK",
                     "shrink guard: refuse losing more than 30 % → refuse losing more than 80 %",
                     "serial decrease: refused → allowed", "signed serial: increment → unixtime", "on expire: servfail → keep-serving",
                     "transfer: ixfr → axfr (from the next poll)"] {
            #expect(more.output.contains(line), "\(line)\n---\n\(more.output)")
        }
        let status = try signer(["zone", "status", "example.test."])
        for line in ["primaries:       192.0.2.7:5353, [2001:db8::7]:53, polled every 30s",
                     "signing:         NSEC3 opt-out, ED25519, CSK, signed serial unixtime",
                     "guards:          refuse losing more than 80 % of the RRsets; serial decrease allowed",
                     "on expire:       keep-serving", "transfers:       AXFR, poll mode auto, content check (AXFR) every 1h"] {
            #expect(status.output.contains(line), "zone status shows the settings: \(line)\n---\n\(status.output)")
        }

        // --nsec3 alone turns opt-out off; --no-… flags turn options off; the key can come back.
        let back = try signer(["zone", "set", "example.test.", "--nsec3", "--no-allow-serial-decrease", "--no-csk", "--key", "XFR"])
        #expect(back.status == 0, "\(back.output)")
        #expect(back.output.contains("denial: NSEC3 opt-out → NSEC3"), "\(back.output)")
        after = try settings("example.test.")
        #expect(after["optOut"] as? Bool == false)
        #expect(after["allowSerialDecrease"] as? Bool == false)
        #expect(after["csk"] as? Bool == false)
        #expect(after["tsigKey"] as? String == "xfr.")

        // JSON for scripts: the zone as `zone status --json` shows it.
        let json = try signer(["zone", "set", "example.test.", "--nsec", "--json"])
        #expect(json.status == 0, "\(json.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect((object["settings"] as? [String: Any])?["denial"] as? String == "nsec")
        #expect(object["zone"] as? String == "example.test.")

        // Settings already in place: said so, nothing written.
        let same = try signer(["zone", "set", "example.test.", "--nsec", "--poll", "30s"])
        #expect(same.status == 0)
        #expect(same.output.contains("example.test.: nothing changed"), "\(same.output)")

        // `zone add` of an existing zone now points at `zone set`.
        let again = try signer(["zone", "add", "example.test.", "--primary", "192.0.2.9"])
        #expect(again.status != 0)
        #expect(again.output.contains("already exists") && again.output.contains("zone set"), "\(again.output)")
    }

    @Test func badInputIsNamedAndChangesNothing() throws {
        guard ExternalTool.require("sqlite3") else { return }
        #expect(try signer(["tsig", "add", "xfr", "--secret", "c2VjcmV0c2VjcmV0"]).status == 0)
        #expect(try signer(["zone", "add", "example.test.", "--primary", "192.0.2.1", "--key", "xfr"]).status == 0)
        #expect(try signer(["zone", "add", "signed.test.", "--primary", "192.0.2.2"]).status == 0)
        // signed.test. has been signed: the daemon made and stored its keys.
        let store = try SignerStore(path: db)
        try store.storeKeys(zone: "signed.test.", keys: [
            try SigningKey.generate(flags: SigningKey.keySigningFlags), try SigningKey.generate(flags: SigningKey.zoneSigningFlags),
        ], now: Date())

        func dump() throws -> String { try ExternalTool.run("sqlite3", [db, ".dump"], timeout: 30) }
        let before = try dump()
        let z = ["zone", "set", "example.test."]
        let cases: [([String], [String])] = [
            (["zone", "set", "missing.test", "--poll", "30s"], ["zone missing.test.", "no such zone"]),
            (["zone", "set", "bad..name", "--poll", "30s"], ["bad..name", "bad zone name"]),
            (z, ["zone example.test.", "nothing to change", "zone set --help"]),
            (z + ["--key", "nokey"], ["zone example.test.", "key nokey.", "no such TSIG key"]),
            (z + ["--key", "xfr", "--no-key"], ["zone example.test.", "--key/--no-key", "not both"]),
            (z + ["--primary", "primary.example"], ["zone example.test.", "--primary primary.example", "not an IP address"]),
            (z + ["--primary", "192.0.2.1:99999"], ["zone example.test.", "--primary 192.0.2.1:99999", "port"]),
            (z + ["--primary", "192.0.2.1", "--primary", "192.0.2.1:53"], ["zone example.test.", "primary 192.0.2.1:53", "given twice"]),
            (z + ["--poll", "5x"], ["zone example.test.", "--poll 5x", "duration"]),
            (z + ["--poll", "0s"], ["zone example.test.", "--poll 0s"]),
            (z + ["--poll", "2d"], ["zone example.test.", "poll interval 172800s", "1 day"]),
            (z + ["--shrink-limit", "2"], ["zone example.test.", "shrink limit 2"]),
            (z + ["--shrink-limit", "half"], ["zone example.test.", "--shrink-limit half"]),
            (z + ["--opt-out"], ["zone example.test.", "--opt-out", "with --nsec3"]),
            (z + ["--nsec", "--opt-out"], ["zone example.test.", "--opt-out", "with --nsec3"]),
            (z + ["--nsec", "--nsec3"], ["zone example.test.", "--nsec/--nsec3", "not both"]),
            (z + ["--signed-serial", "weekly"], ["zone example.test.", "--signed-serial weekly", "unixtime or increment"]),
            (z + ["--on-expire", "panic"], ["zone example.test.", "--on-expire panic", "servfail or keep-serving"]),
            (z + ["--algorithm", "bogus"], ["zone example.test.", "--algorithm bogus", "unknown algorithm"]),
            (z + ["--algorithm", "rsasha1"], ["zone example.test.", "algorithm RSASHA1", "not supported"]),
            (z + ["--allow-serial-decrease", "--no-allow-serial-decrease"], ["allow-serial-decrease"]),
            (z + ["--csk", "--no-csk"], ["csk"]),
            (z + ["--poll", "30s", "--key", "nokey"], ["no such TSIG key"]),
            (z + ["--zsk-lifetime", "soon"], ["zone example.test.", "--zsk-lifetime soon", "duration"]),
            (z + ["--zsk-lifetime", "1s"], ["zone example.test.", "ZSK lifetime 1s", "twice the propagation delay"]),
            (z + ["--ds-check-interval", "0s"], ["zone example.test.", "--ds-check-interval 0s"]),
            (z + ["--parent-server", "192.0.2.1:0"], ["zone example.test.", "parent server 192.0.2.1:0"]),
            (z + ["--parent-server", "192.0.2.1", "--no-parent-server"], ["--parent-server/--no-parent-server", "not both"]),
            (z + ["--unsigned", "--signed"], ["--unsigned/--signed", "not both"]),
            (z + ["--transfer", "incremental"], ["zone example.test.", "--transfer incremental", "ixfr or axfr"]),
        ]
        for (arguments, fragments) in cases {
            let run = try signer(arguments)
            #expect(run.status != 0, "\(arguments) succeeded: \(run.output)")
            for fragment in fragments {
                #expect(run.output.contains(fragment), "\(arguments): expected '\(fragment)' in: \(run.output)")
            }
        }
        #expect(try dump() == before, "refused commands left the database as it was")

        // On the signed zone, everything but the keys can still change.
        let allowed = try signer(["zone", "set", "signed.test.", "--nsec3", "--poll", "30s", "--algorithm", "ecdsap256sha256"])
        #expect(allowed.status == 0, "\(allowed.output)")
        #expect(allowed.output.contains("denial: NSEC → NSEC3 (the zone is signed again in full with the same keys; the DS at the registrar stays valid)"),
                "\(allowed.output)")

        // On a signed zone, another algorithm starts a rollover instead of being refused.
        let rollover = try signer(["zone", "set", "signed.test.", "--algorithm", "ed25519"])
        #expect(rollover.status == 0, "\(rollover.output)")
        #expect(rollover.output.contains("algorithm: ECDSAP256SHA256 → ED25519 (a key-set rollover starts"), "\(rollover.output)")
    }
}
