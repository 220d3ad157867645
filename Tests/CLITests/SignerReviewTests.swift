import Foundation
import Testing

/// Review before publishing (issue 16 item 3), end to end: `dns-signer serve` polls a scripted primary
/// every second while the test moves it from version to version. A review command that refuses every
/// second version (and one that hangs) keeps the signer serving the last approved version with one
/// `review.rejected` event each; manual review waits for `zone approve|reject ZONE SERIAL`, across a
/// restart, while the published version is still signed again without review.
@Suite(.serialized)
struct SignerReviewTests {
    static let zone = TwoTierHarness.zone

    /// The guard tests' 100-RRset zone with `v` TXT "version SERIAL", the marker the test asks for.
    static func version(_ serial: Int) -> [SignerGuardTests.Record] {
        SignerGuardTests.goodZone(serial: serial) + [(SignerGuardTests.name("v"), 300, "TXT", "\"version \(serial)\"")]
    }

    static func serves(_ harness: TwoTierHarness, _ serial: Int) -> (String) -> Bool {
        { $0.contains("status: NOERROR") && $0.contains("\"version \(serial)\"") && $0.contains("RRSIG") }
    }

    static func marker(_ harness: TwoTierHarness) -> String { harness.askSigner(SignerGuardTests.name("v"), "TXT") }

    static func start(_ name: String, first: Int, review: [String]) throws -> (TwoTierHarness, ScriptedPrimary, GuardCheck)? {
        guard ExternalTool.require("dig"), ExternalTool.require("sqlite3"), ScriptedPrimary.requireDnspython() else { return nil }
        let harness = try TwoTierHarness(name: name)
        let primary = ScriptedPrimary(directory: harness.directory)
        try primary.serve("v\(first)", version(first))
        let port = try primary.start()
        try harness.signerCLI(["zone", "add", zone, "--primary", "127.0.0.1:\(port)", "--poll", "1s"] + review)
        try harness.startSigner()
        return (harness, primary, GuardCheck(harness: harness, primary: primary))
    }

    // MARK: Command

