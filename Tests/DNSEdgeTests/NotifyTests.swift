import DNSCore
import Foundation
import Logging
import NIOPosix
import Testing
@testable import DNSEdge

private func soaRecord(of zone: Zone) -> ResourceRecord? {
    zone.rrset(at: zone.origin, type: .SOA)?.records.first
}

private func notifyMessage(id: UInt16, serial: UInt32?) -> Message {
    var message = Message(id: id, flags: Message.Flags(opcode: .NOTIFY, aa: true),
                          questions: [Question(name: EdgeFixtures.origin, type: .SOA)])
    if let serial, let soa = soaRecord(of: EdgeFixtures.zone(serial: serial)) { message.answers = [soa] }
    return message
}

/// Counts refreshes and how many run at once.
final class RefreshCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var started = 0
    private var running = 0
    private var peak = 0

    func begin() {
        lock.lock()
        started += 1
        running += 1
        peak = max(peak, running)
        lock.unlock()
    }

    func end() {
        lock.lock()
        running -= 1
        lock.unlock()
    }

    var counts: (started: Int, peak: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (started, peak)
    }
}

@Suite("NOTIFY", .serialized)
struct NotifyTests {
    static func receiver(_ counter: RefreshCounter, allowed: [String] = ["127.0.0.1"], key: DomainName? = nil,
                         refreshTime: Duration = .milliseconds(800)) -> NotifyReceiver {
        NotifyReceiver(zones: [
            EdgeFixtures.origin: NotifyReceiver.ZonePolicy(allowed: allowed.map { try! IPAddressPrefix(parsing: $0) }, key: key),
        ]) { _, _ in
            counter.begin()
            try? await Task.sleep(for: refreshTime)
            counter.end()
        }
    }

    @Test func aFloodOfNotifiesCausesOneRefresh() async throws {
        let counter = RefreshCounter()
        let harness = try await EdgeServerHarness.start(notifies: Self.receiver(counter, refreshTime: .seconds(1)))
        defer { Task { await harness.stop() } }
        var answered = 0
        for id in 0..<200 {
            guard let reply = EdgeSocket.udpExchange(notifyMessage(id: UInt16(id), serial: 9).encode(), port: harness.port)
            else { continue }
            let message = try Message(decoding: reply)
            if message.rcode == .NOERROR && message.flags.qr && message.flags.opcode == .NOTIFY && message.flags.aa {
                answered += 1
            }
        }
        #expect(answered == 200)
        // The refresh runs as a task; under a loaded test run it may take a moment to be scheduled.
        #expect(await edgeWait(seconds: 5) { counter.counts.started == 1 })
        // The same serial over and over: nothing is queued behind the running refresh either.
        try await Task.sleep(for: .milliseconds(1500))
        let counts = counter.counts
        #expect(counts.started == 1)
        #expect(counts.peak == 1)
        // A newer serial after the refresh ended starts the next one.
        _ = EdgeSocket.udpExchange(notifyMessage(id: 999, serial: 10).encode(), port: harness.port)
        #expect(await edgeWait(seconds: 3) { counter.counts.started == 2 })
    }

