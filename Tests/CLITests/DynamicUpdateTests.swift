import DNSCore
import Foundation
import Testing

/// RFC 2136 updates on `dns-primary serve`, driven by BIND's own client (`nsupdate -y`): records added,
/// replaced and deleted (an ALIAS among them) reach `dns-signer` by NOTIFY and are served signed; a wrong
/// key, a name outside a key's scope, a failed prerequisite and malformed messages are refused with their
/// RCODE and change nothing.
@Suite(.serialized)
struct DynamicUpdateTests {
    static let zone = TwoTierHarness.zone
    static let updateSecret = "dXBkYXRlLWtleS1zZWNyZXQtZm9yLXRoZS10ZXN0cw=="
    static let acmeSecret = "YWNtZS1yb2JvdC1zZWNyZXQtZm9yLXRoZS10ZXN0cw=="
    static let wrongSecret = "d3JvbmctLXNlY3JldC0tLWZvci0tLXRoZS10ZXN0cw=="

    /// The primary with the seed zone, a full-rights key `upd` and a key `acme` that may only change
    /// `_acme-challenge` TXT records.
    static func primary(_ name: String, signer: Bool) throws -> TwoTierHarness {
        let harness = try TwoTierHarness(name: name)
        try harness.startUpstream(address: "192.0.2.10")
        try harness.setUpPrimary(notify: signer)
        try harness.primaryCLI(["tsig", "add", "upd", "--secret", updateSecret])
        try harness.primaryCLI(["tsig", "add", "acme", "--secret", acmeSecret])
        try harness.primaryCLI(["update-acl", "add", zone, "--key", "upd"])
        try harness.primaryCLI(["update-acl", "add", zone, "--key", "acme", "--name", "_acme-challenge", "--type", "TXT"])
        try harness.startPrimary()
        let up = TwoTierHarness.poll(20, { harness.dig(harness.primaryPort, ["+short", zone, "A"]) }, until: { $0.contains("192.0.2.10") })
        #expect(up.ok, "the primary never served the zone:\n\(harness.logs)")
        return harness
    }

    /// Runs nsupdate with `key` (NAME:BASE64) against the primary; status and output.
    static func nsupdate(_ harness: TwoTierHarness, key: String?, _ lines: [String]) throws -> (status: Int32, output: String) {
        let script = (["server 127.0.0.1 \(harness.primaryPort)", "check-names off", "zone \(zone)"] + lines + ["send", ""]).joined(separator: "\n")
        let file = harness.dir + "/nsupdate-\(UUID().uuidString).txt"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let keyArguments = key.map { ["-y", "hmac-sha256:\($0)"] } ?? []
        return try ExternalTool.execute("nsupdate", keyArguments + ["-t", "10", file], timeout: 30)
    }

    static var upd: String { "upd:\(updateSecret)" }

    /// `TYPE65401 \# LEN HEX` for an ALIAS to `target`: nsupdate knows no ALIAS mnemonic, so it sends
    /// PowerDNS's type code in RFC 3597 form, as an operator would.
    static func aliasRDATA(_ target: String) throws -> String {
        let wire = try DomainName(target).wire
        return "TYPE65401 \\# \(wire.count) " + wire.map { String(format: "%02x", $0) }.joined()
    }

