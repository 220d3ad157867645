import Testing
@testable import DNSCore

private func sampleZone(hosts: Int, serial: UInt32 = 7) throws -> Zone {
    var text = """
        $TTL 3600
        @ SOA ns1 hostmaster \(serial) 7200 3600 1209600 300
        @ NS ns1
        ns1 A 192.0.2.53

        """
    for i in 0..<hosts {
        text += "host\(i) A 192.0.2.\(i % 250 + 1)\nhost\(i) TXT \"a text record that makes host \(i) longer\"\n"
    }
    return try Zone(parsing: text, origin: "example.test.")
}

private func decodeAll(_ messages: [[UInt8]]) throws -> [Message] {
    try messages.map { try Message(decoding: $0) }
}

@Suite("AXFR writer")
struct AXFRWriterTests {
    let request = Message.query(name: "example.test.", type: .AXFR, id: 4242, udpPayloadSize: nil)

    @Test func smallZoneFitsOneMessageStartingAndEndingWithTheSOA() throws {
        let zone = try sampleZone(hosts: 3)
        var writer = try AXFRWriter(zone: zone, request: request)
        let messages = try decodeAll(try writer.allMessages())
        #expect(messages.count == 1)
        let answers = messages[0].answers
        #expect(answers.first?.type == .SOA)
        #expect(answers.last?.type == .SOA)
        #expect(answers.count == zone.recordCount + 1)
        #expect(answers.dropFirst().dropLast().allSatisfy { $0.type != .SOA })
        #expect(messages[0].id == 4242)
        #expect(messages[0].flags.qr && messages[0].flags.aa)
        #expect(messages[0].question == request.question)
        #expect(try writer.next() == nil)
    }

    @Test func largeZoneIsSplitUnderTheSizeWithEveryRecordOnce() throws {
        let zone = try sampleZone(hosts: 3000)
        var writer = try AXFRWriter(zone: zone, request: request, messageSize: 16384, trailerReserve: 100)
        let raw = try writer.allMessages()
        #expect(raw.count > 5)
        #expect(raw.allSatisfy { $0.count <= 16384 - 100 })
        let messages = try decodeAll(raw)
        #expect(messages.allSatisfy { $0.id == 4242 && $0.question == request.question })
        let records = messages.flatMap(\.answers)
        #expect(records.first?.type == .SOA && records.last?.type == .SOA)
        #expect(records.count == zone.recordCount + 1)
        // The transferred records rebuild exactly the zone.
        #expect(Zone(records: records.dropLast(), origin: zone.origin) == zone)
        #expect(writer.messageCount == raw.count && writer.recordCount == records.count)
    }

    /// What the servers send: a signed NSEC3 zone streamed from its serving snapshot, owner by owner, is
    /// the same zone (every record once, SOA at both ends, the NSEC3 chain included) and still verifies.
    @Test func aSnapshotStreamsTheWholeSignedZoneOwnerByOwner() throws {
        let zone = try sampleZone(hosts: 1500)
        let keys = try ZoneKeySet(zone: zone.origin, keys: [
            SigningKey.generate(flags: SigningKey.keySigningFlags), SigningKey.generate(flags: SigningKey.zoneSigningFlags),
        ])
        var policy = SigningPolicy()
        policy.denial = .nsec3(SigningPolicy.NSEC3Settings())
        let now: UInt32 = 1_790_000_000
        let signed = try ZoneSigner.sign(zone: zone, keys: keys, policy: policy, now: now).zone
        let snapshot = try ZoneSnapshot(signed)
        var writer = try AXFRWriter(snapshot: snapshot, request: request, messageSize: 16384, trailerReserve: 100)
        let raw = try writer.allMessages()
        #expect(raw.count > 5 && raw.allSatisfy { $0.count <= 16384 - 100 })
        let records = try decodeAll(raw).flatMap(\.answers)
        #expect(records.first?.type == .SOA && records.last?.type == .SOA && records.first == records.last)
        #expect(records.dropFirst().dropLast().allSatisfy { $0.type != .SOA || $0.name != zone.origin })
        #expect(records.count == signed.recordCount + 1)
        #expect(records.contains { $0.type == .NSEC3 } && records.contains { $0.type == .NSEC3PARAM })
        let rebuilt = Zone(records: records.dropLast(), origin: zone.origin)
        #expect(rebuilt == signed)
        #expect(ZoneVerifier.verify(rebuilt, now: now).isEmpty)
        #expect(writer.recordCount == records.count && writer.messageCount == raw.count)

        // The apex alone: SOA, its NS, SOA.
        var soaOnly = try AXFRWriter(snapshot: try ZoneSnapshot(try Zone(parsing: "@ 300 SOA ns1 h 1 2 3 4 5\n@ 300 NS ns1\n", origin: "example.test.")),
                                     request: request)
        #expect(try decodeAll(try soaOnly.allMessages()).flatMap(\.answers).map(\.type) == [.SOA, .NS, .SOA])
    }

