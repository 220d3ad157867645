import DNSCore
import Foundation
import Testing

/// `dns-signer zone set` against a running `dns-signer serve`, nothing mocked: the hidden primary moves
/// to another address and the zone follows it with its keys (the DS at the registrar stays valid); a
/// switch from NSEC to NSEC3 and back signs the served zone again in full with the same keys, raises the
/// signed serial, and the result passes `ldns-verify-zone`.
@Suite(.serialized)
struct SignerZoneSetDaemonTests {
    static let zone = TwoTierHarness.zone

    static func signed(_ output: String) -> Bool { output.contains("status: NOERROR") && output.contains("RRSIG") }

    /// The DNSKEY set the signer serves, one record a line, sorted.
    static func dnskeys(_ harness: TwoTierHarness) -> [String] {
        harness.dig(harness.signerPort, ["+short", zone, "DNSKEY"]).split(separator: "\n").map(String.init).sorted()
    }

    /// The answer to `dig +dnssec` (one record a line, tab-separated) at the signer.
    static func ask(_ harness: TwoTierHarness, _ name: String, _ type: String) -> String {
        harness.dig(harness.signerPort, ["+dnssec", name, type])
    }

    /// Record lines of `type` in dig output (not the RRSIGs covering it).
    static func records(_ output: String, _ type: String) -> [Substring] {
        output.split(separator: "\n").filter { !$0.hasPrefix(";") && $0.split(whereSeparator: \.isWhitespace).dropFirst(3).first == Substring(type) }
    }

    /// An AXFR of the signed zone from the signer, checked by `ldns-verify-zone`.
    static func verifiedTransfer(_ harness: TwoTierHarness, label: String) throws -> String {
        let copy = try ExternalTool.run("dig", [
            "@127.0.0.1", "-p", "\(harness.signerPort)", "+onesoa", "+nocmd", "+nostats", "+nocomments", "+time=5", "+tries=1",
            zone, "AXFR",
        ], timeout: 30, allowFailure: true)
        #expect(copy.contains("\tSOA\t") && copy.contains("RRSIG") && !copy.contains("Transfer failed"), "\(label): no signed AXFR:\n\(copy.prefix(2000))")
        let path = harness.dir + "/\(label).zone"
        try copy.write(toFile: path, atomically: true, encoding: .utf8)
        let verify = try ExternalTool.execute("ldns-verify-zone", [path], timeout: 60)
        #expect(verify.status == 0, "\(label): ldns-verify-zone refused the signer's zone:\n\(verify.output.suffix(3000))")
        return copy
    }

