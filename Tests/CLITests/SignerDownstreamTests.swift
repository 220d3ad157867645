import Foundation
import Testing

/// Issue 6, "Proof it works": NSD and Knot as downstream secondaries of `dns-signer` receive every new
/// signed version (NOTIFY + transfer) and their copies pass `ldns-verify-zone`. Nothing is mocked: the
/// seeds' topology from `TwoTierHarness` (upstream NSD, `dns-primary`, `dns-signer`), the secondaries
/// registered with `dns-signer zone downstream add`, edits made with `dns-primary record add`.
@Suite(.serialized)
struct SignerDownstreamTests {
    /// NSD or knotd listening on `address` (a loopback address; Linux routes all of 127/8 to lo), a
    /// secondary for search.usa.gov. whose primary is the signer: NOTIFY accepted from loopback,
    /// transfers out allowed to loopback (so the test can read its copy). Knot also asks the signer from
    /// `address`, so each secondary is its own host as far as the signer's ACL can tell. All of its
    /// state lives in its own directory under the harness's, never shared with the upstream NSD.
    final class Downstream {
        enum Kind: String { case nsd, knot, bind }

        let kind: Kind
        let address: String
        let port: Int
        let directory: String
        let daemon: BackgroundProcess
        /// Names its directory and log (`LABEL.log` in the harness's directory).
        let label: String

        var target: String { "\(address):\(port)" }

        /// A secondary of the signer, or of `primaryPort` when given; `key` signs its transfers and the
        /// NOTIFYs it takes.
        init(_ kind: Kind, address: String, harness: TwoTierHarness, primaryPort: Int? = nil, key: SecondaryConfig.Key? = nil,
             label: String? = nil) throws {
            self.kind = kind
            self.address = address
            self.label = label ?? "downstream-\(kind.rawValue)"
            port = try TwoTierHarness.freePort()
            directory = harness.dir + "/\(self.label)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let setup = SecondaryConfig.Setup(directory: directory, address: address, port: port,
                                              zone: String(TwoTierHarness.zone.dropLast()),
                                              primaryPort: primaryPort ?? harness.signerPort, key: key)
            let config = directory + "/\(kind.rawValue).conf"
            let log = URL(fileURLWithPath: harness.dir + "/\(self.label).log")
            switch kind {
            case .nsd:
                try SecondaryConfig.nsd(setup).write(toFile: config, atomically: true, encoding: .utf8)
                daemon = try BackgroundProcess("nsd", ["-d", "-c", config], log: log)
            case .knot:
                try SecondaryConfig.knot(setup).write(toFile: config, atomically: true, encoding: .utf8)
                daemon = try BackgroundProcess("knotd", ["-c", config], log: log)
            case .bind:
                try SecondaryConfig.bind(setup).write(toFile: config, atomically: true, encoding: .utf8)
                // Debug level 3: only there does BIND say whether a transfer's response was incremental.
                daemon = try BackgroundProcess("named", ["-g", "-d", "3", "-n", "1", "-c", config], log: log)
            }
        }

        func stop() { daemon.stop() }

        /// The serial it serves for the zone now, or nil while it has none.
        func serial() -> UInt32? {
            let output = (try? ExternalTool.run("dig", ["@\(address)", "-p", "\(port)", "+norec", "+time=2", "+tries=1", "+short",
                                                        TwoTierHarness.zone, "SOA"], timeout: 10, allowFailure: true)) ?? ""
            let fields = output.split(whereSeparator: { $0 == " " || $0 == "\n" })
            return fields.count >= 7 ? UInt32(fields[2]) : nil
        }