    @Test func namesAreCompressedInsideEachMessage() throws {
        let zone = try sampleZone(hosts: 500)
        var writer = try AXFRWriter(zone: zone, request: request, messageSize: 65535)
        let raw = try writer.allMessages()
        let uncompressed = zone.records.reduce(0) { $0 + $1.name.wire.count + 10 + $1.rdata.wireBytes().count }
        // Without compression every owner would be spelled out: far more than the messages hold.
        #expect(raw.reduce(0) { $0 + $1.count } < uncompressed * 3 / 4)
    }

    @Test func aRecordTooBigForTheTargetSizeTravelsAlone() throws {
        var zone = try sampleZone(hosts: 2)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 255)
        let strings = [[UInt8]](repeating: big, count: 100)  // ~25.6 KB of TXT
        zone.add(ResourceRecord(name: "big.example.test.", ttl: 60, rdata: .txt(TXT(strings: strings))))
        var writer = try AXFRWriter(zone: zone, request: request, messageSize: 4096)
        let messages = try decodeAll(try writer.allMessages())
        let holder = try #require(messages.first { $0.answers.contains { $0.type == .TXT && $0.name == "big.example.test." } })
        #expect(holder.answers.count == 1)
        #expect(messages.flatMap(\.answers).count == zone.recordCount + 1)
    }

    @Test func ednsIsEchoedAndAZoneWithoutSOAIsRefused() throws {
        let withEDNS = Message.query(name: "example.test.", type: .AXFR, id: 1)
        var writer = try AXFRWriter(zone: try sampleZone(hosts: 1), request: withEDNS)
        let message = try Message(decoding: try #require(try writer.next()))
        #expect(message.edns != nil)
        let empty = Zone(origin: "empty.test.")
        #expect(throws: AXFRWriter.Failure.noSOA(zone: "empty.test.")) {
            try AXFRWriter(zone: empty, request: withEDNS)
        }
    }

    @Test func signedTransferVerifiesWithTheMultiMessageRules() throws {
        let key = try TSIGKey(name: "xfr-key", base64Secret: "c2VjcmV0IGtleSBmb3IgdGVzdHMgb25seSAxMjM0NTY=")
        let signed = TSIGSigner(key: key).signRequest(request, now: 1_700_000_000)
        let verdict = TSIGVerifier(keys: [key]).verifyRequest(signed.bytes, now: 1_700_000_000)
        guard case let .verified(plan) = verdict else {
            Issue.record("request did not verify: \(verdict)")
            return
        }
        var writer = try AXFRWriter(zone: try sampleZone(hosts: 2000), request: request, trailerReserve: plan.reservedLength)
        var signer = TSIGTransferSigner(plan: plan)
        var verifier = TSIGTransferVerifier(key: key, requestMAC: signed.mac)
        var count = 0
        while let message = try writer.next() {
            let bytes = signer.sign(message, isLast: writer.isFinished, now: 1_700_000_001)
            #expect(bytes.count <= AXFRWriter.defaultMessageSize)
            #expect(try verifier.verify(bytes, now: 1_700_000_002) != nil)
            count += 1
        }
        try verifier.finish()
        #expect(count > 1)
    }
}