    @Test func nsupdateAddsReplacesAndDeletesAndTheSignerServesItSigned() throws {
        guard ExternalTool.require("nsupdate"), ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try Self.primary("dynamic-update-signer", signer: true)
        defer { harness.cleanUp() }
        try harness.addSignerZone(poll: "60s")
        try harness.startSigner()
        let signed = TwoTierHarness.poll(60, { harness.askSigner(Self.zone, "SOA") }, until: { $0.contains("RRSIG") })
        #expect(signed.ok, "the signer never served the zone signed:\n\(harness.logs)")

        // Add: an A RRset of two records and an ALIAS.
        let added = try Self.nsupdate(harness, key: Self.upd, [
            "update add dyn.\(Self.zone) 300 A 192.0.2.50",
            "update add dyn.\(Self.zone) 300 A 192.0.2.51",
            "update add lb.\(Self.zone) 60 \(try Self.aliasRDATA("usasearch-elb.ec2.aws.com."))",
        ])
        #expect(added.status == 0, "nsupdate add: \(added.output)")
        let both = TwoTierHarness.poll(20, { harness.askSigner("dyn.\(Self.zone)", "A") }, until: {
            $0.contains("192.0.2.50") && $0.contains("192.0.2.51") && $0.contains("RRSIG")
        })
        #expect(both.ok, "the added records never reached the signer signed:\n\(both.output)\n\(harness.logs)")
        let alias = TwoTierHarness.poll(20, { harness.askSigner("lb.\(Self.zone)", "A") }, until: {
            $0.contains("192.0.2.10") && $0.contains("RRSIG")
        })
        #expect(alias.ok, "the ALIAS added by UPDATE was not served expanded and signed:\n\(alias.output)\n\(harness.logs)")
        #expect(try harness.primaryCLI(["zone", "export", Self.zone]).contains("lb.search.usa.gov.\t60\tIN\tALIAS\tusasearch-elb.ec2.aws.com."),
                "the primary keeps the ALIAS as an ALIAS")

        // Replace: delete the RRset and add the new one in one update.
        let replaced = try Self.nsupdate(harness, key: Self.upd, [
            "update delete dyn.\(Self.zone) A", "update add dyn.\(Self.zone) 120 A 192.0.2.99",
        ])
        #expect(replaced.status == 0, "nsupdate replace: \(replaced.output)")
        let one = TwoTierHarness.poll(20, { harness.askSigner("dyn.\(Self.zone)", "A") }, until: {
            $0.contains("192.0.2.99") && !$0.contains("192.0.2.50") && $0.contains("RRSIG")
        })
        #expect(one.ok, "the replaced RRset never reached the signer:\n\(one.output)\n\(harness.logs)")