    @Test func aCommandThatRefusesEverySecondVersionAndOneThatHangsKeepTheApprovedVersionServed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("review-hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hook = directory.appendingPathComponent("review.sh").path
        let calls = directory.appendingPathComponent("calls.log").path
        // ZONE STAGE UNSIGNED_SERIAL SIGNED_SERIAL ZONE_FILE. The signed stage checks the file is signed; the
        // unsigned one checks the file is the version named, refuses even serials and hangs on 105.
        try """
            #!/bin/sh
            echo "$2 $3 $4 $COUNTERSIGN_REVIEW_ZONE" >> \(calls)
            if [ "$2" = signed ]; then grep -q RRSIG "$5" || { echo "not signed"; exit 3; }; exit 0; fi
            grep -q '"version '"$3"'"' "$5" || { echo "the zone file is not version $3"; exit 4; }
            if [ "$3" = 105 ]; then exec sleep 60; fi
            if [ $(( $3 % 2 )) -eq 0 ]; then echo "even serials are refused"; exit 1; fi
            exit 0
            """.write(toFile: hook, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        guard let (harness, primary, check) = try Self.start("signer-review-hook", first: 101, review: [
            "--review-unsigned", "command", "--review-signed", "command", "--review-command", hook, "--review-timeout", "2s",
        ]) else { return }
        defer {
            primary.stop()
            harness.cleanUp()
        }
        func hookCalls() -> [String] {
            ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        func rejected() -> [GuardCheck.Event] { check.events().filter { $0.kind == "review.rejected" } }

        let first = TwoTierHarness.poll(30, { Self.marker(harness) }, until: Self.serves(harness, 101))
        try #require(first.ok, "the first version passed review but is not served:\n\(first.output)\n\(check.logs)")
        #expect(hookCalls().map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["unsigned 101", "signed 101"],
                "both stages reviewed: \(hookCalls())")
        #expect(hookCalls().allSatisfy { $0.hasSuffix(" \(Self.zone)") }, "the hook is told the zone: \(hookCalls())")
        let serial101 = try #require(harness.signerSerial())

        // 102 is refused: still 101, one event however often the primary is polled, the hook run once.
        try primary.serve("v102", Self.version(102))
        let refused = TwoTierHarness.wait(20, { rejected() }, until: { $0.count == 1 && primary.served("v102") >= 4 })
        #expect(refused.ok, "102 was not rejected:\n\(check.eventText)\n\(check.logs)")
        #expect(refused.output.first?.summary.contains("rejected the unsigned version with serial 102") == true
                && refused.output.first?.summary.contains("even serials are refused") == true, "\(check.eventText)")
        #expect(Self.serves(harness, 101)(Self.marker(harness)) && harness.signerSerial() == serial101, "the approved version stays")
        #expect(hookCalls().filter { $0.hasPrefix("unsigned 102") }.count == 1, "the same version is not reviewed again: \(hookCalls())")
        #expect((check.status().state["lastPollResult"] as? String ?? "").hasPrefix("held: the unsigned review rejected this version"))

        // 103 passes both stages and is served; the signed stage was told the new signed serial.
        try primary.serve("v103", Self.version(103))
        let served103 = TwoTierHarness.poll(20, { Self.marker(harness) }, until: Self.serves(harness, 103))
        #expect(served103.ok, "103 passed review but is not served:\n\(served103.output)\n\(check.logs)")
        let serial103 = try #require(harness.signerSerial())
        #expect(hookCalls().contains { $0.hasPrefix("signed 103 \(serial103) ") }, "\(hookCalls()) / \(serial103)")

        // 104 is refused like 102; 105 hangs and is timed out after 2 s.
        try primary.serve("v104", Self.version(104))
        #expect(TwoTierHarness.wait(20, { rejected() }, until: { $0.count == 2 }).ok, "104 not rejected:\n\(check.eventText)")
        try primary.serve("v105", Self.version(105))
        let hung = TwoTierHarness.wait(30, { rejected() }, until: { $0.count == 3 && primary.served("v105") >= 3 })
        #expect(hung.ok, "the hanging review was not timed out:\n\(check.eventText)\n\(check.logs)")
        #expect(hung.output.last?.summary.contains("did not finish within 2 s") == true, "\(check.eventText)")
        #expect(hookCalls().filter { $0.hasPrefix("unsigned 105") }.count == 1, "a timed-out version is not run again: \(hookCalls())")
        #expect(Self.serves(harness, 103)(Self.marker(harness)) && harness.signerSerial() == serial103, "103 stays served")
        let resigned = check.events().filter { $0.kind == "zone.resigned" }
        #expect(resigned.count == 2, "only the approved versions are published:\n\(check.eventText)")
    }

    // MARK: Manual

    @Test func manualReviewWaitsForTheOperatorBySerialAcrossARestartWithoutHoldingBackReSigning() throws {
        guard let (harness, primary, check) = try Self.start("signer-review-manual", first: 100, review: []) else { return }
        defer {
            primary.stop()
            harness.cleanUp()
        }
        let first = TwoTierHarness.poll(30, { Self.marker(harness) }, until: Self.serves(harness, 100))
        try #require(first.ok, "the first version is not served:\n\(first.output)\n\(check.logs)")
        let set = try harness.signerCLI(["zone", "set", Self.zone, "--review-unsigned", "manual", "--review-signed", "manual"])
        #expect(set.contains("review: unsigned off, signed off → unsigned manual, signed manual"), "\(set)")
        let served100 = try #require(harness.signerSerial())
        let taken = TwoTierHarness.poll(10, { harness.logs }, until: { $0.contains("review settings in force") })
        try #require(taken.ok, "the daemon did not take the review settings:\n\(check.logs)")

        // 101 waits for the unsigned review.
        try primary.serve("v101", Self.version(101))
        let pending = TwoTierHarness.wait(20, { check.events().filter { $0.kind == "review.pending" } }, until: { $0.count == 1 })
        try #require(pending.ok, "no review.pending event:\n\(check.eventText)\n\(check.logs)")
        #expect(pending.output[0].summary.contains("the unsigned version with serial 101 waits for review: `dns-signer zone approve \(Self.zone) 101`"))
        let status = try harness.signerCLI(["zone", "status", Self.zone])
        #expect(status.contains("pending review:  the unsigned version with serial 101 waits since"), "\(status)")
        let file = try #require(status.split(separator: "\n").first { $0.hasPrefix("pending review:") }?.components(separatedBy: "zone file ").last)
        #expect(((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains("\"version 101\""), "the file to review: \(file)")
        #expect(Self.serves(harness, 100)(Self.marker(harness)) && harness.signerSerial() == served100, "100 stays served")

        let wrong = try ExternalTool.execute(TwoTierHarness.signerBinary, ["zone", "approve", Self.zone, "999", "--db", harness.signerDB])
        #expect(wrong.status != 0 && wrong.output.contains("serial 999: not the version waiting for review: the unsigned version with serial 101 is"),
                "\(wrong.output)")
        try harness.signerCLI(["zone", "approve", Self.zone, "101"])

