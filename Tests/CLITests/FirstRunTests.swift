import Foundation
import Testing

/// A fresh machine: no /var/lib/countersign, no config file, no database. Every command that needs the
/// database says which directory is missing and the three ways out (`--db`, the environment variable,
/// creating the state directory), instead of SQLite's "cannot create the database file"; and
/// `dns-signer serve --zone-file` alone needs no database at all.
@Suite(.serialized)
struct FirstRunTests {
    let directory = ScratchDirectory.make("first-run")
    var missing: String { directory + "/state/countersign" }

    /// Runs a binary with the daemons' variables removed, plus `environment`.
    static func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 30) throws
        -> (status: Int32, output: String) {
        let unset = ["DNS_SIGNER_DB", "DNS_SIGNER_CONFIG", "DNS_PRIMARY_DB", "DNS_PRIMARY_CONFIG"].flatMap { ["-u", $0] }
        let set = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try ExternalTool.execute("/usr/bin/env", unset + set + [binary] + arguments, timeout: timeout)
    }

    static var signer: String { TwoTierHarness.signerBinary }
    static var primary: String { TwoTierHarness.primaryBinary }

    /// The message names the missing directory and every way out, and nothing was created.
    func expectAdvice(_ result: (status: Int32, output: String), database: String, variable: String, defaulted: Bool = false,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        let directory = URL(fileURLWithPath: database).deletingLastPathComponent().path
        #expect(result.status != 0, "\(result.output)", sourceLocation: sourceLocation)
        #expect(result.output.contains("\(database): no database there, and it cannot be created: the directory \(directory) does not exist"),
                "\(result.output)", sourceLocation: sourceLocation)
        #expect(result.output.contains("install -d -m 0750 -o ") && result.output.contains(directory), "\(result.output)",
                sourceLocation: sourceLocation)
        #expect(result.output.contains("--db PATH") && result.output.contains("\(variable)=PATH"), "\(result.output)",
                sourceLocation: sourceLocation)
        #expect(result.output.contains("This is the default path") == defaulted, "\(result.output)", sourceLocation: sourceLocation)
        #expect(!result.output.contains("cannot create the database file"), "\(result.output)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) was created", sourceLocation: sourceLocation)
    }

    @Test func adminCommandsNameTheMissingStateDirectoryAndTheWaysOut() throws {
        let signerDB = missing + "/signer.db"
        expectAdvice(try Self.run(Self.signer, ["zone", "list", "--db", signerDB]), database: signerDB, variable: "DNS_SIGNER_DB")
        expectAdvice(try Self.run(Self.signer, ["zone", "list"], environment: ["DNS_SIGNER_DB": signerDB]),
                     database: signerDB, variable: "DNS_SIGNER_DB")
        expectAdvice(try Self.run(Self.signer, ["tsig", "list"], environment: ["DNS_SIGNER_DB": signerDB]),
                     database: signerDB, variable: "DNS_SIGNER_DB")
        let primaryDB = missing + "/primary.db"
        expectAdvice(try Self.run(Self.primary, ["zone", "list", "--db", primaryDB]), database: primaryDB, variable: "DNS_PRIMARY_DB")
        expectAdvice(try Self.run(Self.primary, ["zone", "list"], environment: ["DNS_PRIMARY_DB": primaryDB]),
                     database: primaryDB, variable: "DNS_PRIMARY_DB")

        // Once the directory exists, the same command works and creates the database.
        try FileManager.default.createDirectory(atPath: missing, withIntermediateDirectories: true)
        let listed = try Self.run(Self.signer, ["zone", "list", "--db", signerDB])
        #expect(listed.status == 0 && listed.output.contains("no zones"), "\(listed.output)")
        #expect(FileManager.default.fileExists(atPath: signerDB))
    }

    /// The built-in path (/var/lib/countersign/…), as on a machine where nothing is set up: the message
    /// says that it is the default and why it was chosen. Only where that directory really is missing.
    @Test func theDefaultPathIsNamedAsTheDefault() throws {
        let state = "/var/lib/countersign"
        guard !FileManager.default.fileExists(atPath: state), !FileManager.default.fileExists(atPath: "/etc/countersign") else {
            print("skipped: \(state) or /etc/countersign exists on this machine")
            return
        }
        expectAdvice(try Self.run(Self.signer, ["zone", "list"]), database: state + "/signer.db", variable: "DNS_SIGNER_DB", defaulted: true)
        expectAdvice(try Self.run(Self.primary, ["zone", "list"]), database: state + "/primary.db", variable: "DNS_PRIMARY_DB", defaulted: true)
        let port = try FreePort.next()
        expectAdvice(try Self.run(Self.signer, ["serve", "--listen", "127.0.0.1:\(port)"]), database: state + "/signer.db",
                     variable: "DNS_SIGNER_DB", defaulted: true)
    }

    @Test func serveSaysSoToo() throws {
        let port = try FreePort.next()
        let signerDB = missing + "/signer.db"
        expectAdvice(try Self.run(Self.signer, ["serve", "--db", signerDB, "--listen", "127.0.0.1:\(port)"]),
                     database: signerDB, variable: "DNS_SIGNER_DB")
        let primaryDB = missing + "/primary.db"
        expectAdvice(try Self.run(Self.primary, ["serve", "--listen", "127.0.0.1:\(port)", "--resolver", "127.0.0.1"],
                                  environment: ["DNS_PRIMARY_DB": primaryDB]),
                     database: primaryDB, variable: "DNS_PRIMARY_DB")
    }

    /// `dns-signer serve --zone-file` (the benchmark's and the offline tools' way) with no database named
    /// anywhere: it answers from the file and creates no database, not even at the default path.
    @Test func serveWithZoneFilesOnlyNeedsNoDatabase() throws {
        guard ExternalTool.require("dig"), ExternalTool.require("curl") else { return }
        let zoneFile = directory + "/example.test.zone"
        try """
            $ORIGIN example.test.
            $TTL 300
            @ SOA ns1 hostmaster 7 3600 900 1209600 300
            @ NS ns1
            ns1 A 192.0.2.53
            www A 192.0.2.80

            """.write(toFile: zoneFile, atomically: true, encoding: .utf8)
        let defaultExisted = FileManager.default.fileExists(atPath: "/var/lib/countersign/signer.db")
        let port = try FreePort.next()
        let metricsPort = try FreePort.next()
        let unset = ["DNS_SIGNER_DB", "DNS_SIGNER_CONFIG"].flatMap { ["-u", $0] }
        let server = try BackgroundProcess("/usr/bin/env", unset + [
            Self.signer, "serve", "--zone-file", "example.test.=\(zoneFile)", "--listen", "127.0.0.1:\(port)", "--threads", "1",
            "--metrics-listen", "127.0.0.1:\(metricsPort)",
        ], log: URL(fileURLWithPath: directory + "/serve.log"))
        defer { server.stop() }
        let answered = TwoTierHarness.poll(20, {
            (try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(port)", "+norec", "+time=1", "+tries=1", "www.example.test.", "A"],
                                   timeout: 10, allowFailure: true)) ?? ""
        }, until: { $0.contains("status: NOERROR") && $0.contains("192.0.2.80") })
        #expect(answered.ok, "the zone file is not served:\n\(answered.output)\n\(server.log)")
        #expect(server.log.contains("serving the --zone-file zones only"), "\(server.log)")
        #expect(server.isRunning, "\(server.log)")
        let health = try ExternalTool.run("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(metricsPort)/healthz"], timeout: 10)
        #expect(health.hasPrefix("ok"), "\(health)")
        if !defaultExisted {
            #expect(!FileManager.default.fileExists(atPath: "/var/lib/countersign/signer.db"), "a database was created at the default path")
        }
    }
}
