import Testing

@testable import DNSCore

/// The AXFR client's state machine fed crafted server messages, no sockets: every way a transfer can be
/// broken must end in its own typed error with nothing of the zone handed out, and a good transfer
/// (signed or not, question repeated or not) must come back whole.
@Suite("AXFR client state machine")
struct AXFRClientMachineTests {
    static let zone: DomainName = "example.test."
    static let unixStart: UInt64 = 1_700_000_000
    static let key = try! TSIGKey(name: "transfer-key", base64Secret: "c2VjcmV0LXRyYW5zZmVyLWtleS1mb3ItdGVzdHMtMzI=")

    static func soa(serial: UInt32 = 2024_01_01_01, refresh: UInt32 = 3600, name: DomainName = zone) -> ResourceRecord {
        ResourceRecord(name: name, ttl: 3600, rdata: .soa(SOA(
            mname: "ns1.example.test.", rname: "hostmaster.example.test.", serial: SerialNumber(serial),
            refresh: refresh, retry: 900, expire: 1_209_600, minimum: 300)))
    }

    static func a(_ owner: String, _ last: Int) -> ResourceRecord {
        ResourceRecord(name: try! DomainName(owner, origin: zone), ttl: 300,
                       rdata: .a(A(IPv4Address("192.0.2.\(last)")!)))
    }

    /// SOA, NS and `count` A records: the zone body (without the closing SOA).
    static func body(count: Int = 30) -> [ResourceRecord] {
        [soa(), ResourceRecord(name: zone, ttl: 3600, rdata: .ns(NS(target: "ns1.example.test."))),
         a("ns1", 1)] + (0..<count).map { a("host\($0)", $0 % 250 + 2) }
    }

    /// The records of a transfer split into messages of `per` records, closing SOA appended.
    static func chunks(_ records: [ResourceRecord], per: Int = 10) -> [[ResourceRecord]] {
        let all = records + [records[0]]
        return stride(from: 0, to: all.count, by: per).map { Array(all[$0..<min($0 + per, all.count)]) }
    }

    // MARK: Harness

    /// Drives one machine: starts it, answers the SOA query, and feeds AXFR messages built from chunks.
    struct Run {
        var machine: AXFRClientMachine
        var now: Duration = .seconds(1000)
        var soaQuery: Message
        var soaQueryBytes: [UInt8]
        var axfrQuery: Message?
        var axfrQueryBytes: [UInt8] = []
        var serverKey: TSIGKey?

        init(key: TSIGKey? = nil, serverKey: TSIGKey? = nil, limits: AXFRClientMachine.Limits = .init(),
             timeout: Duration = .seconds(60), mode: AXFRClientMachine.Mode = .soaThenTransfer) {
            machine = AXFRClientMachine(zone: AXFRClientMachineTests.zone, key: key, limits: limits, timeout: timeout,
                                        mode: mode, soaQueryID: 0x1111, transferID: 0x2222)
            self.serverKey = serverKey ?? key
            guard case .send(let bytes) = machine.event(.start(unixTime: AXFRClientMachineTests.unixStart), now: now) else {
                fatalError("start must send a query")
            }
            soaQueryBytes = bytes
            soaQuery = try! Message(decoding: bytes)
            if mode == .transferOnly {
                axfrQuery = soaQuery
                axfrQueryBytes = bytes
            }
        }

        var unixNow: UInt64 { AXFRClientMachineTests.unixStart + UInt64((now - .seconds(1000)).components.seconds) }

        /// The response plan for `query` when the server signs (nil when it does not).
        func plan(for query: Message, key: TSIGKey?) -> TSIGResponsePlan? {
            guard let key, let record = query.tsig, case .tsig(let tsig) = record.rdata else { return nil }
            return TSIGSigner(key: key).responsePlan(requestMAC: tsig.mac, requestTimeSigned: tsig.timeSigned,
                                                     requestID: query.id)
        }

        /// Answers the SOA query with the zone's SOA (after `edit`); returns what the machine does.
        mutating func answerSOA(_ record: ResourceRecord = AXFRClientMachineTests.soa(), sign: Bool = true,
                                edit: (inout Message) -> Void = { _ in }) -> AXFRClientMachine.Action {
            var response = soaQuery.makeResponse()
            response.flags.aa = true
            response.answers = [record]
            edit(&response)
            let bytes = sign ? (plan(for: soaQuery, key: serverKey).map { $0.sign(response, now: unixNow).bytes }
                ?? response.encode()) : response.encode()
            let action = machine.event(.message(bytes), now: now)
            if case .send(let next) = action {
                axfrQueryBytes = next
                axfrQuery = try! Message(decoding: next)
            }
            return action
        }

