import DNSCore
import Foundation
import NIOCore
import Testing
@testable import DNSEdge

/// `SharedUDPExchanger`: many questions to several servers over one socket, each answer matched to its
/// question, forged or stray datagrams ignored, silent servers timed out.
@Suite(.serialized) struct SharedUDPExchangerTests {
    /// UDP sockets this process holds open.
    static func openUDPSockets() -> Int {
        let inodes = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { fd -> String? in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
                  target.hasPrefix("socket:[") else { return nil }
            return String(target.dropFirst(8).dropLast())
        })
        let table = (try? String(contentsOfFile: "/proc/self/net/udp", encoding: .utf8)) ?? ""
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 9 && inodes.contains(String(fields[9]))
        }.count
    }

    @Test func twoHundredQuestionsToTwoServersShareOneSocketAndEachGetsItsOwnAnswer() async throws {
        var first = try UpstreamResolverTests.Upstream.start(v4: ["192.0.2.1"], v6: [])
        var second = try UpstreamResolverTests.Upstream.start(v4: ["192.0.2.2"], v6: [])
        defer { first.daemon.stop(); second.daemon.stop() }
        _ = first; _ = second
        let servers = [first.port, second.port]
        #expect(await edgeWait(seconds: 20) {
            servers.allSatisfy { port in EdgeSocket.udpExchange(Message.query(name: UpstreamResolverTests.zoneOrigin, type: .SOA, id: 1).encode(), port: port, timeout: 0.5) != nil }
        }, "both NSD servers answer")
        let exchanger = SharedUDPExchanger()
        let socketsBefore = Self.openUDPSockets()
        let names = ["usasearch-elb", "v4only", "ns1", "nothere"].map(UpstreamResolverTests.name)
        let results = await withTaskGroup(of: (Int, DomainName, UpstreamResolver.Exchange).self) { group in
            for index in 0..<200 {
                let port = servers[index % 2]
                let name = names[index % names.count]
                group.addTask {
                    let query = Message.query(name: name, type: .A, id: 0)
                    let server = try! SocketAddress(ipAddress: "127.0.0.1", port: port)
                    return (port, name, await exchanger.exchange(query, to: server, timeout: .seconds(5)))
                }
            }
            var collected: [(Int, DomainName, UpstreamResolver.Exchange)] = []
            for await result in group { collected.append(result) }
            return collected
        }
        #expect(Self.openUDPSockets() - socketsBefore == 1, "one socket for all 200 questions")
        #expect(results.count == 200)
        for (port, name, exchange) in results {
            guard case .answer(let message) = exchange else {
                Issue.record("\(name) to \(port): \(exchange)")
                continue
            }
            #expect(message.question?.name == name)
            let addresses = message.answers.compactMap { record -> String? in
                if case .a(let a) = record.rdata { return "\(a.address)" }
                return nil
            }
            if name == UpstreamResolverTests.name("usasearch-elb") {
                #expect(addresses == [port == first.port ? "192.0.2.1" : "192.0.2.2"], "the answer came from the server asked")
            }
            if name == UpstreamResolverTests.name("nothere") { #expect(message.rcode == .NXDOMAIN) }
        }
        #expect(await exchanger.inFlight == 0)
    }

    /// A server that first sends a wrong ID, the right ID with another question, and a one-byte datagram,
    /// and only then the answer: the exchange waits through the first three.
    @Test func strayAndForgedDatagramsAreIgnoredAndASilentServerTimesOut() async throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var local = EdgeSocket.address("127.0.0.1", 0)
        _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: bound.sin_port))
        EdgeSocket.setTimeout(fd, 10)
        let server = Thread {
            var buffer = [UInt8](repeating: 0, count: 2048)
            var peer = sockaddr_in()
            var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
            let count = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &peerLength) }
            }
            guard count > 0, let query = try? Message(decoding: Array(buffer[0..<count])) else { return }
            var answer = query
            answer.flags.qr = true
            answer.answers = [ResourceRecord(name: query.question!.name, ttl: 60, rdata: .a(A(IPv4Address("192.0.2.9")!)))]
            var wrongID = answer
            wrongID.id = query.id &+ 1
            wrongID.answers = [ResourceRecord(name: query.question!.name, ttl: 60, rdata: .a(A(IPv4Address("203.0.113.66")!)))]
            var wrongQuestion = wrongID
            wrongQuestion.id = query.id
            wrongQuestion.questions = [Question(name: "forged.example.", type: .A)]
            for datagram in [wrongID.encode(), wrongQuestion.encode(), [0x12], answer.encode()] {
                _ = withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, datagram, datagram.count, 0, $0, peerLength) }
                }
            }
        }
        server.start()
        defer { close(fd) }
        let exchanger = SharedUDPExchanger()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let exchange = await exchanger.exchange(Message.query(name: "www.example.", type: .A, id: 0), to: target, timeout: .seconds(5))
        guard case .answer(let message) = exchange else {
            Issue.record("no answer: \(exchange)")
            return
        }
        #expect(message.question?.name == "www.example.")
        #expect(message.answers.map { "\($0.rdata)" }.joined().contains("192.0.2.9"), "the genuine answer, not the forged one")

        // The server answers nothing more: the next question times out within its bound.
        let clock = ContinuousClock()
        let began = clock.now
        let silent = await exchanger.exchange(Message.query(name: "www.example.", type: .A, id: 0), to: target, timeout: .milliseconds(300))
        guard case .failure(.timeout) = silent else {
            Issue.record("expected a timeout, got \(silent)")
            return
        }
        #expect(clock.now - began < .seconds(5))
        #expect(await exchanger.inFlight == 0)
    }
}
