import DNSCore
import DNSEdge
import Foundation
import Testing
@testable import Signer

/// `dns-signer check-chain` end to end: a real NSD serves the parent zone `test.` with three
/// delegations — `good.test.` with a DS made by BIND's `dnssec-dsfromkey` from our signed zone,
/// `bare.test.` with none, `wrong.test.` with the DS of a key we do not hold — and the signed
/// `good.test.` itself, so the keys can also be fetched from a server.
@Suite(.serialized)
struct CheckChainTests {
    /// The parent's NSD and the files around it.
    final class Parent {
        let directory: URL
        var dir: String { directory.path }
        let port: Int
        var nsd: BackgroundProcess?
        /// `good.test.`'s key directory (sign-zone's) and its KSK's DS line as BIND makes it.
        var goodKeys: String { dir + "/good-keys" }
        var goodDS = ""
        /// Key files made by dnssec-keygen: ours for bare and wrong, and the one the parent's DS for
        /// wrong.test. points at.
        var bareKey = ""
        var wrongKey = ""
        var staleKey = ""

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-chain-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            port = try FreePort.next()
        }

        deinit {
            nsd?.stop()
            try? FileManager.default.removeItem(at: directory)
        }

        /// A key-signing key made by BIND; returns the path of its `.key` file.
        func bindKey(_ zone: String) throws -> String {
            let keyDir = dir + "/bind-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: keyDir, withIntermediateDirectories: true)
            let base = try ExternalTool.run("dnssec-keygen", ["-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-K", keyDir, zone])
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return keyDir + "/" + base + ".key"
        }

