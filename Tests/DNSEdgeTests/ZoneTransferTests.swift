import DNSCore
import Foundation
import Testing
@testable import DNSEdge

private func keyArguments(_ key: TSIGKey) -> [String] { ["-y", key.spec] }

/// AXFR and IXFR out of our server, judged by `kdig` and by our own TSIG verifier.
@Suite("Zone transfers out")
struct ZoneTransferTests {
    static let bigZone = EdgeFixtures.zone(serial: 7, hosts: 3000)

    @Test func kdigTransfersTheZoneWithTSIGInSeveralMessages() async throws {
        guard ExternalTool.require("kdig") else { return }
        let acl = TransferACL(rules: [TransferACL.Rule(prefix: .loopbackV4, key: EdgeFixtures.key.name)])
        let harness = try await EdgeServerHarness.start(zones: [Self.bigZone], acl: acl)
        defer { Task { await harness.stop() } }
        let output = try EdgeDig.kdig(harness.port, keyArguments(EdgeFixtures.key) + ["example.test", "AXFR"])
        // kdig verifies every TSIG and says so when one fails.
        #expect(!output.contains("failed") && !output.contains("WARNING") && !output.contains(";; ERROR"), "\(output.suffix(600))")
        let copy = try EdgeDig.zone(fromAXFR: output, origin: EdgeFixtures.origin)
        #expect(copy == Self.bigZone)
        // kdig reports the number of messages; a 3000-host zone takes several.
        let messages = output.range(of: #"\((\d+) messages"#, options: .regularExpression)
            .map { output[$0].dropFirst().prefix { $0.isNumber } }.flatMap { Int($0) }
        #expect((messages ?? 0) > 3, "\(output.suffix(300))")
    }

    @Test func theACLRefusesUnsignedWrongKeyAndOtherAddresses() async throws {
        guard ExternalTool.require("kdig") else { return }
        let acl = TransferACL(rules: [try TransferACL.Rule(parsing: "127.0.0.2 key edge-transfer-key")])
        let harness = try await EdgeServerHarness.start(acl: acl, keys: [EdgeFixtures.key, EdgeFixtures.otherKey])
        defer { Task { await harness.stop() } }
        let port = harness.port

        let unsigned = try EdgeDig.kdig(port, ["-b", "127.0.0.2", "example.test", "AXFR"])
        #expect(unsigned.contains("REFUSED") && !unsigned.contains("192.0.2.1"), "\(unsigned)")

        // A key we know but the ACL does not name.
        let otherKey = try EdgeDig.kdig(port, ["-b", "127.0.0.2"] + keyArguments(EdgeFixtures.otherKey) + ["example.test", "AXFR"])
        #expect(otherKey.contains("REFUSED") && !otherKey.contains("192.0.2.1"), "\(otherKey)")

        // The right key from an address the ACL does not list.
        let wrongAddress = try EdgeDig.kdig(port, ["-b", "127.0.0.1"] + keyArguments(EdgeFixtures.key) + ["example.test", "AXFR"])
        #expect(wrongAddress.contains("REFUSED") && !wrongAddress.contains("192.0.2.1"), "\(wrongAddress)")

        // A key nobody configured: TSIG says BADKEY (NOTAUTH).
        let unknown = try TSIGKey(name: "unknown-key", base64Secret: "dW5rbm93biBrZXkgZm9yIGVkZ2UgdGVzdHMgMTIzNA==")
        let badKey = try EdgeDig.kdig(port, ["-b", "127.0.0.2"] + keyArguments(unknown) + ["example.test", "AXFR"])
        #expect(badKey.contains("NOTAUTH") || badKey.contains("BADKEY"), "\(badKey)")

        let allowed = try EdgeDig.kdig(port, ["-b", "127.0.0.2"] + keyArguments(EdgeFixtures.key) + ["example.test", "AXFR"])
        #expect(try EdgeDig.zone(fromAXFR: allowed, origin: EdgeFixtures.origin) == EdgeFixtures.zone(), "\(allowed)")
    }

    @Test func defaultACLAllowsLoopbackOnly() {
        let acl = TransferACL.loopbackOnly
        #expect(acl.allows(IPAddress("127.0.0.1")!, key: nil))
        #expect(acl.allows(IPAddress("::1")!, key: nil))
        #expect(acl.allows(IPAddress("::ffff:127.0.0.5")!, key: nil))
        #expect(!acl.allows(IPAddress("192.0.2.1")!, key: nil))
        #expect(!acl.allows(IPAddress("2001:db8::1")!, key: EdgeFixtures.key.name))
        let parsed = try? TransferACL.Rule(parsing: "10.0.0.0/8 key k1")
        #expect(parsed?.prefix.contains(IPAddress("10.255.0.1")!) == true)
        #expect(parsed?.prefix.contains(IPAddress("11.0.0.1")!) == false)
        #expect(throws: IPAddressPrefixError.self) { try TransferACL.Rule(parsing: "10.0.0.0/33") }
    }

    @Test func ixfrGetsTheWholeZoneOrTheSOAWhenCurrent() async throws {
        guard ExternalTool.require("kdig") else { return }
        let harness = try await EdgeServerHarness.start(zones: [EdgeFixtures.zone(serial: 5)])
        defer { Task { await harness.stop() } }
        let older = try EdgeDig.kdig(harness.port, ["+tcp", "example.test", "IXFR=3"])
        #expect(try EdgeDig.zone(fromAXFR: older, origin: EdgeFixtures.origin) == EdgeFixtures.zone(serial: 5), "\(older)")
        // A client that has our serial gets the SOA alone (RFC 1995 §4).
        let current = try EdgeDig.kdig(harness.port, ["+tcp", "example.test", "IXFR=5"])
        let types = current.split(separator: "\n").filter { !$0.hasPrefix(";") && !$0.isEmpty }
            .compactMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst(3).first.map(String.init) }
        #expect(!types.isEmpty && types.allSatisfy { $0 == "SOA" }, "\(current)")
    }

    @Test func everySignedMessageVerifiesWithOurVerifier() async throws {
        let harness = try await EdgeServerHarness.start(zones: [Self.bigZone], messageSize: 8192)
        defer { Task { await harness.stop() } }
        let now = UInt64(Date().timeIntervalSince1970)
        let request = Message.query(name: EdgeFixtures.origin, type: .AXFR, id: 0x4444, udpPayloadSize: nil)
        let signed = TSIGSigner(key: EdgeFixtures.key).signRequest(request, now: now)
        let client = try EdgeTCPClient(port: harness.port, timeout: 5)
        client.send(signed.bytes)
        var verifier = TSIGTransferVerifier(key: EdgeFixtures.key, requestMAC: signed.mac)
        var records: [ResourceRecord] = []
        var messages = 0
        while let bytes = client.receive() {
            #expect(bytes.count <= 8192)
            let message = try Message(decoding: bytes)
            #expect(message.id == 0x4444 && message.rcode == .NOERROR)
            #expect(try verifier.verify(message, bytes: bytes, now: now) != nil)
            records += message.answers
            messages += 1
            if records.count > 1 && records.last?.type == .SOA { break }
        }
        try verifier.finish()
        #expect(messages > 5)
        #expect(Zone(records: records.dropLast(), origin: EdgeFixtures.origin) == Self.bigZone)
        // The connection stays usable after the transfer.
        client.send(Message.query(name: "www.example.test.", type: .A, id: 9).encode())
        #expect(try Message(decoding: try #require(client.receive())).answers.count == 1)
    }
}
