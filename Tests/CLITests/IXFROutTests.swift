import Foundation
import Testing

/// Issue 14 item 2, "IXFR out on both daemons", judged by real secondaries: NSD, Knot and BIND as
/// TSIG-keyed secondaries of `dns-signer`, and Knot as a secondary of `dns-primary`, follow a run of
/// edits made with `dns-primary record add|delete`. Each edit must reach each secondary as an IXFR
/// (their logs say so, and so does ours), and at the end every copy equals what we serve (full AXFRs
/// compared) and passes `ldns-verify-zone`. Midway both daemons restart: the journal is in SQLite, so
/// the next transfers are still incremental. A client older than the journal gets an AXFR-style answer.
@Suite(.serialized)
struct IXFROutTests {
    typealias Secondary = SignerDownstreamTests.Downstream

    /// Edits made at the primary. Each takes a second or two to go through both tiers and three
    /// secondaries; 100 keeps the whole test near three minutes on a loaded two-core machine.
    static let edits = 100
    /// The signer's journal limit in this test: small, so the oldest serials fall out and the
    /// AXFR-style fallback is seen, yet far more than a secondary one version behind needs.
    static let journalVersions = 30

    static let signerKey = SecondaryConfig.Key(name: "ixfr-key", secret: "c2lnbmVyLXRvLXNlY29uZGFyaWVzLWl4ZnIta2V5LTAx")
    static let primaryKey = SecondaryConfig.Key(name: "primary-key", secret: "cHJpbWFyeS10by1rbm90LWl4ZnIta2V5LXRlc3QtMDI=")

    static func dig(_ address: String, _ port: Int, _ arguments: [String]) -> String {
        (try? ExternalTool.run("dig", ["@\(address)", "-p", "\(port)", "+norec", "+time=2", "+tries=1"] + arguments,
                               timeout: 10, allowFailure: true)) ?? ""
    }

    static func serial(_ short: String) -> UInt32? {
        let fields = short.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return fields.count >= 7 ? UInt32(fields[2]) : nil
    }

    /// A zone by AXFR as sorted, whitespace-normalised record lines (one SOA), for comparing copies.
    static func axfr(_ address: String, _ port: Int, key: SecondaryConfig.Key? = nil) -> [String] {
        let keyArguments = key.map { ["-y", "\($0.algorithm):\($0.name):\($0.secret)"] } ?? []
        let text = dig(address, port, ["+onesoa", "+nocmd", "+nostats", "+nocomments", "+time=5"] + keyArguments
            + [TwoTierHarness.zone, "AXFR"])
        // dig prints the TSIG record of each message among the records; it is no part of the zone.
        var records: [String] = []
        for line in text.split(separator: "\n") {
            let fields: [Substring] = line.split(whereSeparator: \.isWhitespace)
            guard let first = fields.first, !first.hasPrefix(";") else { continue }
            if fields.count > 3 && fields[3] == "TSIG" { continue }
            records.append(fields.joined(separator: " "))
        }
        return records.sorted()
    }

