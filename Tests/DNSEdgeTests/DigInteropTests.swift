import DNSCore
import Foundation
import Testing
@testable import DNSEdge

/// `dig` and `kdig`, tools we did not write, asking our server every kind of question on loopback.
@Suite("dig and kdig against our server")
struct DigInteropTests {
    @Test func everyKindOfAnswer() async throws {
        guard ExternalTool.require("dig") else { return }
        let harness = try await EdgeServerHarness.start()
        defer { Task { await harness.stop() } }
        let port = harness.port

        let positive = try EdgeDig.dig(port, ["www.example.test", "A"])
        #expect(positive.status == "NOERROR" && positive.flags.contains("aa"), "\(positive)")
        #expect(positive.data("ANSWER", type: "A") == ["192.0.2.1"], "\(positive)")

        let nxdomain = try EdgeDig.dig(port, ["nope.example.test", "A"])
        #expect(nxdomain.status == "NXDOMAIN" && nxdomain.flags.contains("aa"), "\(nxdomain)")
        #expect(nxdomain.records("ANSWER").isEmpty && nxdomain.data("AUTHORITY", type: "SOA").count == 1, "\(nxdomain)")

        let nodata = try EdgeDig.dig(port, ["www.example.test", "MX"])
        #expect(nodata.status == "NOERROR" && nodata.flags.contains("aa"), "\(nodata)")
        #expect(nodata.records("ANSWER").isEmpty && nodata.data("AUTHORITY", type: "SOA").count == 1, "\(nodata)")

        let referral = try EdgeDig.dig(port, ["host.sub.example.test", "A"])
        #expect(referral.status == "NOERROR" && !referral.flags.contains("aa"), "\(referral)")
        #expect(referral.records("ANSWER").isEmpty, "\(referral)")
        #expect(referral.data("AUTHORITY", type: "NS") == ["ns.sub.example.test."], "\(referral)")
        #expect(referral.data("ADDITIONAL", type: "A") == ["192.0.2.99"], "\(referral)")

        let cname = try EdgeDig.dig(port, ["alias.example.test", "A"])
        #expect(cname.status == "NOERROR" && cname.flags.contains("aa"), "\(cname)")
        #expect(cname.data("ANSWER", type: "CNAME") == ["www.example.test."], "\(cname)")
        #expect(cname.data("ANSWER", type: "A") == ["192.0.2.1"], "\(cname)")

        let refused = try EdgeDig.dig(port, ["www.not-ours.test", "A"])
        #expect(refused.status == "REFUSED", "\(refused)")

        let tcp = try EdgeDig.dig(port, ["+tcp", "mail.example.test", "A"])
        #expect(tcp.status == "NOERROR" && tcp.data("ANSWER", type: "A") == ["192.0.2.25"], "\(tcp)")

        // 12 long TXT records cannot fit 512 bytes: TC over UDP, the full answer over TCP.
        let truncated = try EdgeDig.dig(port, ["+bufsize=512", "+ignore", "big.example.test", "TXT"])
        #expect(truncated.flags.contains("tc"), "\(truncated)")
        let full = try EdgeDig.dig(port, ["+bufsize=512", "big.example.test", "TXT"])
        #expect(full.data("ANSWER", type: "TXT").count == 12, "\(full)")

        // After all that, the ordinary question still gets its ordinary answer.
        let again = try EdgeDig.dig(port, ["www.example.test", "AAAA"])
        #expect(again.data("ANSWER", type: "AAAA") == ["2001:db8::1"], "\(again)")
    }

    @Test func kdigSendsSeveralQueriesOnOneTCPConnection() async throws {
        guard ExternalTool.require("kdig") else { return }
        let harness = try await EdgeServerHarness.start()
        defer { Task { await harness.stop() } }
        // +keepopen reuses one TCP connection for all the queries on the command line.
        let output = try EdgeDig.kdig(harness.port, [
            "+tcp", "+keepopen", "www.example.test", "A", "mail.example.test", "A", "nope.example.test", "A",
            "ns2.example.test", "AAAA",
        ])
        #expect(output.components(separatedBy: "status: NOERROR").count - 1 == 3, "\(output)")
        #expect(output.components(separatedBy: "status: NXDOMAIN").count - 1 == 1, "\(output)")
        #expect(output.contains("192.0.2.1") && output.contains("192.0.2.25") && output.contains("2001:db8::53"), "\(output)")
        #expect(await edgeWait(seconds: 5) { harness.server.openTCPConnections == 0 })
    }

    @Test func malformedPacketsThenDigIsAnswered() async throws {
        guard ExternalTool.require("dig") else { return }
        let harness = try await EdgeServerHarness.start()
        defer { Task { await harness.stop() } }
        for length in 0...16 {
            _ = EdgeSocket.udpExchange([UInt8](repeating: 0xFF, count: length), port: harness.port, timeout: 0.1)
        }
        // A compression pointer loop in the question, then QTYPE 65535 asked by dig.
        _ = EdgeSocket.udpExchange([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1], port: harness.port)
        let maxType = try EdgeDig.dig(harness.port, ["www.example.test", "TYPE65535"])
        #expect(maxType.status != nil, "\(maxType)")
        let after = try EdgeDig.dig(harness.port, ["www.example.test", "A"])
        #expect(after.data("ANSWER", type: "A") == ["192.0.2.1"], "\(after)")
    }
}
