import DNSCore
import Foundation
import Testing
@testable import DNSEdge

/// A journal held in memory, or one whose store cannot be read.
struct FixedJournal: ZoneJournalSource {
    var steps: [JournalDelta]
    var unreadable = false

    struct Unreadable: Error {}

    func journalSteps(zone: DomainName, from serial: SerialNumber) throws -> [JournalDelta] {
        if unreadable { throw Unreadable() }
        return Array(steps.drop { $0.fromSerial != serial })
    }
}

/// IXFR out through the router (TSIG check, ACL, responder), answered from a journal: what a
/// secondary receives for each kind of request, down to the TSIG on every message.
@Suite("IXFR responder")
struct IXFRResponderTests {
    static let loopback = PeerAddress(ip: IPAddress("127.0.0.1")!, port: 40000)
    static let old = EdgeFixtures.zone(serial: 5, hosts: 300)
    /// Serial 6: every host's TXT rewritten, one host gone.
    static let new: Zone = {
        var zone = EdgeFixtures.zone(serial: 6, hosts: 300)
        for i in 0..<300 {
            let name = try! DomainName("host\(i).example.test.")
            _ = zone.removeRRset(at: name, type: .TXT)
            zone.insert(RRset(name: name, type: .TXT, ttl: 3600, rdatas: [.txt(TXT(strings: [Array("rewritten \(i)".utf8)]))]))
        }
        _ = zone.removeRRset(at: "host7.example.test.", type: .A)
        _ = zone.removeRRset(at: "host7.example.test.", type: .TXT)
        return zone
    }()

    static func router(journal: FixedJournal) throws -> DNSRequestRouter {
        let served = try ServedZones([new])
        let transfers = ZoneTransferResponder(zones: served, journal: journal, messageSize: 4096)
        return DNSRequestRouter(served: served, transfers: transfers, tsig: TSIGVerifier(keys: [EdgeFixtures.key]))
    }

    static var step: JournalDelta { JournalDelta(changes: ZoneDiff(from: old, to: new), origin: EdgeFixtures.origin)! }

    static func ixfr(serial: UInt32?, owner: DomainName = EdgeFixtures.origin) -> Message {
        var request = Message.query(name: EdgeFixtures.origin, type: .IXFR, id: 0x1995, udpPayloadSize: nil)
        if let serial, case .soa(var soa) = old.rrset(at: EdgeFixtures.origin, type: .SOA)!.rdatas[0] {
            soa.serial = SerialNumber(serial)
            request.authority = [ResourceRecord(name: owner, dnsClass: .IN, ttl: 3600, rdata: .soa(soa))]
        }
        return request
    }

    /// Every message of the response, each TSIG-verified, and their records.
    static func transfer(_ router: DNSRequestRouter, _ request: Message) throws -> (messages: Int, records: [ResourceRecord]) {
        let now = UInt64(Date().timeIntervalSince1970)
        let signed = TSIGSigner(key: EdgeFixtures.key).signRequest(request, now: now)
        let action = router.handle(DNSRequest(bytes: signed.bytes, source: loopback, transport: .tcp))
        guard case .stream(let stream) = action else {
            Issue.record("no stream: \(action)")
            return (0, [])
        }
        var verifier = TSIGTransferVerifier(key: EdgeFixtures.key, requestMAC: signed.mac)
        var records: [ResourceRecord] = []
        var messages = 0
        while let bytes = stream.next() {
            #expect(bytes.count <= 4096)
            let message = try Message(decoding: bytes)
            #expect(message.rcode == .NOERROR && message.id == 0x1995 && message.question?.type == .IXFR)
            #expect(try verifier.verify(message, bytes: bytes, now: now) != nil, "message \(messages) is not signed")
            records += message.answers
            messages += 1
        }
        stream.finish(completed: true)
        return (messages, records)
    }

    /// RFC 1995 §4 as a secondary applies it, written here independently of the journal code.
    static func apply(_ records: [ResourceRecord], to zone: Zone) -> Zone {
        var result = zone
        let body = records.dropFirst().dropLast()
        let soaIndices = body.indices.filter { body[$0].type == .SOA }
        #expect(soaIndices.count == 2)
        guard soaIndices.count == 2 else { return zone }
        for record in body[(soaIndices[0] + 1)..<soaIndices[1]] { result.remove(record) }
        for record in body[(soaIndices[1] + 1)...] { result.add(record) }
        _ = result.removeRRset(at: zone.origin, type: .SOA)
        result.insert(RRset(body[soaIndices[1]]))
        return result
    }

    @Test func aClientInTheJournalGetsOneStepInSignedMessages() throws {
        let router = try Self.router(journal: FixedJournal(steps: [Self.step]))
        let (messages, records) = try Self.transfer(router, Self.ixfr(serial: 5))
        #expect(messages > 1, "a 600-record step in 4 KiB messages takes several")
        #expect(records.first?.type == .SOA && records.last?.type == .SOA)
        #expect(records.count == 4 + Self.step.recordCount)
        #expect(Self.apply(records, to: Self.old) == Self.new)
    }

    @Test func aClientTheJournalCannotReachGetsTheWholeZone() throws {
        // Older than the journal; a journal that cannot be read; none at all.
        let cases: [(FixedJournal, UInt32)] = [
            (FixedJournal(steps: [Self.step]), 3), (FixedJournal(steps: [Self.step], unreadable: true), 5), (FixedJournal(steps: []), 5),
        ]
        for (journal, serial) in cases {
            let (_, records) = try Self.transfer(try Self.router(journal: journal), Self.ixfr(serial: serial))
            // AXFR-style: the SOA, every record, the SOA (RFC 1995 §4).
            #expect(records.count == Self.new.recordCount + 1, "serial \(serial), journal of \(journal.steps.count)")
            #expect(Zone(records: records, origin: EdgeFixtures.origin) == Self.new)
        }
    }

    @Test func malformedIXFRRequestsGetFORMERR() throws {
        let router = try Self.router(journal: FixedJournal(steps: [Self.step]))
        func rcode(_ request: Message) throws -> RCode? {
            let action = router.handle(DNSRequest(bytes: request.encode(), source: Self.loopback, transport: .tcp))
            guard case .reply(let bytes) = action else { return nil }
            return try Message(decoding: bytes).rcode
        }
        // RFC 1995 §3: the client's SOA goes in the authority section; without it we cannot answer.
        #expect(try rcode(Self.ixfr(serial: nil)) == .FORMERR)
        // An SOA of another zone is no SOA for this one.
        #expect(try rcode(Self.ixfr(serial: 5, owner: "other.test.")) == .FORMERR)
        // Our serial or a newer one: the SOA alone, NOERROR.
        let current = router.handle(DNSRequest(bytes: Self.ixfr(serial: 6).encode(), source: Self.loopback, transport: .tcp))
        guard case .reply(let bytes) = current else {
            Issue.record("a current client got no single answer")
            return
        }
        let answer = try Message(decoding: bytes)
        #expect(answer.rcode == .NOERROR && answer.answers.map(\.type) == [.SOA])
    }
}