        /// The AXFR messages for `chunks`, each after `edit(&message, index)`; TSIG per `signing` when the
        /// server has a key: interval 1 signs every message; `signLast: false` leaves the last one as the
        /// interval would.
        func axfrMessages(_ chunks: [[ResourceRecord]], signingInterval: Int = 1, signLast: Bool = true,
                          edit: (inout Message, Int) -> Void = { _, _ in }) -> [[UInt8]] {
            let query = axfrQuery!
            var signer = plan(for: query, key: serverKey).map { TSIGTransferSigner(plan: $0, signingInterval: signingInterval) }
            return chunks.enumerated().map { index, records in
                var message = query.makeResponse()
                message.flags.aa = true
                if index > 0 { message.questions = [] }
                message.answers = records
                edit(&message, index)
                let isLast = signLast && index == chunks.count - 1
                return signer != nil ? signer!.sign(message, isLast: isLast, now: unixNow) : message.encode()
            }
        }

        /// Feeds messages until one is not `.needMore`; returns that action (or the last `.needMore`).
        mutating func feed(_ messages: [[UInt8]], step: Duration = .milliseconds(10)) -> AXFRClientMachine.Action {
            var action = AXFRClientMachine.Action.needMore
            for bytes in messages {
                now += step
                action = machine.event(.message(bytes), now: now)
                guard case .needMore = action else { return action }
            }
            return action
        }

        /// Answers the SOA query and feeds the transfer of `chunks`.
        mutating func transfer(_ chunks: [[ResourceRecord]], signingInterval: Int = 1, signLast: Bool = true,
                               edit: (inout Message, Int) -> Void = { _, _ in }) -> AXFRClientMachine.Action {
            guard case .send = answerSOA() else { return .failed(.network("SOA answer not accepted")) }
            return feed(axfrMessages(chunks, signingInterval: signingInterval, signLast: signLast, edit: edit))
        }
    }

    /// The error of a failed action; records an issue for anything else.
    static func failure(_ action: AXFRClientMachine.Action, sourceLocation: SourceLocation = #_sourceLocation) -> TransferError? {
        if case .failed(let error) = action { return error }
        Issue.record("expected a failure, got \(action)", sourceLocation: sourceLocation)
        return nil
    }