        // Delete: the whole name, and the ALIAS.
        let deleted = try Self.nsupdate(harness, key: Self.upd, ["update delete dyn.\(Self.zone)", "update delete lb.\(Self.zone) TYPE65401"])
        #expect(deleted.status == 0, "nsupdate delete: \(deleted.output)")
        let gone = TwoTierHarness.poll(20, {
            harness.askSigner("dyn.\(Self.zone)", "A") + harness.askSigner("lb.\(Self.zone)", "A")
        }, until: { $0.components(separatedBy: "status: NXDOMAIN").count == 3 })
        #expect(gone.ok, "the deleted names are still served:\n\(gone.output)\n\(harness.logs)")
        #expect(!(try harness.primaryCLI(["zone", "export", Self.zone])).contains("lb.search.usa.gov."))
    }

    @Test func refusedUpdatesAnswerTheirRCODEAndChangeNothing() throws {
        guard ExternalTool.require("nsupdate"), ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try Self.primary("dynamic-update-refused", signer: false)
        defer { harness.cleanUp() }
        let before = try harness.primaryCLI(["zone", "export", Self.zone])

        let cases: [(what: String, key: String?, lines: [String], expect: String)] = [
            ("a wrong secret", "upd:\(Self.wrongSecret)", ["update add x.\(Self.zone) 300 A 192.0.2.1"], "NOTAUTH"),
            ("an unknown key", "nobody:\(Self.updateSecret)", ["update add x.\(Self.zone) 300 A 192.0.2.1"], "NOTAUTH"),
            ("no key", nil, ["update add x.\(Self.zone) 300 A 192.0.2.1"], "REFUSED"),
            ("a name outside the acme key's scope", "acme:\(Self.acmeSecret)", ["update add www.\(Self.zone) 300 TXT \"x\""], "REFUSED"),
            ("a type outside the acme key's scope", "acme:\(Self.acmeSecret)", ["update add _acme-challenge.\(Self.zone) 300 A 192.0.2.1"], "REFUSED"),
            ("a failed 'RRset exists' prerequisite", Self.upd,
             ["prereq yxrrset nothere.\(Self.zone) A", "update add x.\(Self.zone) 300 A 192.0.2.1"], "NXRRSET"),
            ("a failed 'RRset does not exist' prerequisite", Self.upd,
             ["prereq nxrrset ns1.\(Self.zone) A", "update add x.\(Self.zone) 300 A 192.0.2.1"], "YXRRSET"),
            ("a failed 'name not in use' prerequisite", Self.upd,
             ["prereq nxdomain mail.\(Self.zone)", "update add x.\(Self.zone) 300 A 192.0.2.1"], "YXDOMAIN"),
            ("a failed 'name in use' prerequisite", Self.upd,
             ["prereq yxdomain nothere.\(Self.zone)", "update add x.\(Self.zone) 300 A 192.0.2.1"], "NXDOMAIN"),
            ("a failed value prerequisite", Self.upd,
             ["prereq yxrrset mail.\(Self.zone) A 192.0.2.26", "update add x.\(Self.zone) 300 A 192.0.2.1"], "NXRRSET"),
            ("a record the zone's checks refuse (an SOA below the apex)", Self.upd,
             ["update add x.\(Self.zone) 300 A 192.0.2.1", "update add x.\(Self.zone) 300 SOA ns1.x. h.x. 1 2 3 4 5"], "REFUSED"),
            ("a name outside the zone", Self.upd, ["update add www.example.org. 300 A 192.0.2.1"], "NOTZONE"),
        ]
        for item in cases {
            let result = try Self.nsupdate(harness, key: item.key, item.lines)
            #expect(result.status != 0, "\(item.what): nsupdate succeeded:\n\(result.output)")
            #expect(result.output.contains(item.expect), "\(item.what): expected \(item.expect), got:\n\(result.output)")
        }
        #expect(try harness.primaryCLI(["zone", "export", Self.zone]) == before, "a refused update changed the zone")
        let log = harness.logs
        #expect(log.contains("update refused") && log.contains("outside the scope"), "refusals are logged with the reason:\n\(log)")
    }

    @Test func malformedUpdateMessagesGetFORMERRAndChangeNothing() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try Self.primary("dynamic-update-malformed", signer: false)
        defer { harness.cleanUp() }
        let before = try harness.primaryCLI(["zone", "export", Self.zone])
        let socket = try LoopbackUDPSocket()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(harness.primaryPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")

        let zone = try DomainName(Self.zone)
        let good = UpdateMessage(id: 0x4242, zones: [Question(name: zone, type: .SOA)], updates: [
            UpdateRecord(name: try DomainName("x", origin: zone), type: .A, dnsClass: .IN, ttl: 300,
                         rdata: .a(A(IPv4Address("192.0.2.1")!))),
        ]).encode()
        var generator = SplitMix64(seed: 2136)
        var messages: [[UInt8]] = [Array(good.prefix(20)), good + [0, 0, 0]]
        // The header of an update with every other byte random: hostile input the decoder must survive.
        for _ in 0..<200 {
            var bytes = good
            let count = Int(generator.next() % 6) + 1
            for _ in 0..<count {
                let index = 12 + Int(generator.next() % UInt64(bytes.count - 12))
                bytes[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            messages.append(bytes)
        }
        var formerr = 0
        for bytes in messages {
            try socket.send(bytes, to: address)
            guard let (reply, _) = socket.receive(timeoutMilliseconds: 2000) else { continue }
            #expect(reply.count >= 12 && reply[0] == 0x42 && reply[1] == 0x42, "the answer keeps the request's ID")
            if reply.count >= 4 && reply[3] & 0x0F == 1 { formerr += 1 }
        }
        #expect(formerr >= 2, "undecodable updates get FORMERR (\(formerr) of \(messages.count))")
        // Unsigned updates are refused by the ACL anyway; what counts is that the server kept serving and
        // nothing changed.
        #expect(harness.primary?.isRunning == true, "the primary survived the malformed updates:\n\(harness.logs)")
        #expect(try harness.primaryCLI(["zone", "export", Self.zone]) == before)
        #expect(harness.dig(harness.primaryPort, ["+short", Self.zone, "SOA"]).contains("hostmaster"))
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures").standardized.path

    /// certbot's RFC 2136 DNS-01 authenticator, its own code from PyPI (perform, then cleanup), with the
    /// key that may only touch `_acme-challenge` TXT records.
    @Test func certbotRFC2136CreatesAndRemovesTheChallengeRecord() throws {
        guard ExternalTool.require("python3"), ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        guard (try? ExternalTool.run("python3", ["-c", "import certbot_dns_rfc2136"])) != nil else {
            if !ExternalTool.allowMissing { Issue.record("certbot-dns-rfc2136 is not installed; run scripts/install-test-deps.sh") }
            return
        }
        let harness = try Self.primary("dynamic-update-certbot", signer: false)
        defer { harness.cleanUp() }
        let before = try harness.primaryCLI(["zone", "export", Self.zone])
        let serial = { harness.dig(harness.primaryPort, ["+short", Self.zone, "SOA"]).split(separator: " ").dropFirst(2).first.map(String.init) }
        let serialBefore = serial()
        func certbot(_ mode: String, key: String, secret: String) throws -> (status: Int32, output: String) {
            try ExternalTool.execute("python3", [
                Self.fixtures + "/certbot_rfc2136.py", mode, harness.dir, "127.0.0.1", "\(harness.primaryPort)", key, secret,
                "search.usa.gov",
            ], timeout: 120)
        }
        let challenge = "_acme-challenge.\(Self.zone)"

        // A key without the right to TXT records at that name: the plugin reports the refusal.
        let refused = try certbot("perform", key: "upd-less", secret: Self.acmeSecret)
        #expect(refused.status != 0 && refused.output.contains("plugin error"), "an unknown key is refused:\n\(refused.output)")
        #expect(try harness.primaryCLI(["zone", "export", Self.zone]) == before, "the refused attempt changed nothing")

        let performed = try certbot("perform", key: "acme", secret: Self.acmeSecret)
        #expect(performed.status == 0, "certbot perform: \(performed.output)\n\(harness.logs)")
        let line = performed.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }).map(String.init) ?? "{}"
        let result = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] ?? [:]
        let validation = result["validation"] ?? "?"
        #expect(result["validation_name"] == "_acme-challenge.search.usa.gov")
        let served = TwoTierHarness.poll(10, { harness.dig(harness.primaryPort, ["+short", challenge, "TXT"]) }, until: {
            $0.contains("\"\(validation)\"")
        })
        #expect(served.ok, "the challenge TXT is served: \(served.output)")
        #expect(serial() != serialBefore, "the update raised the serial")

        let cleaned = try certbot("cleanup", key: "acme", secret: Self.acmeSecret)
        #expect(cleaned.status == 0, "certbot cleanup: \(cleaned.output)\n\(harness.logs)")
        let gone = TwoTierHarness.poll(10, { harness.dig(harness.primaryPort, [challenge, "TXT"]) }, until: { $0.contains("NXDOMAIN") })
        #expect(gone.ok, "the challenge TXT is removed: \(gone.output)")
        let after = try harness.primaryCLI(["zone", "export", Self.zone])
        #expect(Self.withoutSOA(after) == Self.withoutSOA(before), "only the serial differs after perform and cleanup")
    }

    static func withoutSOA(_ export: String) -> [String] {
        export.split(separator: "\n").filter { !$0.contains("\tSOA\t") && !$0.hasPrefix(";") }.map(String.init)
    }
}