        /// BIND's SHA-256 DS for a `.key` file or (with `zone`) the KSKs of a signed zone file.
        static func bindDS(_ file: String, zone: String? = nil) throws -> String {
            let arguments = zone.map { ["-2", "-f", file, $0] } ?? ["-2", file]
            return try ExternalTool.run("dnssec-dsfromkey", arguments).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func write(_ name: String, _ text: String) throws -> String {
            let path = dir + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// Signs good.test., makes the BIND keys, writes the parent zone and starts NSD.
        func start() throws {
            let unsigned = try write("good.zone", """
                $ORIGIN good.test.
                $TTL 300
                @ SOA ns hostmaster 1 3600 600 86400 300
                @ NS ns
                ns A 127.0.0.1
                www A 192.0.2.1

                """)
            let signed = try CLITests.run("dns-signer", [
                "sign-zone", "--origin", "good.test.", "--in", unsigned, "--out", dir + "/good.signed", "--keys", goodKeys,
            ])
            #expect(signed.status == 0, "\(signed.output)")
            goodDS = try Self.bindDS(dir + "/good.signed", zone: "good.test.")
            bareKey = try bindKey("bare.test.")
            wrongKey = try bindKey("wrong.test.")
            staleKey = try bindKey("wrong.test.")

            _ = try write("test.zone", """
                $ORIGIN test.
                $TTL 300
                @ SOA ns hostmaster 1 3600 600 86400 300
                @ NS ns
                ns A 127.0.0.1
                good NS ns.good
                ns.good A 127.0.0.1
                \(goodDS)
                bare NS ns.bare
                ns.bare A 127.0.0.1
                wrong NS ns.wrong
                ns.wrong A 127.0.0.1
                \(try Self.bindDS(staleKey))

                """)
            _ = try write("nsd.conf", NSDConfig.server(directory: dir, port: port, verbosity: 1) + """

                zone:
                    name: "test"
                    zonefile: "test.zone"
                zone:
                    name: "good.test"
                    zonefile: "good.signed"

                """)
            nsd = try BackgroundProcess("nsd", ["-d", "-c", dir + "/nsd.conf"], log: directory.appendingPathComponent("nsd.log"))
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let answer = try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "+norec", "+short", "test.", "SOA"], timeout: 5)
                if answer?.contains("hostmaster.test.") == true { return }
                Thread.sleep(forTimeInterval: 0.2)
            }
            Issue.record("NSD did not answer within 20 s:\n\(nsd?.log ?? "")")
        }

        var server: String { "127.0.0.1:\(port)" }
    }

    /// `KEYTAG` and `DIGEST` of a `zone IN DS tag alg type digest` line.
    static func fields(ofDS line: String) -> (tag: String, digest: String) {
        let parts = line.split(whereSeparator: \.isWhitespace)
        return (String(parts[3]), String(parts[6]).uppercased())
    }

    static func checkChain(_ arguments: [String]) throws -> CLITests.Run {
        let help = try CLITests.run("dns-signer", ["check-chain", "--help"])
        #expect(help.output.contains("USAGE: dns-signer check-chain"), "check-chain is missing from DNSSigner's subcommands:\n\(help.output)")
        return try CLITests.run("dns-signer", ["check-chain"] + arguments)
    }

    static func toolsPresent() -> Bool {
        ExternalTool.require("nsd") && ExternalTool.require("dig") && ExternalTool.require("dnssec-keygen")
            && ExternalTool.require("dnssec-dsfromkey")
    }

    @Test func aMatchingDSIsAnEstablishedChain() throws {
        guard Self.toolsPresent() else { return }
        let parent = try Parent()
        try parent.start()
        let (tag, digest) = Self.fields(ofDS: parent.goodDS)

        let result = try Self.checkChain(["good.test.", "--keys", parent.goodKeys, "--parent-server", parent.server])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\(parent.server): DS for KSK \(tag)"))
        #expect(result.output.contains("chain of trust established (DS for KSK \(tag) at the parent)"), "\(result.output)")

        // Our own DS for the key agrees with BIND's, digest for digest.
        let ours = try CLITests.run("dns-signer", ["ds", "--keys", parent.goodKeys, "--origin", "good.test."])
        #expect(ours.output.uppercased().contains(digest), "\(ours.output)\nvs BIND: \(parent.goodDS)")

        // The keys as our server publishes them give the same verdict.
        let fetched = try Self.checkChain(["good.test.", "--from-server", parent.server, "--parent-server", parent.server])
        #expect(fetched.status == 0, "\(fetched.output)")
        #expect(fetched.output.contains("chain of trust established (DS for KSK \(tag) at the parent)"))
    }

    @Test func theParentsServersAreFoundThroughTheResolver() throws {
        guard Self.toolsPresent() else { return }
        let parent = try Parent()
        try parent.start()
        let (tag, _) = Self.fields(ofDS: parent.goodDS)
        // NSD plays the resolver: it answers test. SOA and NS and ns.test. A from its own data.
        let result = try Self.checkChain([
            "good.test.", "--keys", parent.goodKeys, "--resolver", parent.server, "--parent-port", "\(parent.port)",
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("parent zone test.: 1 server address from its NS records"), "\(result.output)")
        #expect(result.output.contains("ns.test. \(parent.server): DS for KSK \(tag)"), "\(result.output)")
    }

    @Test func noDSAtTheParentSaysWhatToGiveTheRegistrar() throws {
        guard Self.toolsPresent() else { return }
        let parent = try Parent()
        try parent.start()
        let (tag, digest) = Self.fields(ofDS: try Parent.bindDS(parent.bareKey))

        let result = try Self.checkChain(["bare.test.", "--dnskey", parent.bareKey, "--parent-server", parent.server])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("\(parent.server): no DS (delegation without DS)"))
        #expect(result.output.contains("DS not published at the parent yet — give your registrar:"), "\(result.output)")
        // The DS we tell the operator to hand over is the one BIND computes for the key.
        #expect(result.output.contains("bare.test.\t3600\tIN\tDS\t\(tag) 13 2 \(digest)"), "\(result.output)")
        #expect(result.output.contains("Key Tag: \(tag)\nAlgorithm: 13 (ECDSAP256SHA256)\nDigest Type: 2 (SHA-256)\nDigest: \(digest)"))
    }

    @Test func aDSForAnotherKeyIsAMismatch() throws {
        guard Self.toolsPresent() else { return }
        let parent = try Parent()
        try parent.start()
        let (ourTag, _) = Self.fields(ofDS: try Parent.bindDS(parent.wrongKey))
        let (staleTag, _) = Self.fields(ofDS: try Parent.bindDS(parent.staleKey))

        let result = try Self.checkChain(["wrong.test.", "--dnskey", parent.wrongKey, "--parent-server", parent.server])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains(
            "DS at the parent does not match any KSK: parent has tags [\(staleTag)], our KSKs are [\(ourTag)]"), "\(result.output)")
    }

    @Test func keysComeFromTheSignersDatabase() throws {
        guard Self.toolsPresent() else { return }
        let parent = try Parent()
        try parent.start()
        let (tag, _) = Self.fields(ofDS: parent.goodDS)
        // A store holding good.test. with the keys it was signed with, and bare.test. not signed yet.
        let db = parent.dir + "/signer.db"
        do {
            let store = try SignerStore(path: db)
            let primary = [ListenAddress(host: "127.0.0.1", port: 53)]
            try store.addZone(SignerZoneConfig(origin: "good.test.", primaries: primary), now: Date())
            try store.storeKeys(zone: "good.test.", keys: try KeyDirectory(path: parent.goodKeys, zone: "good.test.").load(), now: Date())
            try store.addZone(SignerZoneConfig(origin: "bare.test.", primaries: primary), now: Date())
        }

        let result = try Self.checkChain(["good.test", "--db", db, "--parent-server", parent.server])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("our KSK for good.test.: \(tag)"), "\(result.output)")
        #expect(result.output.contains("chain of trust established (DS for KSK \(tag) at the parent)"))

        let unsigned = try Self.checkChain(["bare.test.", "--db", db, "--parent-server", parent.server])
        #expect(unsigned.status == 2, "\(unsigned.output)")
        #expect(unsigned.output.contains("bare.test.: no keys yet: the zone has not been signed"), "\(unsigned.output)")

        let unknown = try Self.checkChain(["nosuch.test.", "--db", db, "--parent-server", parent.server])
        #expect(unknown.status == 2, "\(unknown.output)")
        #expect(unknown.output.contains("no such zone"), "\(unknown.output)")
    }

    @Test func askingTheWrongServersIsNotMistakenForAnAnswer() throws {
        guard Self.toolsPresent() else { return }
        let parent = try Parent()
        try parent.start()
        // Nobody listens here: no answer at all, which is not "no DS".
        let closed = try FreePort.next()
        let silent = try Self.checkChain([
            "bare.test.", "--dnskey", parent.bareKey, "--parent-server", "127.0.0.1:\(closed)", "--timeout", "300ms",
        ])
        #expect(silent.status == 2, "\(silent.output)")
        #expect(silent.output.contains("no parent server gave a usable answer: 127.0.0.1:\(closed): timed out"), "\(silent.output)")

        // Keys that are not the zone's are refused before anything is asked.
        let noKeys = try Self.checkChain(["good.test.", "--dnskey", parent.bareKey, "--parent-server", parent.server])
        #expect(noKeys.status == 2)
        #expect(noKeys.output.contains("no DNSKEY for good.test. in \(parent.bareKey)"), "\(noKeys.output)")

        // A database that is not there is reported, and not created.
        let missing = parent.dir + "/nope.db"
        let noStore = try Self.checkChain(["good.test.", "--db", missing, "--parent-server", parent.server])
        #expect(noStore.status == 2)
        #expect(noStore.output.contains("\(missing): no signer database there"), "\(noStore.output)")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