    /// `kdig` IXFR from `serial` at the signer: the records of the answer, in order.
    static func ixfr(_ harness: TwoTierHarness, from serial: UInt32) throws -> [String] {
        let key = signerKey
        let output = try ExternalTool.run("kdig", [
            "@127.0.0.1", "-p", "\(harness.signerPort)", "-y", "\(key.algorithm):\(key.name):\(key.secret)", "+time=5",
            "IXFR=\(serial)", TwoTierHarness.zone,
        ], timeout: 30, allowFailure: true)
        return output.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }.map(String.init)
    }

    static func isSOA(_ line: String) -> Bool {
        let fields = line.split(whereSeparator: \.isWhitespace)
        return fields.count > 3 && fields[3] == "SOA"
    }

    /// Lines of the daemon log `text` in which we started an incremental transfer to `address`.
    static func incrementalTransfers(in text: String, to address: String) -> Int {
        text.split(separator: "\n").filter {
            $0.contains("transfer started") && $0.contains("style=incremental") && $0.contains("peer=\(address):")
        }.count
    }

    @Test func secondariesFollowEveryEditByIXFRAndTheirCopiesMatchOurs() throws {
        for tool in ["nsd", "knotd", "named", "dig", "kdig", "ldns-verify-zone"] { guard ExternalTool.require(tool) else { return } }
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        print("IXFROutTests seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        let harness = try TwoTierHarness(name: "ixfr-out")
        var secondaries: [Secondary] = []
        defer {
            for secondary in secondaries { secondary.stop() }
            harness.cleanUp()
        }
        let zone = TwoTierHarness.zone
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: true)
        // The primary's own secondary (Knot at 127.0.0.4), keyed; the signer (127.0.0.1) keeps its transfers.
        try harness.primaryCLI(["tsig", "add", Self.primaryKey.name, "--secret", Self.primaryKey.secret])
        try harness.primaryCLI(["zone", "acl", "add", zone, "127.0.0.1"])
        try harness.primaryCLI(["zone", "acl", "add", zone, "127.0.0.4", "--key", Self.primaryKey.name])
        try harness.startPrimary()
        try harness.signerCLI(["tsig", "add", Self.signerKey.name, "--secret", Self.signerKey.secret])
        try harness.addSignerZone(poll: "60s")
        let signerFlags = ["--journal-max-versions", "\(Self.journalVersions)"]
        try harness.startSigner(signerFlags)
        let first = TwoTierHarness.poll(30, { harness.askSigner(zone, "SOA") }, until: SignerDaemonTests.signedAnswer)
        try #require(first.ok, "the signer never served the zone signed:\n\(first.output)\n\(harness.logs)")

        for (kind, address) in [(Secondary.Kind.nsd, "127.0.0.3"), (.knot, "127.0.0.2"), (.bind, "127.0.0.1")] {
            let secondary = try Secondary(kind, address: address, harness: harness, key: Self.signerKey, label: "signer-\(kind.rawValue)")
            secondaries.append(secondary)
            try harness.signerCLI(["zone", "downstream", "add", zone, "\(address):\(secondary.port)", "--key", Self.signerKey.name])
        }
        let ofPrimary = try Secondary(.knot, address: "127.0.0.4", harness: harness, primaryPort: harness.primaryPort,
                                      key: Self.primaryKey, label: "primary-knot")
        secondaries.append(ofPrimary)
        try harness.primaryCLI(["zone", "notify", "add", zone, "127.0.0.4:\(ofPrimary.port)", "--key", Self.primaryKey.name])

        let initial = try #require(harness.signerSerial())
        for secondary in secondaries.dropLast() {
            let has = TwoTierHarness.poll(30, { secondary.serial().map(String.init) ?? "" }, until: { $0 == String(initial) })
            try #require(has.ok, "\(secondary.label) never transferred serial \(initial):\n\(secondary.daemon.log.suffix(3000))\n\(harness.logs)")
        }

        // The edits: a new name each time, and now and then an earlier one deleted again, so steps
        // carry deletions too. Each edit waits until every secondary has it: one IXFR per version.
        var signerLogs = ""
        var added: [Int] = []
        var primarySerial = try #require(Self.serial(Self.dig("127.0.0.1", harness.primaryPort, ["+short", zone, "SOA"])))
        var beforeRestart: UInt32 = 0
        var signedSerials = [initial]
        let started = Date()
        for edit in 1...Self.edits {
            if edit == Self.edits / 2 {
                // Both daemons restart; what they serve next still goes out as IXFR.
                beforeRestart = try #require(harness.signerSerial())
                signerLogs += harness.signer?.log ?? ""
                harness.stopSigner()
                harness.stopPrimary()
                try harness.startPrimary()
                try harness.startSigner(signerFlags)
                let back = TwoTierHarness.poll(30, { harness.signerSerial().map(String.init) ?? "" }, until: { $0 == String(beforeRestart) })
                try #require(back.ok, "the signer did not come back with serial \(beforeRestart):\n\(harness.logs)")
                // The journal came back from SQLite: the step before the restart is answered incrementally.
                let previous = signedSerials[signedSerials.count - 2]
                let across = try Self.ixfr(harness, from: previous)
                #expect(across.filter { Self.isSOA($0) }.count == 4,
                        "after the restart, an IXFR from serial \(previous) is not incremental:\n\(across.prefix(8).joined(separator: "\n"))")
            }
            if added.count > 3 && rng.below(4) == 0 {
                let gone = added.remove(at: rng.below(added.count))
                try harness.primaryCLI(["record", "delete", zone, "ixfr\(gone)", "A"])
            } else {
                try harness.primaryCLI(["record", "add", zone, "ixfr\(edit)", "300", "A", "192.0.2.\(1 + rng.below(250))"])
                added.append(edit)
            }
            let previousPrimary = primarySerial
            let published = TwoTierHarness.poll(10, { Self.dig("127.0.0.1", harness.primaryPort, ["+short", zone, "SOA"]) },
                                                until: { Self.serial($0).map { $0 != previousPrimary } ?? false })
            primarySerial = try #require(Self.serial(published.output), "edit \(edit): the primary did not publish it:\n\(harness.logs)")
            let previousSigned = signedSerials.last!
            let signed = TwoTierHarness.poll(15, { harness.signerSerial().map(String.init) ?? "" }, until: { text in
                UInt32(text).map { $0 != previousSigned } ?? false
            })
            let signedSerial = try #require(UInt32(signed.output), "edit \(edit): the signer did not sign it:\n\(harness.logs)")
            signedSerials.append(signedSerial)
            for secondary in secondaries {
                let want = secondary === ofPrimary ? primarySerial : signedSerial
                let has = TwoTierHarness.poll(15, { secondary.serial().map(String.init) ?? "" }, until: { $0 == String(want) })
                try #require(has.ok, "edit \(edit): \(secondary.label) does not serve serial \(want):\n\(secondary.daemon.log.suffix(3000))\n\(harness.logs)")
            }
        }
        print("IXFROutTests: \(Self.edits) edits through both tiers and four secondaries in \(Int(Date().timeIntervalSince(started))) s")
        signerLogs += harness.signer?.log ?? ""

        // Every edit reached every secondary as an IXFR, by their logs and by ours.
        for secondary in secondaries {
            #expect(secondary.incrementalTransfers >= Self.edits,
                    "\(secondary.label) logged \(secondary.incrementalTransfers) incremental transfers for \(Self.edits) edits:\n\(secondary.daemon.log.suffix(4000))")
        }
        for secondary in secondaries.dropLast() {
            let ours = Self.incrementalTransfers(in: signerLogs, to: secondary.address)
            #expect(ours >= Self.edits, "the signer logged \(ours) incremental transfers to \(secondary.label) for \(Self.edits) edits")
        }

        // Their copies equal ours, record for record, and the signed ones verify.
        let signerCopy = Self.axfr("127.0.0.1", harness.signerPort, key: Self.signerKey)
        #expect(signerCopy.count > 50 && signerCopy.contains { $0.contains(" RRSIG ") }, "the signer's AXFR:\n\(signerCopy.prefix(20))")
        for secondary in secondaries.dropLast() {
            let copy = Self.axfr(secondary.address, secondary.port)
            let same = copy == signerCopy
            #expect(same, "\(secondary.label)'s copy differs from the signer's: only theirs \(Set(copy).subtracting(signerCopy).sorted().prefix(5)), only ours \(Set(signerCopy).subtracting(copy).sorted().prefix(5))")
            let verified = try SignerDownstreamTests.ldnsVerify(copy.joined(separator: "\n") + "\n", path: "\(harness.dir)/\(secondary.label).zone")
            #expect(verified.ok, "\(secondary.label)'s copy fails ldns-verify-zone:\n\(verified.output.suffix(3000))")
        }
        let primaryCopy = Self.axfr("127.0.0.1", harness.primaryPort)
        let primaryCopyMatches = Self.axfr(ofPrimary.address, ofPrimary.port) == primaryCopy
        #expect(primaryCopyMatches && primaryCopy.count > 10, "the primary's Knot secondary's copy differs from the primary's")

        // The journal's reach, as the operator sees it, and the fallback beyond it: a client at the
        // first serial is older than the journal and gets the whole zone; one at the serial served
        // before the restart (within it) gets the change alone.
        let status = try harness.signerCLI(["zone", "status", zone])
        #expect(status.contains("journal:") && status.contains("\(Self.journalVersions) versions"), "zone status:\n\(status)")
        let tooOld = try Self.ixfr(harness, from: initial)
        #expect(tooOld.count > 50 && tooOld.dropFirst().first.map { !Self.isSOA($0) } == true,
                "an IXFR from serial \(initial), older than the journal, is not AXFR-style:\n\(tooOld.prefix(5).joined(separator: "\n"))")
        #expect(harness.signer?.log.contains("the journal does not reach serial \(initial)") == true, "the fallback is not logged")
        let recentSerial = signedSerials[signedSerials.count - 4]
        let recent = try Self.ixfr(harness, from: recentSerial)
        let soas = recent.filter { Self.isSOA($0) }
        #expect(soas.count == 4 && soas[1].contains(" \(recentSerial) "),
                "an IXFR from serial \(recentSerial) is not one incremental step:\n\(recent.prefix(8).joined(separator: "\n"))")
        #expect(recent.count < tooOld.count / 2, "the incremental answer (\(recent.count) records) is not smaller than the whole zone (\(tooOld.count))")
    }
}

extension SignerDownstreamTests.Downstream {
    /// Transfers its log reports as incremental, in each daemon's words (Knot: "IXFR, incoming";
    /// BIND, at debug level 3: "got incremental response").
    var incrementalTransfers: Int {
        let lines = daemon.log.split(separator: "\n")
        switch kind {
        // NSD 4.6 names no transfer type in its log (only in debug builds): it logs each update it
        // applied, and says so when an IXFR does not apply cleanly (counted against it here); that
        // what it applied was sent as IXFR is in our log (`style=incremental`, checked beside).
        case .nsd:
            if daemon.log.contains("Failed to apply IXFR cleanly") { return 0 }
            return lines.filter { $0.contains("committed") && $0.contains("received update to serial") }.count
        case .knot: return lines.filter { $0.contains("IXFR, incoming") && $0.contains("finished") }.count
        case .bind: return lines.filter { $0.contains("got incremental response") }.count
        }
    }
}