    /// After a failure the machine holds nothing and repeats the failure.
    static func expectNothingPartial(_ run: inout Run, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.machine.records.isEmpty, "records kept after a failure", sourceLocation: sourceLocation)
        #expect(run.machine.isFinished, sourceLocation: sourceLocation)
        if case .failed = run.machine.event(.tick, now: run.now + .seconds(1)) {} else {
            Issue.record("a finished machine must repeat its failure", sourceLocation: sourceLocation)
        }
    }

    // MARK: Good transfers

    @Test("a good unsigned transfer over several messages returns every record once, SOA first")
    func goodUnsigned() throws {
        var run = Run()
        #expect(run.soaQuery.questions == [Question(name: Self.zone, type: .SOA)])
        #expect(run.soaQuery.id == 0x1111 && run.soaQuery.tsig == nil)
        let body = Self.body(count: 40)
        let action = run.transfer(Self.chunks(body, per: 7))
        #expect(run.axfrQuery?.questions == [Question(name: Self.zone, type: .AXFR)])
        #expect(run.axfrQuery?.id == 0x2222)
        guard case .complete(let result) = action else {
            Issue.record("expected completion, got \(action)")
            return
        }
        #expect(result.records == body)
        #expect(result.serial == SerialNumber(2024_01_01_01))
        #expect(result.queriedSerial == SerialNumber(2024_01_01_01))
        #expect(result.messageCount == 7)
        #expect(result.byteCount > 0)
        #expect(result.duration == .milliseconds(70))
        #expect(!result.verifiedWithTSIG)
        #expect(result.makeZone() == Zone(records: body, origin: Self.zone))
        #expect(run.machine.isFinished && run.machine.nextDeadline == nil)
    }

    @Test("the question may be repeated in every message (as BIND does) or only in the first (as Knot does)")
    func questionRepeated() throws {
        var run = Run()
        let query = Question(name: Self.zone, type: .AXFR)
        let action = run.transfer(Self.chunks(Self.body())) { message, _ in message.questions = [query] }
        guard case .complete = action else { Issue.record("expected completion, got \(action)"); return }
    }

    @Test("a zone of only the SOA (opening and closing in one message) completes with one record")
    func soaOnlyZone() throws {
        var run = Run()
        let action = run.transfer([[Self.soa(), Self.soa()]])
        guard case .complete(let result) = action else { Issue.record("got \(action)"); return }
        #expect(result.records == [Self.soa()])
    }

    @Test("a transfer with TSIG on every message verifies; the queries are signed")
    func goodSigned() throws {
        var run = Run(key: Self.key)
        #expect(run.soaQuery.tsig?.name == Self.key.name)
        let body = Self.body(count: 25)
        let action = run.transfer(Self.chunks(body))
        #expect(run.axfrQuery?.tsig?.name == Self.key.name)
        guard case .complete(let result) = action else { Issue.record("expected completion, got \(action)"); return }
        #expect(result.records == body && result.verifiedWithTSIG)
    }

    @Test("TSIG on every third message only (RFC 8945 allows up to 99 unsigned between) still verifies")
    func sparseTSIG() throws {
        var run = Run(key: Self.key)
        let body = Self.body(count: 60)
        let action = run.transfer(Self.chunks(body, per: 5), signingInterval: 3)
        guard case .complete(let result) = action else { Issue.record("expected completion, got \(action)"); return }
        #expect(result.records == body)
    }

    @Test("the serial check mode sends only the SOA query and returns the SOA record")
    func serialOnly() throws {
        var run = Run(key: Self.key, mode: .soaOnly)
        let action = run.answerSOA(Self.soa(serial: 7))
        guard case .soa(let record) = action else { Issue.record("expected the SOA, got \(action)"); return }
        #expect(record == Self.soa(serial: 7))
    }

    @Test("the transfer-only mode sends the AXFR query first")
    func transferOnly() throws {
        var run = Run(mode: .transferOnly)
        #expect(run.soaQuery.questions == [Question(name: Self.zone, type: .AXFR)])
        #expect(run.soaQuery.id == 0x2222)
        let action = run.feed(run.axfrMessages(Self.chunks(Self.body())))
        guard case .complete(let result) = action else { Issue.record("got \(action)"); return }
        #expect(result.queriedSerial == nil)
    }

    // MARK: SOA query

    @Test("an SOA answer that is not authoritative, lacks the SOA, or is REFUSED fails before any AXFR")
    func badSOAAnswers() throws {
        var run = Run()
        if case .noSOA(let zone, let reason) = Self.failure(run.answerSOA(edit: { $0.flags.aa = false })) {
            #expect(zone == Self.zone && reason.contains("AA clear"))
        } else { Issue.record("expected noSOA") }

        run = Run()
        let other = ResourceRecord(name: "other.test.", ttl: 60, rdata: .ns(NS(target: "ns.other.test.")))
        if case .noSOA = Self.failure(run.answerSOA(other)) {} else { Issue.record("expected noSOA") }

        run = Run()
        #expect(Self.failure(run.answerSOA(edit: { $0.rcode = .REFUSED; $0.answers = [] }))
            == .serverError(stage: .soaQuery, rcode: .REFUSED))

        run = Run()
        #expect(Self.failure(run.answerSOA(edit: { $0.id = 0x1112 }))
            == .idMismatch(stage: .soaQuery, expected: 0x1111, received: 0x1112))
    }

    @Test("with a key, an unsigned or wrongly signed SOA answer fails")
    func soaAnswerTSIG() throws {
        var run = Run(key: Self.key)
        #expect(Self.failure(run.answerSOA(sign: false)) == .tsig(stage: .soaQuery, .unsignedResponse))
        let other = try TSIGKey(name: "transfer-key", base64Secret: "b3RoZXItc2VjcmV0LW9mLXRoZS1zYW1lLW5hbWU=")
        run = Run(key: Self.key, serverKey: other)
        #expect(Self.failure(run.answerSOA()) == .tsig(stage: .soaQuery, .badSignature(key: Self.key.name)))
    }

    // MARK: Broken streams

    @Test("a connection closed mid-stream fails with the counts so far, and keeps nothing")
    func cutMidStream() throws {
        var run = Run()
        _ = run.answerSOA()
        let messages = run.axfrMessages(Self.chunks(Self.body(count: 40)))
        let partway = run.feed(Array(messages.prefix(2)))
        guard case .needMore = partway else { Issue.record("got \(partway)"); return }
        #expect(run.machine.records.count == 20)
        let error = Self.failure(run.machine.event(.closed, now: run.now))
        #expect(error == .connectionClosed(stage: .transfer(message: 3), messages: 2, records: 20))
        Self.expectNothingPartial(&run)
    }

    @Test("a closing SOA with another serial fails as a mismatch")
    func closingSerialMismatch() throws {
        var run = Run()
        var chunks = Self.chunks(Self.body())
        chunks[chunks.count - 1][chunks[chunks.count - 1].count - 1] = Self.soa(serial: 2024_01_01_02)
        let error = Self.failure(run.transfer(chunks))
        #expect(error == .closingSOAMismatch(opening: SerialNumber(2024_01_01_01), closing: SerialNumber(2024_01_01_02),
                                             reason: "serial 2024010102 instead of 2024010101"))
        Self.expectNothingPartial(&run)
    }

    @Test("a closing SOA with the same serial but other RDATA fails too")
    func closingRDataMismatch() throws {
        var run = Run()
        var chunks = Self.chunks(Self.body())
        chunks[chunks.count - 1][chunks[chunks.count - 1].count - 1] = Self.soa(refresh: 7200)
        guard case .closingSOAMismatch(_, _, let reason) = Self.failure(run.transfer(chunks)) else {
            Issue.record("expected closingSOAMismatch")
            return
        }
        #expect(reason.contains("same serial"))
    }

    @Test("a different SOA in the middle of the stream fails at once")
    func soaInMiddle() throws {
        var run = Run()
        var chunks = Self.chunks(Self.body())
        chunks[1].insert(Self.soa(serial: 99), at: 3)
        #expect(Self.failure(run.transfer(chunks))
            == .soaInMiddle(opening: SerialNumber(2024_01_01_01), found: SerialNumber(99), record: 14))
        Self.expectNothingPartial(&run)
    }

    @Test("the opening SOA again with records after it is a premature end, not a complete zone")
    func identicalSOAInMiddle() throws {
        var run = Run()
        var chunks = Self.chunks(Self.body())
        chunks[1].insert(Self.soa(), at: 3)
        #expect(Self.failure(run.transfer(chunks)) == .recordsAfterClosingSOA(stage: .transfer(message: 2), count: 7))
        Self.expectNothingPartial(&run)
    }

    @Test("an SOA of another owner in the middle fails")
    func foreignSOA() throws {
        var run = Run()
        var chunks = Self.chunks(Self.body())
        chunks[1].insert(Self.soa(name: "sub.example.test."), at: 0)
        guard case .soaInMiddle = Self.failure(run.transfer(chunks)) else { Issue.record("expected soaInMiddle"); return }
    }

    @Test("a first record that is not the SOA fails")
    func firstNotSOA() throws {
        var run = Run()
        var chunks = Self.chunks(Self.body())
        chunks[0].swapAt(0, 1)
        #expect(Self.failure(run.transfer(chunks)) == .firstRecordNotSOA(zone: Self.zone, name: Self.zone, type: .NS))
    }

    @Test("a wrong ID in the second message fails with both IDs")
    func wrongID() throws {
        var run = Run()
        let error = Self.failure(run.transfer(Self.chunks(Self.body())) { message, index in
            if index == 1 { message.id = 0x2223 }
        })
        #expect(error == .idMismatch(stage: .transfer(message: 2), expected: 0x2222, received: 0x2223))
        Self.expectNothingPartial(&run)
    }

    @Test("SERVFAIL, REFUSED and NOTAUTH end the transfer with the RCODE")
    func rcodes() throws {
        for rcode in [RCode.SERVFAIL, .REFUSED, .NOTAUTH] {
            var run = Run()
            let error = Self.failure(run.transfer(Self.chunks(Self.body())) { message, index in
                if index == 2 { message.rcode = rcode; message.answers = [] }
            })
            #expect(error == .serverError(stage: .transfer(message: 3), rcode: rcode))
            Self.expectNothingPartial(&run)
        }
    }

    @Test("a TC bit fails the transfer")
    func truncatedFlag() throws {
        var run = Run()
        let error = Self.failure(run.transfer(Self.chunks(Self.body())) { message, index in
            if index == 0 { message.flags.tc = true }
        })
        #expect(error == .truncated(stage: .transfer(message: 1)))
    }

    @Test("QR clear or another opcode is not a response")
    func notAResponse() throws {
        var run = Run()
        guard case .notAResponse(let stage, _) = Self.failure(run.transfer(Self.chunks(Self.body())) { message, index in
            if index == 1 { message.flags.qr = false }
        }) else { Issue.record("expected notAResponse"); return }
        #expect(stage == .transfer(message: 2))
        run = Run()
        guard case .notAResponse = Self.failure(run.transfer(Self.chunks(Self.body())) { message, _ in
            message.flags.opcode = .NOTIFY
        }) else { Issue.record("expected notAResponse"); return }
    }

    @Test("a missing question in the first message, or another question later, fails")
    func questionMismatch() throws {
        var run = Run()
        let expected = Question(name: Self.zone, type: .AXFR)
        #expect(Self.failure(run.transfer(Self.chunks(Self.body())) { message, index in
            if index == 0 { message.questions = [] }
        }) == .questionMismatch(stage: .transfer(message: 1), expected: expected, received: []))
        run = Run()
        let other = Question(name: "other.test.", type: .AXFR)
        #expect(Self.failure(run.transfer(Self.chunks(Self.body())) { message, index in
            if index == 2 { message.questions = [other] }
        }) == .questionMismatch(stage: .transfer(message: 3), expected: expected, received: [other]))
    }

    @Test("records outside the zone (including a name that only ends in the same letters) fail")
    func outOfZone() throws {
        for owner in ["www.other.test.", "badexample.test.", "test."] {
            var run = Run()
            var chunks = Self.chunks(Self.body())
            let stray = ResourceRecord(name: try DomainName(owner), ttl: 60, rdata: .a(A(IPv4Address("192.0.2.9")!)))
            chunks[1].insert(stray, at: 2)
            #expect(Self.failure(run.transfer(chunks))
                == .outOfZone(zone: Self.zone, name: try DomainName(owner), type: .A, stage: .transfer(message: 2)))
            Self.expectNothingPartial(&run)
        }
    }

    @Test("a record of another class fails")
    func wrongClass() throws {
        var run = Run()
        var chunks = Self.chunks(Self.body())
        chunks[1][0].dnsClass = .CH
        #expect(Self.failure(run.transfer(chunks)) == .wrongClass(
            name: chunks[1][0].name, type: .A, found: .CH, expected: .IN, stage: .transfer(message: 2)))
    }

    @Test("bytes that do not decode fail as malformed")
    func malformed() throws {
        var run = Run()
        _ = run.answerSOA()
        var messages = run.axfrMessages(Self.chunks(Self.body()))
        messages[1] = Array(messages[1].prefix(messages[1].count - 3))
        guard case .malformedMessage(let stage, _) = Self.failure(run.feed(messages)) else {
            Issue.record("expected malformedMessage")
            return
        }
        #expect(stage == .transfer(message: 2))
        Self.expectNothingPartial(&run)
    }

    // MARK: Limits

    @Test("the record limit allows exactly that many records and fails one past it")
    func recordLimit() throws {
        let body = Self.body(count: 30)
        var run = Run(limits: .init(maxRecords: body.count))
        guard case .complete = run.transfer(Self.chunks(body)) else { Issue.record("limit must be inclusive"); return }
        run = Run(limits: .init(maxRecords: body.count - 1))
        #expect(Self.failure(run.transfer(Self.chunks(body))) == .tooManyRecords(limit: body.count - 1))
        Self.expectNothingPartial(&run)
    }

    @Test("the per-RRset limit names the RRset; RRSIGs count per covered type")
    func rrsetLimit() throws {
        let big = (1...6).map { Self.a("big", $0) }
        var run = Run(limits: .init(maxRecordsPerRRset: 5))
        #expect(Self.failure(run.transfer(Self.chunks(Self.body() + big)))
            == .rrsetTooLarge(name: "big.example.test.", type: .A, limit: 5))
        func signature(_ covered: RecordType, _ tag: UInt16) -> ResourceRecord {
            ResourceRecord(name: Self.zone, ttl: 3600, rdata: .rrsig(RRSIG(
                typeCovered: covered, algorithm: 13, labels: 2, originalTTL: 3600, expiration: 2, inception: 1,
                keyTag: tag, signerName: Self.zone, signature: [1, 2, 3, 4])))
        }
        let signatures = (1...5).map { signature(.SOA, $0) } + (1...5).map { signature(.NS, $0) }
        run = Run(limits: .init(maxRecordsPerRRset: 5))
        guard case .complete = run.transfer(Self.chunks(Self.body() + signatures)) else {
            Issue.record("5 RRSIGs per covered type are within a limit of 5")
            return
        }
    }

    @Test("the byte limit fails with the bytes received")
    func byteLimit() throws {
        var run = Run(limits: .init(maxBytes: 600))
        guard case .tooManyBytes(let limit, let received) = Self.failure(run.transfer(Self.chunks(Self.body()))) else {
            Issue.record("expected tooManyBytes")
            return
        }
        #expect(limit == 600 && received > 600)
        Self.expectNothingPartial(&run)
    }

    @Test("the message limit fails one message past it")
    func messageLimit() throws {
        var run = Run(limits: .init(maxMessages: 3))
        #expect(Self.failure(run.transfer(Self.chunks(Self.body(count: 40)))) == .tooManyMessages(limit: 3))
    }

    @Test("idle time: a tick before the limit waits, at the limit it fails; each message restarts the clock")
    func idleTimeout() throws {
        var run = Run(limits: .init(idleTimeout: .seconds(2)))
        #expect(run.machine.nextDeadline == .seconds(1002))
        guard case .needMore = run.machine.event(.tick, now: .milliseconds(1_001_999)) else {
            Issue.record("a tick before the deadline must wait")
            return
        }
        run.now = .milliseconds(1_001_500)
        _ = run.answerSOA()
        #expect(run.machine.nextDeadline == .milliseconds(1_003_500))
        let messages = run.axfrMessages(Self.chunks(Self.body()))
        _ = run.feed(Array(messages.prefix(2)), step: .milliseconds(1900))
        #expect(run.machine.nextDeadline == .milliseconds(1_007_300))
        guard case .needMore = run.machine.event(.tick, now: .milliseconds(1_007_299)) else {
            Issue.record("a tick before the deadline must wait")
            return
        }
        let error = Self.failure(run.machine.event(.tick, now: .milliseconds(1_007_300)))
        guard case .idleTimeout(let stage, let limit, let count, let bytes) = error else {
            Issue.record("expected idleTimeout, got \(String(describing: error))")
            return
        }
        #expect(stage == .transfer(message: 3) && limit == .seconds(2) && count == 2 && bytes > 0)
        Self.expectNothingPartial(&run)
    }

    @Test("a silent server fails with an idle timeout during the SOA query")
    func silentServer() throws {
        var run = Run(limits: .init(idleTimeout: .seconds(3)))
        #expect(Self.failure(run.machine.event(.tick, now: .seconds(1003)))
            == .idleTimeout(stage: .soaQuery, limit: .seconds(3), messages: 0, bytes: 0))
    }

    @Test("messages arriving steadily cannot stretch the transfer past its overall deadline")
    func overallDeadline() throws {
        var run = Run(limits: .init(idleTimeout: .seconds(5)), timeout: .seconds(10))
        _ = run.answerSOA()
        let action = run.feed(run.axfrMessages(Self.chunks(Self.body(count: 40))), step: .seconds(3))
        #expect(Self.failure(action) == .deadlineExceeded(limit: .seconds(10), messages: 3, records: 30))
        #expect(run.machine.nextDeadline == nil)
    }

    // MARK: TSIG

    @Test("a bad MAC on any message fails as BADSIG")
    func badMAC() throws {
        var run = Run(key: Self.key)
        _ = run.answerSOA()
        var messages = run.axfrMessages(Self.chunks(Self.body()))
        messages[2][messages[2].count - 7] ^= 0xFF  // last MAC byte (Original ID, Error, Other Len follow)
        #expect(Self.failure(run.feed(messages)) == .tsig(stage: .transfer(message: 3), .badSignature(key: Self.key.name)))
        Self.expectNothingPartial(&run)
    }

    @Test("signed first, unsigned to the end: the transfer fails at the closing SOA")
    func unsignedAfterSigned() throws {
        var run = Run(key: Self.key)
        let error = Self.failure(run.transfer(Self.chunks(Self.body()), signingInterval: 100, signLast: false))
        #expect(error == .tsig(stage: .transfer(message: 4), .transferEndedUnsigned(unsignedCount: 3)))
        Self.expectNothingPartial(&run)
    }

    @Test("an unsigned first message fails when a key is configured")
    func unsignedFirst() throws {
        var run = Run(key: Self.key)
        _ = run.answerSOA()
        var messages = run.axfrMessages(Self.chunks(Self.body()))
        let unsigned = run.axfrQuery!.makeResponse()
        var first = unsigned
        first.answers = Self.chunks(Self.body())[0]
        messages[0] = first.encode()
        #expect(Self.failure(run.feed(messages)) == .tsig(stage: .transfer(message: 1), .unsignedResponse))
    }

    @Test("100 unsigned messages in a row fail (RFC 8945: a TSIG at least every 100th)")
    func tooManyUnsigned() throws {
        var run = Run(key: Self.key)
        _ = run.answerSOA()
        let chunks = Self.chunks(Self.body(count: 150), per: 1)
        let first = run.axfrMessages([chunks[0]], signLast: false)
        let rest = chunks.dropFirst().map { records in
            var message = run.axfrQuery!.makeResponse()
            message.questions = []
            message.answers = records
            return message.encode()
        }
        let error = Self.failure(run.feed(first + rest))
        #expect(error == .tsig(stage: .transfer(message: 101), .tooManyUnsignedMessages(count: 100)))
    }

    @Test("a transfer signed with a key we do not use fails")
    func otherKey() throws {
        let other = try TSIGKey(name: "other-key", base64Secret: "b3RoZXItc2VjcmV0LW9mLXRoZS1zYW1lLW5hbWU=")
        var run = Run(key: Self.key)
        _ = run.answerSOA()
        run.serverKey = other
        #expect(Self.failure(run.feed(run.axfrMessages(Self.chunks(Self.body()))))
            == .tsig(stage: .transfer(message: 1), .keyMismatch(expected: Self.key.name, found: other.name)))
    }

    @Test("a TSIG time outside the fudge fails as BADTIME")
    func badTime() throws {
        var run = Run(key: Self.key, limits: .init(idleTimeout: .seconds(1000)), timeout: .seconds(1000))
        _ = run.answerSOA()
        let messages = run.axfrMessages(Self.chunks(Self.body()))
        run.now += .seconds(400)
        let error = Self.failure(run.machine.event(.message(messages[0]), now: run.now))
        guard case .tsig(_, .badTime) = error else { Issue.record("expected BADTIME, got \(String(describing: error))"); return }
    }

    @Test("a signed transfer when we sent no key cannot be checked and fails")
    func unexpectedTSIG() throws {
        var run = Run(serverKey: Self.key)
        _ = run.answerSOA()
        // Sign as if the query had carried a TSIG: a server that signs anyway.
        let query = run.axfrQuery!
        let plan = TSIGSigner(key: Self.key).responsePlan(requestMAC: [UInt8](repeating: 1, count: 32),
                                                          requestTimeSigned: Self.unixStart, requestID: query.id)
        var response = query.makeResponse()
        response.answers = Self.chunks(Self.body())[0]
        #expect(Self.failure(run.feed([plan.sign(response, now: Self.unixStart).bytes]))
            == .unexpectedTSIG(stage: .transfer(message: 1), key: Self.key.name))
    }

    @Test("a NOTAUTH answer carrying a BADKEY TSIG error reports the peer's TSIG error")
    func peerBadKey() throws {
        var run = Run(key: Self.key)
        _ = run.answerSOA()
        var response = run.axfrQuery!.makeResponse()
        response.rcode = .NOTAUTH
        var bytes = response.encode()
        let tsig = TSIG(algorithm: Self.key.algorithm.name, timeSigned: Self.unixStart, fudge: 300, mac: [],
                        originalID: response.id, error: RCode.BADKEY.rawValue)
        bytes = TSIGMAC.appending(record: TSIGMAC.record(keyName: Self.key.name, tsig: tsig), to: bytes)
        #expect(Self.failure(run.feed([bytes]))
            == .tsig(stage: .transfer(message: 1), .peerError(.BADKEY, key: Self.key.name, serverTime: nil)))
    }

    @Test("every error says what happened in words")
    func descriptions() {
        let error = TransferError.idleTimeout(stage: .transfer(message: 3), limit: .seconds(2), messages: 2, bytes: 900)
        #expect(error.description == "nothing complete arrived for 2.0 seconds while waiting for AXFR message 3 (2 messages, 900 bytes so far)")
        #expect(TransferError.tooManyRecords(limit: 10).description == "the transfer holds more than 10 records")
    }
}
