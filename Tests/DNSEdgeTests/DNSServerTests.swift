import DNSCore
import Foundation
import Testing
@testable import DNSEdge

private func query(_ name: DomainName, _ type: RecordType, id: UInt16, payload: UInt16? = 1232) -> [UInt8] {
    Message.query(name: name, type: type, id: id, udpPayloadSize: payload).encode()
}

private func addresses(in message: Message) -> [String] {
    message.answers.compactMap { record in
        if case .a(let a) = record.rdata { return a.presentation }
        return nil
    }
}

@Suite("DNS server transport")
struct DNSServerTests {
    @Test func answersOverUDPAndTCPWithBothLoopsServingUDP() async throws {
        let harness = try await EdgeServerHarness.start()
        defer { Task { await harness.stop() } }
        let udp = try #require(EdgeSocket.udpExchange(query("www.example.test.", .A, id: 11), port: harness.port))
        let udpAnswer = try Message(decoding: udp)
        #expect(udpAnswer.id == 11 && udpAnswer.flags.aa && addresses(in: udpAnswer) == ["192.0.2.1"])

        let client = try EdgeTCPClient(port: harness.port)
        client.send(query("www.example.test.", .A, id: 12))
        let tcpAnswer = try Message(decoding: try #require(client.receive()))
        #expect(tcpAnswer.id == 12 && addresses(in: tcpAnswer) == ["192.0.2.1"])

        // One UDP socket per event loop (2 threads), sharing the port with SO_REUSEPORT.
        let udpListener = try #require(harness.server.listeners.first { $0.transport == .udp })
        #expect(udpListener.sockets == 2)
    }

    @Test func servesIPv6AndIPv4AddressesOnTheSamePort() async throws {
        let port = try EdgePorts.pick()
        let harness = try await EdgeServerHarness.start(configuration: DNSServerConfiguration(listen: [
            ListenAddress(host: "127.0.0.1", port: port), ListenAddress(host: "::1", port: port),
        ]))
        defer { Task { await harness.stop() } }
        guard ExternalTool.require("dig") else { return }
        let v6 = DigOutput(try ExternalTool.run("dig", ["@::1", "-p", String(port), "+norec", "+time=2", "+tries=1",
                                                         "www.example.test", "AAAA"], timeout: 20, allowFailure: true))
        #expect(v6.status == "NOERROR" && v6.data("ANSWER", type: "AAAA") == ["2001:db8::1"], "\(v6)")
        let v6tcp = DigOutput(try ExternalTool.run("dig", ["@::1", "-p", String(port), "+tcp", "+norec", "+time=2",
                                                            "+tries=1", "www.example.test", "A"], timeout: 20, allowFailure: true))
        #expect(v6tcp.data("ANSWER", type: "A") == ["192.0.2.1"], "\(v6tcp)")
        #expect(harness.server.listeners.count == 4)
    }

    @Test func pipelinedQueriesOnOneConnectionAreAllAnsweredInOrder() async throws {
        let harness = try await EdgeServerHarness.start()
        defer { Task { await harness.stop() } }
        let client = try EdgeTCPClient(port: harness.port)
        // Ten queries written in one go, before reading any answer.
        var burst: [UInt8] = []
        let names: [DomainName] = ["www.example.test.", "mail.example.test.", "ns1.example.test.", "nope.example.test."]
        for id in 0..<10 {
            let message = query(names[id % names.count], .A, id: UInt16(100 + id))
            burst += [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        }
        client.sendRaw(burst)
        for id in 0..<10 {
            let answer = try Message(decoding: try #require(client.receive(), "answer \(id) missing"))
            #expect(answer.id == UInt16(100 + id))
            #expect(answer.question?.name == names[id % names.count])
            #expect(answer.rcode == (id % names.count == 3 ? .NXDOMAIN : .NOERROR))
        }
        #expect(harness.server.openTCPConnections == 1)
    }

    @Test func idleConnectionsAreClosed() async throws {
        let harness = try await EdgeServerHarness.start(configuration: DNSServerConfiguration(
            listen: [ListenAddress(host: "127.0.0.1", port: 0)], tcpIdleTimeoutSeconds: 0.5))
        defer { Task { await harness.stop() } }
        let client = try EdgeTCPClient(port: harness.port, timeout: 4)
        client.send(query("www.example.test.", .A, id: 1))
        #expect(client.receive() != nil)
        let start = Date()
        #expect(client.closedByPeer())
        #expect(Date().timeIntervalSince(start) < 3)
    }

    @Test func connectionsBeyondTheLimitAreClosed() async throws {
        let harness = try await EdgeServerHarness.start(configuration: DNSServerConfiguration(
            listen: [ListenAddress(host: "127.0.0.1", port: 0)], maxTCPConnections: 2))
        defer { Task { await harness.stop() } }
        let first = try EdgeTCPClient(port: harness.port)
        let second = try EdgeTCPClient(port: harness.port)
        first.send(query("www.example.test.", .A, id: 1))
        second.send(query("www.example.test.", .A, id: 2))
        #expect(first.receive() != nil && second.receive() != nil)
        let third = try EdgeTCPClient(port: harness.port)
        #expect(third.closedByPeer())
        // The first two keep working, and once one leaves a new connection is let in.
        first.send(query("mail.example.test.", .A, id: 3))
        #expect(first.receive() != nil)
        second.disconnect()
        #expect(await edgeWait(seconds: 3) { harness.server.openTCPConnections == 1 })
        let fourth = try EdgeTCPClient(port: harness.port)
        fourth.send(query("www.example.test.", .A, id: 4))
        #expect(fourth.receive() != nil)
    }

    @Test func malformedPacketsNeverStopTheServer() async throws {
        let harness = try await EdgeServerHarness.start()
        defer { Task { await harness.stop() } }
        func normalQueryIsAnswered(_ context: String) throws {
            let reply = try #require(EdgeSocket.udpExchange(query("www.example.test.", .A, id: 7777), port: harness.port),
                                     "no answer after \(context)")
            let message = try Message(decoding: reply)
            #expect(message.id == 7777 && addresses(in: message) == ["192.0.2.1"], "after \(context)")
        }
        // Every length from 0 to 16 bytes, zeros and random.
        for length in 0...16 {
            _ = EdgeSocket.udpExchange([UInt8](repeating: 0, count: length), port: harness.port, timeout: 0.2)
            _ = EdgeSocket.udpExchange((0..<length).map { _ in UInt8.random(in: 0...255) }, port: harness.port, timeout: 0.2)
        }
        try normalQueryIsAnswered("short packets")

        // A question name that points at itself.
        let loop: [UInt8] = [0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        let loopAnswer = try Message(decoding: try #require(EdgeSocket.udpExchange(loop, port: harness.port)))
        #expect(loopAnswer.rcode == .FORMERR && loopAnswer.id == 0x1234)
        try normalQueryIsAnswered("a pointer loop")

        let type65535 = try Message(decoding: try #require(EdgeSocket.udpExchange(
            query("www.example.test.", RecordType(65535), id: 5), port: harness.port)))
        #expect(type65535.id == 5 && type65535.flags.qr)
        try normalQueryIsAnswered("QTYPE 65535")

        let axfr = try Message(decoding: try #require(EdgeSocket.udpExchange(
            query("example.test.", .AXFR, id: 6), port: harness.port)))
        #expect(axfr.rcode == .REFUSED && axfr.answers.isEmpty)
        try normalQueryIsAnswered("AXFR over UDP")

        // Two OPT records.
        var twoOPT = query("www.example.test.", .A, id: 9)
        let opt: [UInt8] = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        twoOPT += opt
        twoOPT[11] = 2
        let twoOPTAnswer = try Message(decoding: try #require(EdgeSocket.udpExchange(twoOPT, port: harness.port)))
        #expect(twoOPTAnswer.rcode == .FORMERR && twoOPTAnswer.id == 9)
        try normalQueryIsAnswered("two OPT records")

        // Random garbage with a plausible header, many times.
        for i in 0..<300 {
            var packet = (0..<Int.random(in: 12...200)).map { _ in UInt8.random(in: 0...255) }
            packet[2] &= 0x7F  // a query, so it is parsed rather than dropped
            _ = EdgeSocket.udpExchange(packet, port: harness.port, timeout: i % 50 == 0 ? 0.2 : 0.01)
        }
        try normalQueryIsAnswered("random garbage")

        // Over TCP: a garbage frame, then a real query on the same connection.
        let client = try EdgeTCPClient(port: harness.port)
        client.send([0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12])
        let garbage = try Message(decoding: try #require(client.receive()))
        #expect(garbage.rcode == .FORMERR && garbage.id == 0xABCD)
        client.send(query("www.example.test.", .A, id: 8))
        #expect(addresses(in: try Message(decoding: try #require(client.receive()))) == ["192.0.2.1"])
        // A zero-length frame and a frame cut off by the close do no harm either.
        client.sendRaw([0, 0, 0, 40, 1, 2, 3])
        try normalQueryIsAnswered("bad TCP frames")
    }

    @Test func zonesSwapAtomicallyWhileQueriesRun() async throws {
        let harness = try await EdgeServerHarness.start(zones: [EdgeFixtures.zone(serial: 1)])
        defer { Task { await harness.stop() } }
        let zones = (1...40).map { EdgeFixtures.zone(serial: UInt32($0)) }
        // A thread of its own: the test's blocking socket calls must not starve the publisher.
        let published = DispatchSemaphore(value: 0)
        let served = harness.served
        Thread.detachNewThread {
            for zone in zones.dropFirst() {
                Thread.sleep(forTimeInterval: 0.02)
                try? served.publish(zone)
            }
            published.signal()
        }
        var seen: Set<String> = []
        var lastSerial = 0
        var id = 0
        // Query without pause for as long as the swaps go on (bounded).
        let deadline = Date().addingTimeInterval(10)
        while lastSerial < 40 && Date() < deadline {
            id += 1
            guard let reply = EdgeSocket.udpExchange(query("txt.example.test.", .TXT, id: UInt16(truncatingIfNeeded: id)), port: harness.port)
            else {
                Issue.record("query \(id) got no answer during the swaps")
                continue
            }
            let message = try Message(decoding: reply)
            #expect(message.rcode == .NOERROR && message.answers.count == 1)
            // Each answer comes from one whole version, and versions never go backwards.
            let text = message.answers.first?.rdata.presentation ?? ""
            let serial = Int(text.split(separator: " ")[1].dropLast()) ?? -1
            #expect(serial >= lastSerial, "\(text)")
            lastSerial = serial
            seen.insert(text)
        }
        #expect(published.wait(timeout: .now() + 10) == .success)
        #expect(seen.count > 10)
        #expect(lastSerial == 40)
        let final = try Message(decoding: try #require(EdgeSocket.udpExchange(query("example.test.", .SOA, id: 1), port: harness.port)))
        guard case .soa(let soa) = final.answers.first?.rdata else {
            Issue.record("no SOA in \(final)")
            return
        }
        #expect(soa.serial == SerialNumber(40))
    }
}
