import DNSCore
import Foundation
import Testing
@testable import Signer

/// `dns-signer keys status|plan|roll|ds-seen|ds-gone` against the store, as an operator runs them: the
/// plan's times are RFC 7583's sums of the zone's settings, and every request that cannot be taken now
/// is refused with the reason, exits non-zero and leaves the database as it was (`sqlite3 .dump`).
@Suite(.serialized)
struct KeysCLITests {
    let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("signer-keys-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    var db: String { directory + "/signer.db" }

    func signer(_ arguments: [String]) throws -> CLITests.Run {
        try CLITests.run("dns-signer", arguments + ["--db", db])
    }

    func dump() throws -> String { try ExternalTool.run("sqlite3", [db, ".dump"], timeout: 30) }

    /// A zone whose keys the daemon has made (a KSK and a ZSK, as at the first signing).
    func signedZone(_ zone: String, _ extra: [String] = []) throws -> (ksk: SigningKey, zsk: SigningKey) {
        #expect(try signer(["zone", "add", zone, "--primary", "192.0.2.1"] + extra).status == 0)
        let keys = (try SigningKey.generate(flags: SigningKey.keySigningFlags), try SigningKey.generate(flags: SigningKey.zoneSigningFlags))
        try SignerStore(path: db).storeKeys(zone: zone, keys: [keys.0, keys.1], now: Date())
        return keys
    }

    @Test func statusAndPlanSayWhatHappensWhen() throws {
        let (ksk, zsk) = try signedZone("example.test.", ["--propagation-delay", "1h", "--zsk-lifetime", "30d"])
        let status = try signer(["keys", "status", "example.test."])
        #expect(status.status == 0, "\(status.output)")
        #expect(status.output.contains("KSK\t\(ksk.keyTag)\tECDSAP256SHA256\tactive since"), "\(status.output)")
        #expect(status.output.contains("ZSK\t\(zsk.keyTag)\tECDSAP256SHA256\tactive since"), "\(status.output)")
        #expect(status.output.contains("next key event: ") && status.output.contains("ZSK \(zsk.keyTag) (ECDSAP256SHA256) reaches its lifetime"),
                "\(status.output)")
        let json = try signer(["keys", "status", "example.test.", "--json"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
        #expect(parsed["rollover"] is NSNull, "no rollover: null, not missing")
        #expect((parsed["keys"] as? [[String: Any]])?.count == 2)

        // Nothing is published yet, so the plan uses the defaults it names: DNSKEY TTL 3600 s, largest TTL 86400 s.
        let plan = try signer(["keys", "plan", "example.test.", "zsk", "--json"])
        #expect(plan.status == 0, "\(plan.output)")
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(plan.output.utf8)) as? [[String: String]], "\(plan.output)")
        let times = lines.compactMap { Int64($0["at"] ?? "") }
        #expect(lines.map { $0["step"] ?? "" } == ["1. publish", "2. switch", "done"])
        #expect(times.count == 3 && times[1] - times[0] == 3600 + 3600, "pre-publish: propagation delay + DNSKEY TTL")
        #expect(times.count == 3 && times[2] - times[1] == 3600 + 86_400, "retire: propagation delay + largest TTL")
        let ksKPlan = try signer(["keys", "plan", "example.test.", "ksk"])
        #expect(ksKPlan.output.contains("2. submit-ds") && ksKPlan.output.contains("parent DS TTL read from the parent (86400s assumed here)"),
                "\(ksKPlan.output)")
    }

    @Test func requestsThatCannotBeTakenAreRefusedWithTheReasonAndChangeNothing() throws {
        guard ExternalTool.require("sqlite3") else { return }
        #expect(try signer(["zone", "add", "fresh.test.", "--primary", "192.0.2.1"]).status == 0)
        let (ksk, _) = try signedZone("example.test.")
        let before = try dump()
        let cases: [([String], [String])] = [
            (["keys", "roll", "example.test.", "sideways"], ["unknown rollover sideways", "zsk, ksk or csk"]),
            (["keys", "roll", "example.test.", "key-set"], ["unknown rollover key-set", "--algorithm"]),
            (["keys", "roll", "missing.test.", "zsk"], ["missing.test.", "no such zone"]),
            (["keys", "roll", "fresh.test.", "zsk"], ["no keys yet"]),
            (["keys", "roll", "example.test.", "csk"], ["KSK and a ZSK", "zone set ZONE --csk"]),
            (["keys", "ds-seen", "example.test.", "\(ksk.keyTag)"], ["no rollover is waiting for a new DS", "nothing to confirm"]),
            (["keys", "ds-gone", "example.test.", "\(ksk.keyTag)"], ["no rollover is waiting for the parent to remove the DS"]),
            (["keys", "ds-seen", "example.test.", "tag"], ["tag"]),
            (["keys", "plan", "example.test.", "sideways"], ["unknown rollover sideways"]),
        ]
        for (arguments, fragments) in cases {
            let run = try signer(arguments)
            #expect(run.status != 0, "\(arguments) succeeded: \(run.output)")
            for fragment in fragments {
                #expect(run.output.contains(fragment), "\(arguments): expected '\(fragment)' in: \(run.output)")
            }
        }
        #expect(try dump() == before, "refused requests left the database as it was")

        // A good request is queued once; the same again is refused until the daemon takes it.
        let roll = try signer(["keys", "roll", "example.test.", "zsk"])
        #expect(roll.status == 0 && roll.output.contains("zsk rollover requested"), "\(roll.output)")
        let again = try signer(["keys", "roll", "example.test.", "zsk"])
        #expect(again.status != 0 && again.output.contains("already waiting for the daemon"), "\(again.output)")
        let status = try signer(["keys", "status", "example.test."])
        #expect(status.output.contains("waiting for the daemon: roll zsk by "), "\(status.output)")
    }
}