        // Approved: on to the signed review, under a signed serial of its own.
        let signedPending = TwoTierHarness.wait(20, { check.events().filter { $0.kind == "review.pending" } }, until: { $0.count == 2 })
        try #require(signedPending.ok, "the signed stage did not ask for review:\n\(check.eventText)\n\(check.logs)")
        let review = try #require(check.status().settings.isEmpty ? nil : Self.pendingReview(harness))
        #expect(review["stage"] as? String == "signed" && review["unsignedSerial"] as? Int == 101, "\(review)")
        let signedSerial = try #require(review["serial"] as? Int)

        // A restart keeps the review waiting; the served version is what it was.
        harness.stopSigner()
        try harness.startSigner()
        let back = TwoTierHarness.poll(20, { Self.marker(harness) }, until: Self.serves(harness, 100))
        #expect(back.ok, "after the restart 100 is not served:\n\(back.output)")
        Thread.sleep(forTimeInterval: 3)  // three polls of 101 after the restart
        #expect(Self.pendingReview(harness)["serial"] as? Int == signedSerial, "the review survives the restart")
        #expect(check.events().filter { $0.kind == "review.pending" }.count == 2, "no second event for the same version:\n\(check.eventText)")
        #expect(Self.serves(harness, 100)(Self.marker(harness)))

        // Re-signing the published version is not reviewed: NSEC3 is served at once while 101 still waits.
        try harness.signerCLI(["zone", "set", Self.zone, "--nsec3"])
        let nsec3 = TwoTierHarness.poll(20, { harness.askSigner(Self.zone, "NSEC3PARAM") }, until: { $0.contains("NSEC3PARAM 1 0 0") && $0.contains("RRSIG") })
        #expect(nsec3.ok, "the full re-signing was held back by the review:\n\(nsec3.output)\n\(check.logs)")
        #expect(Self.serves(harness, 100)(Self.marker(harness)), "100 is still the content served")
        let resignedSerial = harness.signerSerial() ?? 0
        #expect(resignedSerial > served100, "signed again under a new serial: \(resignedSerial) after \(served100)\n\(check.eventText)")
        #expect(Self.pendingReview(harness)["status"] as? String == "pending")

        let stale = try ExternalTool.execute(TwoTierHarness.signerBinary, ["zone", "approve", Self.zone, "101", "--db", harness.signerDB])
        #expect(stale.status != 0 && stale.output.contains("the signed version with serial \(signedSerial) is"), "\(stale.output)")
        try harness.signerCLI(["zone", "approve", Self.zone, "\(signedSerial)"])
        let approved = TwoTierHarness.poll(20, { Self.marker(harness) }, until: Self.serves(harness, 101))
        #expect(approved.ok, "the approved version is not served:\n\(approved.output)\n\(check.logs)")
        #expect(harness.askSigner(Self.zone, "NSEC3PARAM").contains("NSEC3PARAM 1 0 0"), "with the denial set meanwhile")
        let cleared = TwoTierHarness.wait(5, { Self.pendingReview(harness) }, until: { $0.isEmpty })
        #expect(cleared.ok, "the review is done once published: \(cleared.output)")