    @Test func theZoneFollowsItsPrimaryToANewAddressWithTheSameKeys() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "zone-set-primary")
        var second: BackgroundProcess?
        defer {
            second?.stop()
            harness.cleanUp()
        }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: false)
        try harness.startPrimary()
        // A minute between polls and no NOTIFY: only `zone set` can make the signer ask the new primary soon.
        try harness.addSignerZone(poll: "60s")
        try harness.startSigner()
        let first = TwoTierHarness.poll(30, { Self.ask(harness, Self.zone, "SOA") }, until: Self.signed)
        #expect(first.ok, "the zone was never signed:\n\(first.output)\n\(harness.logs)")
        let keys = Self.dnskeys(harness)
        #expect(keys.count == 2, "a KSK and a ZSK: \(keys)")
        let ds = try harness.signerCLI(["ds", Self.zone])
        let serial = try #require(harness.signerSerial())

        // The hidden primary moves: another dns-primary with its own store and address, the zone one edit ahead.
        let secondDB = harness.dir + "/primary-new.db"
        let secondPort = try FreePort.next()
        for arguments in [["zone", "import", Self.zone, TwoTierHarness.seed],
                          ["record", "add", Self.zone, "moved", "300", "TXT", "\"from the new primary\""]] {
            let run = try ExternalTool.execute(TwoTierHarness.primaryBinary, arguments + ["--db", secondDB], timeout: 60)
            #expect(run.status == 0, "dns-primary \(arguments): \(run.output)")
        }
        second = try BackgroundProcess(TwoTierHarness.primaryBinary, [
            "serve", "--db", secondDB, "--listen", "127.0.0.1:\(secondPort)", "--resolver", "127.0.0.1:\(harness.upstreamPort)",
            "--refresh", "1",
        ], log: harness.directory.appendingPathComponent("primary-new.log"))
        let up = TwoTierHarness.poll(20, { harness.dig(secondPort, ["moved.\(Self.zone)", "TXT"]) }, until: { $0.contains("from the new primary") })
        #expect(up.ok, "the new primary does not answer:\n\(up.output)\n\(harness.logs)")
        harness.stopPrimary()  // the old address is gone

        let set = try harness.signerCLI(["zone", "set", Self.zone, "--primary", "127.0.0.1:\(secondPort)"])
        #expect(set.contains("primaries: 127.0.0.1:\(harness.primaryPort) → 127.0.0.1:\(secondPort) (polled at once)"), "\(set)")
        let moved = TwoTierHarness.poll(20, { Self.ask(harness, "moved.\(Self.zone)", "TXT") }, until: {
            Self.signed($0) && $0.contains("from the new primary")
        })
        #expect(moved.ok, "the new primary's content was not served signed:\n\(moved.output)\n\(harness.logs)")
        #expect(moved.seconds < 15, "polled at once, not at the next minute: took \(moved.seconds) s")
        #expect(Self.dnskeys(harness) == keys, "the same DNSKEY set")
        #expect(try harness.signerCLI(["ds", Self.zone]) == ds, "the same DS for the registrar")
        let newSerial = try #require(harness.signerSerial())
        #expect(SerialNumber(newSerial) > SerialNumber(serial), "the signed serial rose: \(serial) → \(newSerial)")
        var status = try harness.signerCLI(["zone", "status", Self.zone])
        #expect(status.contains("primaries:       127.0.0.1:\(secondPort), polled every 1m"), "\(status)")
        #expect(status.contains("keys:            KSK "), "\(status)")

        // A shorter poll interval restarts the cycle: an edit on the primary arrives without NOTIFY within it.
        let pace = try harness.signerCLI(["zone", "set", Self.zone, "--poll", "2s"])
        #expect(pace.contains("poll interval: 1m → 2s"), "\(pace)")
        let edit = try ExternalTool.execute(TwoTierHarness.primaryBinary, [
            "record", "add", Self.zone, "paced", "300", "TXT", "\"polled every 2s\"", "--db", secondDB,
        ], timeout: 60)
        #expect(edit.status == 0, "\(edit.output)")
        let paced = TwoTierHarness.poll(15, { Self.ask(harness, "paced.\(Self.zone)", "TXT") }, until: {
            Self.signed($0) && $0.contains("polled every 2s")
        })
        #expect(paced.ok, "the edit did not arrive at the new pace:\n\(paced.output)\n\(harness.logs)")
        #expect(paced.seconds < 8, "one 2 s poll interval, the primary's store check and signing: took \(paced.seconds) s")
        status = try harness.signerCLI(["zone", "status", Self.zone])
        #expect(status.contains("polled every 2s"), "\(status)")
        #expect(Self.dnskeys(harness) == keys, "still the same DNSKEY set")
    }

    @Test func switchingDenialSignsTheServedZoneAgainWithTheSameKeys() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig"), ExternalTool.require("ldns-verify-zone") else { return }
        let harness = try TwoTierHarness(name: "zone-set-nsec3")
        defer { harness.cleanUp() }
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: false)
        try harness.startPrimary()
        try harness.addSignerZone(poll: "60s")  // NSEC by default
        try harness.startSigner()
        let first = TwoTierHarness.poll(30, { Self.ask(harness, Self.zone, "SOA") }, until: Self.signed)
        #expect(first.ok, "the zone was never signed:\n\(first.output)\n\(harness.logs)")
        let keys = Self.dnskeys(harness)
        let missing = "no-such-name.\(Self.zone)"
        let nsecProof = Self.ask(harness, missing, "A")
        #expect(nsecProof.contains("status: NXDOMAIN") && !Self.records(nsecProof, "NSEC").isEmpty, "NSEC before:\n\(nsecProof)")
        let nsecSerial = try #require(harness.signerSerial())

        // NSEC → NSEC3.
        let set = try harness.signerCLI(["zone", "set", Self.zone, "--nsec3"])
        #expect(set.contains("denial: NSEC → NSEC3 (the zone is signed again in full with the same keys"), "\(set)")
        let switched = TwoTierHarness.poll(30, { Self.ask(harness, Self.zone, "NSEC3PARAM") }, until: {
            Self.signed($0) && !Self.records($0, "NSEC3PARAM").isEmpty
        })
        #expect(switched.ok, "no NSEC3PARAM at the apex:\n\(switched.output)\n\(harness.logs)")
        let nsec3Proof = Self.ask(harness, missing, "A")
        #expect(nsec3Proof.contains("status: NXDOMAIN"), "\(nsec3Proof)")
        #expect(Self.records(nsec3Proof, "NSEC3").count >= 2, "NXDOMAIN proven with NSEC3 (closest encloser, next closer):\n\(nsec3Proof)")
        #expect(Self.records(nsec3Proof, "NSEC").isEmpty, "no NSEC left:\n\(nsec3Proof)")
        #expect(Self.dnskeys(harness) == keys, "the same DNSKEY set")
        let nsec3Serial = try #require(harness.signerSerial())
        #expect(SerialNumber(nsec3Serial) > SerialNumber(nsecSerial), "the signed serial rose: \(nsecSerial) → \(nsec3Serial)")
        let nsec3Copy = try Self.verifiedTransfer(harness, label: "nsec3")
        #expect(!Self.records(nsec3Copy, "NSEC3").isEmpty && Self.records(nsec3Copy, "NSEC").isEmpty, "the transferred zone is NSEC3 only")
        let status = try harness.signerCLI(["zone", "status", Self.zone])
        #expect(status.contains("signing:         NSEC3, ECDSAP256SHA256, KSK + ZSK"), "\(status)")
        #expect(status.contains("signed again in full with NSEC3 (settings changed)"), "the event is recorded:\n\(status)")

        // And back: NSEC3 → NSEC.
        try harness.signerCLI(["zone", "set", Self.zone, "--nsec"])
        let back = TwoTierHarness.poll(30, { Self.ask(harness, missing, "A") }, until: {
            $0.contains("status: NXDOMAIN") && !Self.records($0, "NSEC").isEmpty
        })
        #expect(back.ok, "not back to NSEC:\n\(back.output)\n\(harness.logs)")
        #expect(Self.records(back.output, "NSEC3").isEmpty, "\(back.output)")
        #expect(Self.records(Self.ask(harness, Self.zone, "NSEC3PARAM"), "NSEC3PARAM").isEmpty, "NSEC3PARAM removed")
        #expect(Self.dnskeys(harness) == keys, "still the same DNSKEY set")
        #expect(SerialNumber(try #require(harness.signerSerial())) > SerialNumber(nsec3Serial))
        let nsecCopy = try Self.verifiedTransfer(harness, label: "nsec")
        #expect(Self.records(nsecCopy, "NSEC3").isEmpty && !Self.records(nsecCopy, "NSEC").isEmpty, "the transferred zone is NSEC only")

        // Changed while the daemon is down: the restarted signer serves its stored NSEC version at once, then
        // signs it again with NSEC3 opt-out.
        let nsecSerial2 = try #require(harness.signerSerial())
        harness.stopSigner()
        try harness.signerCLI(["zone", "set", Self.zone, "--nsec3", "--opt-out"])
        try harness.startSigner()
        let optOut = TwoTierHarness.poll(30, { Self.ask(harness, missing, "A") }, until: {
            $0.contains("status: NXDOMAIN") && Self.records($0, "NSEC3").contains { $0.split(whereSeparator: \.isWhitespace).dropFirst(5).first == "1" }
        })
        #expect(optOut.ok, "no NSEC3 with the opt-out flag after the restart:\n\(optOut.output)\n\(harness.logs)")
        #expect(Self.dnskeys(harness) == keys, "still the same DNSKEY set")
        #expect(SerialNumber(try #require(harness.signerSerial())) > SerialNumber(nsecSerial2))
        let optOutCopy = try Self.verifiedTransfer(harness, label: "nsec3-opt-out")
        #expect(Self.records(optOutCopy, "NSEC").isEmpty, "the transferred zone is NSEC3 only")
    }
}
