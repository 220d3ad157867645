import DNSCore
import DaemonKit
import Foundation
import Testing
@testable import Signer

/// `dns-signer zone|tsig|keys|dnskey|ds` as an operator runs them against the store: what they print,
/// their exit status, and that a refused command leaves the database as it was.
@Suite(.serialized)
struct SignerCLITests {
    let directory: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("signer-cli-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    var db: String { directory + "/signer.db" }

    /// `dns-signer ARGS --db DB`.
    func signer(_ arguments: String...) throws -> CLITests.Run {
        try CLITests.run("dns-signer", arguments + ["--db", db])
    }

    /// Everything the CLI can show of the store, as JSON: equal before and after means unchanged.
    func snapshot() throws -> String {
        var text = try signer("zone", "list", "--json").output + (try signer("tsig", "list", "--json").output)
        for zone in ["example.test.", "other.test."] {
            let status = try signer("zone", "status", zone, "--json")
            if status.status == 0 { text += status.output }
        }
        return text
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func zoneLifecycleAsAnOperatorSeesIt() throws {
        let tsig = try signer("tsig", "add", "xfr")
        #expect(tsig.status == 0, "\(tsig.output)")
        #expect(tsig.output.hasPrefix("key \"xfr.\" { algorithm hmac-sha256; secret \""), "the generated secret is shown once")
        let secret = try #require(tsig.output.split(separator: "\"").dropFirst(3).first)
        #expect(Base64.decode(String(secret))?.count == 32)
        let tsigList = try signer("tsig", "list")
        #expect(tsigList.output.contains("xfr.\thmac-sha256"))
        #expect(!tsigList.output.contains(secret), "never the secret again")

        let add = try signer("zone", "add", "Example.Test", "--primary", "192.0.2.1", "--primary", "[2001:db8::1]:5300",
                             "--key", "xfr", "--poll", "5m", "--nsec3", "--opt-out", "--algorithm", "15", "--csk",
                             "--shrink-limit", "0.3", "--allow-serial-decrease", "--signed-serial", "increment",
                             "--on-expire", "keep-serving")
        #expect(add.status == 0, "\(add.output)")
        #expect(add.output.contains("added example.test.: polls 192.0.2.1:53, [2001:db8::1]:5300 every 5m"))
        #expect(try signer("zone", "add", "other.test", "--primary", "192.0.2.2:5353").status == 0)

        let list = try signer("zone", "list")
        #expect(list.output.contains("example.test.\tnot signed yet\tnever polled"))
        #expect(list.output.contains("other.test."))

        let status = try signer("zone", "status", "example.test")
        #expect(status.status == 0)
        for line in ["serials:         unsigned none yet, signed not signed yet", "last poll:       never",
                     "keys:            no keys yet: the zone has not been signed",
                     "primaries:       192.0.2.1:53, [2001:db8::1]:5300 (TSIG key xfr.), polled every 5m",
                     "signing:         NSEC3 opt-out, ED25519, CSK, signed serial increment",
                     "guards:          refuse losing more than 30 % of the RRsets; serial decrease allowed",
                     "on expire:       keep-serving", "refusals:        none", "downstream:      none"] {
            #expect(status.output.contains(line), "\(line)\n---\n\(status.output)")
        }
        let json = try Self.json(try signer("zone", "status", "example.test.", "--json").output)
        let settings = try #require(json["settings"] as? [String: Any])
        #expect(settings["pollSeconds"] as? Int == 300)
        #expect(settings["denial"] as? String == "nsec3")
        #expect(settings["algorithm"] as? String == "ED25519")
        #expect(settings["tsigKey"] as? String == "xfr.")
        #expect(json["keys"] as? [Any] != nil)

        let refresh = try signer("zone", "refresh", "example.test.")
        #expect(refresh.status == 0)
        #expect(refresh.output.contains("the running daemon polls it within a second"))
        let accept = try signer("zone", "accept-next", "example.test.")
        #expect(accept.output.contains("the next transfer is taken once even if it lowers the serial, loses more than 30 % of the RRsets"),
                "\(accept.output)")
        let flags = try #require(try Self.json(try signer("zone", "status", "example.test.", "--json").output)["settings"] as? [String: Any])
        #expect(flags["refreshRequested"] as? Bool == true)
        #expect(flags["acceptNext"] as? Bool == true)

        #expect(try signer("zone", "downstream", "add", "example.test.", "192.0.2.10", "--key", "xfr").status == 0)
        #expect(try signer("zone", "downstream", "add", "example.test.", "198.51.100.0/24", "--no-notify").status == 0)
        let downstream = try signer("zone", "downstream", "list", "example.test.")
        #expect(downstream.output.contains("transfer allowed from 192.0.2.10/32 with key xfr."))
        #expect(downstream.output.contains("transfer allowed from 198.51.100.0/24"))
        #expect(downstream.output.contains("NOTIFY to 192.0.2.10:53 with key xfr."))
        #expect(!downstream.output.contains("NOTIFY to 198.51.100"))
        #expect(try signer("zone", "downstream", "remove", "example.test.", "198.51.100.0/24").status == 0)
        #expect(!(try signer("zone", "downstream", "list", "example.test.").output.contains("198.51.100")))

        let inUse = try signer("tsig", "delete", "xfr")
        #expect(inUse.status != 0)
        #expect(inUse.output.contains("used by zone example.test."))

        let remove = try signer("zone", "remove", "example.test.")
        #expect(remove.status == 0)
        #expect(remove.output.contains("removed example.test."))
        #expect(!(try signer("zone", "list").output.contains("example.test.")))
        #expect(try signer("tsig", "delete", "xfr").status == 0)
    }

    @Test func badInputIsNamedAndChangesNothing() throws {
        #expect(try signer("tsig", "add", "xfr", "--secret", "c2VjcmV0c2VjcmV0").output.contains("added key xfr. (hmac-sha256)"))
        #expect(try signer("zone", "add", "example.test.", "--primary", "192.0.2.1", "--key", "xfr").status == 0)
        let before = try snapshot()
        let cases: [([String], [String])] = [
            (["zone", "add", "other.test."], ["zone other.test.", "--primary", "at least one"]),
            (["zone", "add", "other.test.", "--primary", "primary.example"], ["zone other.test.", "--primary primary.example", "not an IP address"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1:99999"], ["zone other.test.", "--primary 192.0.2.1:99999", "port"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--poll", "5x"], ["zone other.test.", "--poll 5x", "duration"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--poll", "0s"], ["zone other.test.", "--poll 0s"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--algorithm", "rsasha1"], ["zone other.test.", "algorithm RSASHA1", "not supported"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--algorithm", "bogus"], ["zone other.test.", "--algorithm bogus"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--shrink-limit", "2"], ["zone other.test.", "shrink limit 2"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--shrink-limit", "half"], ["zone other.test.", "--shrink-limit half"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--opt-out"], ["zone other.test.", "opt-out needs NSEC3"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--signed-serial", "weekly"], ["zone other.test.", "--signed-serial weekly", "unixtime or increment"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--on-expire", "panic"], ["zone other.test.", "--on-expire panic", "servfail or keep-serving"]),
            (["zone", "add", "other.test.", "--primary", "192.0.2.1", "--key", "nokey"], ["zone other.test.", "key nokey.", "no such TSIG key"]),
            (["zone", "add", "EXAMPLE.test", "--primary", "192.0.2.9"], ["zone example.test.", "already exists"]),
            (["zone", "add", "bad..name", "--primary", "192.0.2.9"], ["bad..name", "bad zone name"]),
            (["zone", "status", "missing.test"], ["zone missing.test.", "no such zone"]),
            (["zone", "remove", "missing.test"], ["zone missing.test.", "no such zone"]),
            (["zone", "refresh", "missing.test"], ["zone missing.test.", "no such zone"]),
            (["zone", "accept-next", "missing.test"], ["zone missing.test.", "no such zone"]),
            (["zone", "downstream", "add", "example.test.", "10.0.0.0/8"], ["zone example.test.", "downstream 10.0.0.0/8", "--no-notify"]),
            (["zone", "downstream", "add", "example.test.", "192.0.2.10", "--key", "nokey"], ["zone example.test.", "no such TSIG key"]),
            (["zone", "downstream", "add", "missing.test.", "192.0.2.10"], ["zone missing.test.", "no such zone"]),
            (["zone", "downstream", "remove", "example.test.", "192.0.2.99"], ["zone example.test.", "downstream 192.0.2.99", "no such"]),
            (["tsig", "add", "xfr"], ["key xfr.", "exists"]),
            (["tsig", "add", "k2", "--secret", "not base64!"], ["k2", "base64"]),
            (["tsig", "add", "k2", "--algorithm", "hmac-md4"], ["key k2.", "unknown TSIG algorithm 'hmac-md4'"]),
            (["tsig", "delete", "xfr"], ["key xfr.", "used by zone example.test."]),
            (["tsig", "delete", "nokey"], ["key nokey.", "no such TSIG key"]),
            (["keys", "list", "missing.test"], ["zone missing.test.", "no such zone"]),
            (["dnskey", "example.test."], ["example.test.: no keys yet: the zone has not been signed"]),
            (["ds", "example.test."], ["example.test.: no keys yet: the zone has not been signed"]),
        ]
        for (arguments, fragments) in cases {
            let run = try CLITests.run("dns-signer", arguments + ["--db", db])
            #expect(run.status != 0, "\(arguments) succeeded: \(run.output)")
            for fragment in fragments {
                #expect(run.output.contains(fragment), "\(arguments): expected '\(fragment)' in: \(run.output)")
            }
        }
        #expect(try snapshot() == before, "refused commands left the database as it was")
    }

    @Test func keysDNSKEYAndDSComeFromTheStore() throws {
        #expect(try signer("zone", "add", "example.test.", "--primary", "192.0.2.1").status == 0)
        let empty = try signer("keys", "list", "example.test.")
        #expect(empty.status == 0)
        #expect(empty.output.contains("no keys yet: the zone has not been signed"))

        // The daemon's first signing, as it stores its keys and state.
        let store = try SignerStore(path: db)
        let ksk = try SigningKey.generate(flags: SigningKey.keySigningFlags)
        let zsk = try SigningKey.generate(flags: SigningKey.zoneSigningFlags)
        try store.storeKeys(zone: "example.test.", keys: [ksk, zsk], now: Date())
        var state = ZoneState()
        state.unsignedSerial = 10
        state.signedSerial = 1_700_000_060
        state.lastPollAt = Int64(Date().timeIntervalSince1970) - 30
        state.lastPollResult = "refused: the zone lost 80 % of its RRsets"
        state.lastSuccessAt = state.lastPollAt
        state.lastChangeAt = Int64(Date().timeIntervalSince1970) - 3600
        state.lastChangeSummary = "re-signed, serial 1700000000 → 1700000060, 2 RRsets changed"
        state.nextResign = Int64(Date().timeIntervalSince1970) + 7 * 86400 - 120
        state.earliestExpiry = Int64(Date().timeIntervalSince1970) + 14 * 86400 - 120
        state.refusals = 1
        state.lastRefusal = "the zone lost 80 % of its RRsets"
        try store.recordPoll(zone: "example.test.", state: state, events: [
            OperatorEvent(kind: .transferRefused, severity: .warning, zone: "example.test.", time: state.lastPollAt!,
                          summary: "example.test.: transfer refused: the zone lost 80 % of its RRsets"),
        ])

        let keys = try signer("keys", "list", "example.test.")
        #expect(keys.status == 0)
        #expect(keys.output.contains("KSK\t\(ksk.keyTag)\tECDSAP256SHA256 (13)\tflags 257"))
        #expect(keys.output.contains("ZSK\t\(zsk.keyTag)\tECDSAP256SHA256 (13)\tflags 256"))
        #expect(!keys.output.contains("PRIVATE"), "never private material")

        let status = try signer("zone", "status", "example.test.")
        for line in ["serials:         unsigned 10, signed 1700000060",
                     "s ago): refused: the zone lost 80 % of its RRsets",
                     "last change:", "1h ago): re-signed, serial 1700000000 → 1700000060, 2 RRsets changed",
                     "next re-sign:", "(in 6d23h", "earliest expiry:", "(in 13d23h",
                     "keys:            KSK \(ksk.keyTag) (ECDSAP256SHA256), ZSK \(zsk.keyTag) (ECDSAP256SHA256)",
                     "refusals:        1, last: the zone lost 80 % of its RRsets",
                     "warning: example.test.: transfer refused"] {
            #expect(status.output.contains(line), "\(line)\n---\n\(status.output)")
        }

        let dnskey = try signer("dnskey", "example.test.")
        #expect(dnskey.status == 0)
        #expect(dnskey.output.contains("; ECDSAP256SHA256 KSK \(ksk.keyTag)"))
        #expect(dnskey.output.contains(ResourceRecord(name: "example.test.", ttl: 3600, rdata: .dnskey(ksk.dnskey)).description))
        #expect(dnskey.output.contains(ResourceRecord(name: "example.test.", ttl: 3600, rdata: .dnskey(zsk.dnskey)).description))

        let ds = try signer("ds", "example.test.")
        #expect(ds.status == 0)
        let expected = try ksk.dnskey.ds(owner: "example.test.", digestType: .sha256)
        #expect(ds.output.contains(ResourceRecord(name: "example.test.", ttl: 3600, rdata: .ds(expected)).description))
        #expect(ds.output.contains("Key Tag: \(ksk.keyTag)"))
        #expect(ds.output.contains("Algorithm: 13 (ECDSAP256SHA256)"))
        #expect(ds.output.contains("Digest Type: 2 (SHA-256)"))
        #expect(!ds.output.contains("Key Tag: \(zsk.keyTag)"), "only the KSK goes to the parent")
        let dsJSON = try #require(try JSONSerialization.jsonObject(with: Data(try signer("ds", "example.test.", "--json").output.utf8)) as? [[String: Any]])
        #expect(dsJSON.first?["keyTag"] as? Int == Int(ksk.keyTag))

        // BIND computes the same DS from our DNSKEY output.
        guard ExternalTool.require("dnssec-dsfromkey") else { return }
        let file = directory + "/dnskey.db"
        try dnskey.output.write(toFile: file, atomically: true, encoding: .utf8)
        let bind = try ExternalTool.run("dnssec-dsfromkey", ["-2", "-f", file, "example.test"])
        let bindFields = try #require(bind.split(separator: "\n").first).split(separator: " ").suffix(4).joined(separator: " ")
        let ours = "\(expected.keyTag) \(expected.algorithm) \(expected.digestType) \(Base16.encode(expected.digest))"
        #expect(ours.uppercased() == bindFields.uppercased())
    }

    @Test func theDatabaseDefaultsToTheEnvironmentVariable() throws {
        let binary = CLITests.binDirectory.appendingPathComponent("dns-signer").path
        let add = try ExternalTool.execute("/usr/bin/env", ["DNS_SIGNER_DB=\(db)", binary, "zone", "add", "env.test.", "--primary", "192.0.2.1"])
        #expect(add.status == 0, "\(add.output)")
        #expect(try signer("zone", "list").output.contains("env.test."))
        let mode = try FileManager.default.attributesOfItem(atPath: db)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the store holds private keys and TSIG secrets")
    }
}