        /// Its copy of the zone, read back by AXFR from it (one SOA, no dig comments), as a zone file.
        func copy() throws -> String {
            try ExternalTool.run("dig", [
                "@\(address)", "-p", "\(port)", "+onesoa", "+nocmd", "+nostats", "+nocomments", "+time=5", "+tries=1",
                TwoTierHarness.zone, "AXFR",
            ], timeout: 30, allowFailure: true)
        }
    }

    /// `ldns-verify-zone` on `text` (written to `path`): every signature, the NSEC/NSEC3 chain, the
    /// DNSKEY set. Returns the exit status and what it said.
    static func ldnsVerify(_ text: String, path: String) throws -> (ok: Bool, output: String) {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ExternalTool.execute("ldns-verify-zone", [path], timeout: 60)
        return (result.status == 0, result.output)
    }

    /// Waits (bounded) until `downstream` serves `serial`; the seconds it took, or nil.
    static func waitForSerial(_ serial: UInt32, on downstream: Downstream, _ harness: TwoTierHarness, seconds: Double) -> Double? {
        let waited = TwoTierHarness.poll(seconds, { downstream.serial().map(String.init) ?? "" }, until: { $0 == String(serial) })
        return waited.ok ? waited.seconds : nil
    }

    /// Checks that `downstream`'s copy is the signer's version `serial`, holds `names`, and passes
    /// ldns-verify-zone.
    static func checkCopy(of downstream: Downstream, serial: UInt32, holding names: [String], _ harness: TwoTierHarness,
                          label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let copy = try downstream.copy()
        #expect(copy.contains("SOA") && !copy.contains("Transfer failed") && copy.contains("RRSIG"),
                "\(label): \(downstream.kind) gave no signed copy by AXFR:\n\(copy.prefix(2000))", sourceLocation: sourceLocation)
        let soaLine = copy.split(separator: "\n").first { $0.contains("\tSOA\t") }.map(String.init) ?? ""
        #expect(soaLine.split(whereSeparator: \.isWhitespace).dropFirst(6).first == Substring(String(serial)),
                "\(label): \(downstream.kind)'s copy is not serial \(serial): \(soaLine)", sourceLocation: sourceLocation)
        let owners = Set(copy.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) })
        for name in names {
            #expect(owners.contains(name), "\(label): \(name) missing from \(downstream.kind)'s copy", sourceLocation: sourceLocation)
        }
        let verified = try ldnsVerify(copy, path: "\(harness.dir)/\(downstream.kind.rawValue)-\(serial).zone")
        #expect(verified.ok, "\(label): \(downstream.kind)'s copy fails ldns-verify-zone:\n\(verified.output.suffix(3000))",
                sourceLocation: sourceLocation)
    }

    @Test func nsdAndKnotReceiveEverySignedVersionAndTheirCopiesVerify() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("knotd"), ExternalTool.require("dig"),
              ExternalTool.require("ldns-verify-zone") else { return }
        let harness = try TwoTierHarness(name: "signer-downstream")
        var downstreams: [Downstream] = []
        defer {
            for downstream in downstreams { downstream.stop() }
            harness.cleanUp()
        }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: true)
        try harness.startPrimary()
        // A long poll interval: any new version that reaches the signer within the waits below came by
        // the primary's NOTIFY, and any that reaches the secondaries came by the signer's (their own SOA
        // refresh timer is the zone's, one hour).
        try harness.addSignerZone(poll: "60s")
        try harness.startSigner()
        let first = TwoTierHarness.poll(30, { harness.askSigner(TwoTierHarness.zone, "SOA") }, until: SignerDaemonTests.signedAnswer)
        try #require(first.ok, "the signer never served the zone signed:\n\(first.output)\n\(harness.logs)")

        // The operator registers the secondaries with the running signer, then starts them; their first
        // transfer is their own startup refresh. Each has an address of its own, as two hosts would
        // (two secondaries on one address cannot both be registered yet: see
        // `twoSecondariesOnOneAddressCanBothBeRegistered`).
        let nsd = try Downstream(.nsd, address: "127.0.0.1", harness: harness)
        downstreams.append(nsd)
        let knot = try Downstream(.knot, address: "127.0.0.2", harness: harness)
        downstreams.append(knot)
        for downstream in downstreams {
            try harness.signerCLI(["zone", "downstream", "add", TwoTierHarness.zone, downstream.target])
        }
        let listed = try harness.signerCLI(["zone", "downstream", "list", TwoTierHarness.zone])
        for downstream in downstreams {
            #expect(listed.contains("NOTIFY to \(downstream.target)") && listed.contains("transfer allowed from \(downstream.address)/32"),
                    "zone downstream list:\n\(listed)")
        }
        let initial = try #require(harness.signerSerial(), "\(harness.logs)")
        for downstream in downstreams {
            let took = Self.waitForSerial(initial, on: downstream, harness, seconds: 30)
            try #require(took != nil, "\(downstream.kind) never transferred serial \(initial) from the signer:\n\(downstream.daemon.log.suffix(3000))\n\(harness.logs)")
            try Self.checkCopy(of: downstream, serial: initial, holding: ["search.usa.gov."], harness, label: "initial")
        }

        // Three successive edits on the primary. Each becomes a new signed version at the signer, and
        // each version reaches both secondaries within a few seconds — the signer's NOTIFY, since their
        // refresh timer is an hour — whole and valid.
        var previous = initial
        var names: [String] = ["search.usa.gov."]
        for edit in 1...3 {
            let label = "edit \(edit)"
            let owner = "downstream\(edit)"
            names.append("\(owner).search.usa.gov.")
            try harness.primaryCLI(["record", "add", TwoTierHarness.zone, owner, "300", "A", "192.0.2.\(100 + edit)"])
            let signed = TwoTierHarness.poll(10, { harness.askSigner("\(owner).search.usa.gov.", "A") }, until: {
                SignerDaemonTests.signedAnswer($0) && $0.contains("192.0.2.\(100 + edit)")
            })
            try #require(signed.ok, "\(label): the signer did not serve the edit signed:\n\(signed.output)\n\(harness.logs)")
            let serial = try #require(harness.signerSerial())
            #expect(serial != previous, "\(label): the signed serial did not change (\(serial))")
            for downstream in downstreams {
                let took = Self.waitForSerial(serial, on: downstream, harness, seconds: 10)
                #expect(took != nil,
                        "\(label): \(downstream.kind) does not serve serial \(serial) (it has \(downstream.serial().map(String.init) ?? "none")):\n\(downstream.daemon.log.suffix(3000))\n\(harness.logs)")
                guard let took else { continue }
                #expect(took < 5, "\(label): \(downstream.kind) took \(took) s to serve serial \(serial); NOTIFY should bring it within a few seconds")
                try Self.checkCopy(of: downstream, serial: serial, holding: names, harness, label: label)
            }
            previous = serial
        }

        // The secondaries were told, not polling: both logs show NOTIFYs from the signer.
        #expect(nsd.daemon.log.lowercased().contains("notify"), "NSD's log mentions no NOTIFY:\n\(nsd.daemon.log.suffix(3000))")
        #expect(knot.daemon.log.lowercased().contains("notify"), "Knot's log mentions no NOTIFY:\n\(knot.daemon.log.suffix(3000))")
    }

    /// Two secondaries on one host, told apart by port (NSD and Knot side by side, or two instances of
    /// one), each need a NOTIFY target; the host's transfer permission is shared.
    ///
    /// KNOWN BUG (fails until fixed): `SignerStore.addDownstream` (Sources/Signer/Store/
    /// SignerStore+Downstream.swift) refuses the second `zone downstream add ZONE ADDR:PORT` with "the
    /// entry exists" because the ACL row for ADDR/32 already exists, although the NOTIFY target
    /// ADDR:PORT is new; the second secondary then never hears of new versions. This expectation is
    /// the behaviour an operator needs and is deliberately not weakened.
    @Test func twoSecondariesOnOneAddressCanBothBeRegistered() throws {
        let harness = try TwoTierHarness(name: "signer-downstream-ports")
        defer { harness.cleanUp() }
        try harness.addSignerZone()
        let first = try TwoTierHarness.freePort()
        let second = try TwoTierHarness.freePort()
        try harness.signerCLI(["zone", "downstream", "add", TwoTierHarness.zone, "127.0.0.1:\(first)"])
        let added = try ExternalTool.execute(TwoTierHarness.signerBinary, [
            "zone", "downstream", "add", TwoTierHarness.zone, "127.0.0.1:\(second)", "--db", harness.signerDB,
        ], timeout: 60)
        #expect(added.status == 0, "a second secondary on 127.0.0.1 (another port) was refused:\n\(added.output)")
        let listed = try harness.signerCLI(["zone", "downstream", "list", TwoTierHarness.zone])
        #expect(listed.contains("NOTIFY to 127.0.0.1:\(first)") && listed.contains("NOTIFY to 127.0.0.1:\(second)"),
                "both NOTIFY targets:\n\(listed)")
        // Adding the same secondary twice is still a mistake worth refusing.
        let again = try ExternalTool.execute(TwoTierHarness.signerBinary, [
            "zone", "downstream", "add", TwoTierHarness.zone, "127.0.0.1:\(first)", "--db", harness.signerDB,
        ], timeout: 60)
        #expect(again.status != 0, "the same secondary was added twice:\n\(again.output)")
    }
}