    @Test func notifiesFromElsewhereOrWithoutTheKeyAreRefused() async throws {
        let counter = RefreshCounter()
        let strangers = try await EdgeServerHarness.start(notifies: Self.receiver(counter, allowed: ["192.0.2.0/24"]))
        let refused = try Message(decoding: try #require(EdgeSocket.udpExchange(notifyMessage(id: 1, serial: 2).encode(),
                                                                                port: strangers.port)))
        #expect(refused.rcode == .REFUSED)
        await strangers.stop()

        let keyed = try await EdgeServerHarness.start(notifies: Self.receiver(counter, key: EdgeFixtures.key.name))
        defer { Task { await keyed.stop() } }
        let unsigned = try Message(decoding: try #require(EdgeSocket.udpExchange(notifyMessage(id: 2, serial: 2).encode(),
                                                                                 port: keyed.port)))
        #expect(unsigned.rcode == .REFUSED)
        let otherZone = Message(id: 3, flags: Message.Flags(opcode: .NOTIFY, aa: true),
                                questions: [Question(name: "other.test.", type: .SOA)])
        let notOurs = try Message(decoding: try #require(EdgeSocket.udpExchange(otherZone.encode(), port: keyed.port)))
        #expect(notOurs.rcode == .NOTAUTH)
        #expect(counter.counts.started == 0)

        let now = UInt64(Date().timeIntervalSince1970)
        let signed = TSIGSigner(key: EdgeFixtures.key).signRequest(notifyMessage(id: 4, serial: 2), now: now)
        let replyBytes = try #require(EdgeSocket.udpExchange(signed.bytes, port: keyed.port))
        let accepted = try Message(decoding: replyBytes)
        #expect(accepted.rcode == .NOERROR)
        // The acknowledgement is signed with the key (RFC 8945 §5.3).
        _ = try TSIGVerifier.verifyResponse(replyBytes, key: EdgeFixtures.key, requestMAC: signed.mac, now: now)
        #expect(await edgeWait(seconds: 3) { counter.counts.started == 1 })
    }

    @Test func theSenderRetriesASilentTargetThenGivesUp() async throws {
        // A UDP socket that reads NOTIFYs and never answers.
        let silent = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(silent) }
        var address = EdgeSocket.address("127.0.0.1", 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length) == 0 && getsockname(silent, $0, &length) == 0 }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        EdgeSocket.setTimeout(silent, 0.2)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }
        let sender = NotifySender(group: group, policy: .init(initialTimeout: 100, maxTimeout: 200, maxAttempts: 3))
        let soa = soaRecord(of: EdgeFixtures.zone(serial: 3))
        let target = PeerAddress(ip: IPAddress("127.0.0.1")!, port: port)
        let outcomes = try await sender.notify(zone: EdgeFixtures.origin, soa: soa, targets: [NotifySender.Target(address: target)])
        #expect(outcomes == [.gaveUp(target, attempts: 3)])
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let count = recv(silent, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += 1
            let message = try Message(decoding: Array(buffer[0..<count]))
            #expect(message.flags.opcode == .NOTIFY && message.question?.name == EdgeFixtures.origin)
        }
        #expect(received == 3)
    }

    @Test(arguments: [SecondaryServer.Kind.knot, .nsd, .bind])
    func ourNotifyMakesASecondaryTransferTheNewSerial(_ kind: SecondaryServer.Kind) async throws {
        guard ExternalTool.require(kind.tool), ExternalTool.require("dig"), ExternalTool.require("kdig") else { return }
        let acl = TransferACL(rules: [try TransferACL.Rule(parsing: "127.0.0.0/8 key edge-transfer-key")])
        let harness = try await EdgeServerHarness.start(zones: [EdgeFixtures.zone(serial: 1)], acl: acl)
        defer { Task { await harness.stop() } }
        let secondary = try SecondaryServer.start(kind, primaryPort: harness.port)
        defer { secondary.stop() }
        let loaded = await secondary.waitForSerial(1)
        #expect(loaded, "\(kind) did not load serial 1:\n\(secondary.daemon.log.suffix(3000))")
        guard loaded else { return }

        let updated = EdgeFixtures.zone(serial: 2, hosts: 50)
        try harness.served.publish(updated)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }
        let sender = NotifySender(group: group, policy: .init(initialTimeout: 500, maxTimeout: 2000, maxAttempts: 5))
        let target = PeerAddress(ip: IPAddress("127.0.0.1")!, port: secondary.port)
        let outcomes = try await sender.notify(zone: EdgeFixtures.origin, soa: soaRecord(of: updated),
                                               targets: [NotifySender.Target(address: target, key: EdgeFixtures.key)])
        guard case let .answered(who, rcode, _)? = outcomes.first, outcomes.count == 1 else {
            Issue.record("\(kind) did not answer the NOTIFY: \(outcomes)\n\(secondary.daemon.log.suffix(2000))")
            return
        }
        #expect(who == target && rcode == .NOERROR)
        let refreshed = await secondary.waitForSerial(2, seconds: 30)
        #expect(refreshed, "\(kind) did not pick up serial 2:\n\(secondary.daemon.log.suffix(3000))")
        if refreshed { #expect(try secondary.copy() == updated) }
    }
}