        // 102 is rejected by the operator: one event, 101 stays, no approval afterwards.
        try primary.serve("v102", Self.version(102))
        #expect(TwoTierHarness.wait(20, { Self.pendingReview(harness) }, until: { $0["serial"] as? Int == 102 }).ok, "\(check.eventText)")
        let rejectText = try harness.signerCLI(["zone", "reject", Self.zone, "102"])
        #expect(rejectText.contains("rejected the unsigned version with serial 102; the previous version stays served"), "\(rejectText)")
        Thread.sleep(forTimeInterval: 3)
        #expect(Self.serves(harness, 101)(Self.marker(harness)), "101 stays served after the rejection")
        let rejections = check.events().filter { $0.kind == "review.rejected" }
        #expect(rejections.count == 1 && rejections[0].summary.contains("\(NSUserName()) rejected the unsigned version with serial 102"), "\(check.eventText)")
        #expect(check.events().filter { $0.kind == "review.pending" }.count == 3, "102 is not offered again:\n\(check.eventText)")
        #expect(check.events().filter { $0.kind == "review.approved" }.count == 2)
        let late = try ExternalTool.execute(TwoTierHarness.signerBinary, ["zone", "approve", Self.zone, "102", "--db", harness.signerDB])
        #expect(late.status != 0 && late.output.contains("no version is waiting for review"), "\(late.output)")
    }

    static func pendingReview(_ harness: TwoTierHarness) -> [String: Any] {
        let output = (try? ExternalTool.execute(TwoTierHarness.signerBinary, ["zone", "status", zone, "--json", "--db", harness.signerDB], timeout: 30).output) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(output.utf8))) as? [String: Any] ?? [:]
        return json["pendingReview"] as? [String: Any] ?? [:]
    }

    // MARK: Settings

    @Test func badReviewSettingsAreRefusedWithTheReasonAndChangeNothing() throws {
        let harness = try TwoTierHarness(name: "signer-review-cli")
        defer { harness.cleanUp() }
        func refused(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try ExternalTool.execute(TwoTierHarness.signerBinary, arguments + ["--db", harness.signerDB])
            #expect(result.status != 0 && result.output.contains(message), "\(arguments): \(result.output)", sourceLocation: sourceLocation)
        }
        let add = ["zone", "add", Self.zone, "--primary", "192.0.2.1"]
        try refused(add + ["--review-unsigned", "maybe"], "--review-unsigned maybe: use off, command or manual")
        try refused(add + ["--review-signed", "command"], "give the program to run with --review-command PATH")
        try refused(add + ["--review-signed", "command", "--review-command", "review.sh"], "--review-command review.sh: give the program's absolute path")
        try refused(add + ["--review-signed", "command", "--review-command", "/nonexistent/review.sh"], "not an executable file")
        try refused(add + ["--review-timeout", "0"], "--review-timeout 0: expected a duration")
        let list = try harness.signerCLI(["zone", "list"])
        #expect(list.contains("no zones"), "nothing was added: \(list)")

        try harness.signerCLI(add + ["--review-signed", "manual"])
        try refused(["zone", "set", Self.zone, "--review-unsigned", "command"], "give the program to run with --review-command PATH")
        try refused(["zone", "set", Self.zone, "--review-timeout", "2d"], "review timeout 172800s: must be from 1 second to 1 day")
        try refused(["zone", "approve", Self.zone, "7"], "no version is waiting for review")
        try refused(["zone", "approve", Self.zone, "seven"], "seven")
        let status = try harness.signerCLI(["zone", "status", Self.zone])
        #expect(status.contains("review:          unsigned off, signed manual"), "settings unchanged:\n\(status)")
        #expect(!status.contains("pending review:"), "\(status)")
    }
}
