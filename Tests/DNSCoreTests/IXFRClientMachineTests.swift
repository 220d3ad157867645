import Testing

@testable import DNSCore

/// The IXFR client's machine fed crafted responses, no sockets: the three answer forms of RFC 1995 §4
/// come out as what they are, and every broken incremental answer ends in its own typed error with
/// nothing handed out; applying the sequences to the held zone refuses deletions of records we do not
/// hold and duplicate additions.
@Suite("IXFR client state machine")
struct IXFRClientMachineTests {
    typealias T = AXFRClientMachineTests
    static let zone = T.zone
    static let key = T.key

    static func soa(_ serial: UInt32, refresh: UInt32 = 3600) -> ResourceRecord { T.soa(serial: serial, refresh: refresh) }

    /// The zone we hold at serial 1: SOA, NS, ns1 and host0…host9.
    static let held: Zone = Zone(records: [soa(1)] + T.body(count: 10).dropFirst(), origin: zone)

    struct Run {
        var machine: IXFRClientMachine
        var now: Duration = .seconds(1000)
        var query: Message
        var serverKey: TSIGKey?

        init(key: TSIGKey? = nil, serverKey: TSIGKey? = nil, current: ResourceRecord = IXFRClientMachineTests.soa(1),
             limits: AXFRClientMachine.Limits = .init()) {
            machine = IXFRClientMachine(zone: IXFRClientMachineTests.zone, current: current, key: key, limits: limits, queryID: 0x3333)
            self.serverKey = serverKey ?? key
            guard case .send(let bytes) = machine.event(.start(unixTime: T.unixStart), now: now) else { fatalError("start must send the query") }
            query = try! Message(decoding: bytes)
        }

        var unixNow: UInt64 { T.unixStart + UInt64((now - .seconds(1000)).components.seconds) }

        /// Sends `chunks` as response messages (each after `edit`), signed when the server has a key.
        mutating func respond(_ chunks: [[ResourceRecord]], rcode: RCode = .NOERROR, signLast: Bool = true, signingInterval: Int = 1,
                              edit: (inout Message, Int) -> Void = { _, _ in }) -> IXFRClientMachine.Action {
            var signer: TSIGTransferSigner? = nil
            if let serverKey, let record = query.tsig, case .tsig(let tsig) = record.rdata {
                signer = TSIGTransferSigner(plan: TSIGSigner(key: serverKey).responsePlan(
                    requestMAC: tsig.mac, requestTimeSigned: tsig.timeSigned, requestID: query.id), signingInterval: signingInterval)
            }
            var action = IXFRClientMachine.Action.needMore
            for (index, records) in chunks.enumerated() {
                var message = query.makeResponse(rcode: rcode)
                message.flags.aa = true
                message.authority = []
                if index > 0 { message.questions = [] }
                message.answers = records
                edit(&message, index)
                let isLast = signLast && index == chunks.count - 1
                let bytes = signer != nil ? signer!.sign(message, isLast: isLast, now: unixNow) : message.encode()
                now += .milliseconds(10)
                action = machine.event(.message(bytes), now: now)
                guard case .needMore = action else { return action }
            }
            return action
        }
    }

    static func failure(_ action: IXFRClientMachine.Action, sourceLocation: SourceLocation = #_sourceLocation) -> TransferError? {
        if case .failed(let error) = action { return error }
        Issue.record("expected a failure, got \(action)", sourceLocation: sourceLocation)
        return nil
    }

    /// Serial 1 → 2: host3 moves to .99, host10 is new. Serial 2 → 3: host5 goes.
    static let firstDeleted = [T.a("host3", 5)]
    static let firstAdded = [T.a("host3", 99), T.a("host10", 12)]
    static let secondDeleted = [T.a("host5", 7)]
    static var twoSequences: [ResourceRecord] {
        [soa(3), soa(1)] + firstDeleted + [soa(2)] + firstAdded + [soa(2)] + secondDeleted + [soa(3), soa(3)]
    }

    // MARK: The three forms

    @Test("the query is IXFR with our SOA in the authority section, signed with the key")
    func query() {
        let run = Run(key: Self.key)
        #expect(run.query.questions == [Question(name: Self.zone, type: .IXFR)])
        #expect(run.query.authority == [Self.soa(1)])
        #expect(run.query.tsig?.name == Self.key.name)
    }

    @Test("two chained sequences over several signed messages come out in order and apply to the held zone")
    func incremental() throws {
        var run = Run(key: Self.key)
        let records = Self.twoSequences
        let action = run.respond([Array(records[0..<3]), Array(records[3..<6]), Array(records[6...])])
        guard case .incremental(let result) = action else { Issue.record("got \(action)"); return }
        #expect(result.serial == SerialNumber(3) && result.verifiedWithTSIG && result.messageCount == 3)
        #expect(result.sequences.count == 2 && result.changeCount == 4)
        #expect(result.sequences[0].deleted == Self.firstDeleted && result.sequences[0].added == Self.firstAdded)
        let applied = try Self.held.applying(result.sequences)
        var expected = Self.held
        expected.insert(RRset(Self.soa(3)))
        expected.remove(T.a("host3", 5))
        expected.remove(T.a("host5", 7))
        expected.add(T.a("host3", 99))
        expected.add(T.a("host10", 12))
        #expect(applied.zone == expected)
        #expect(applied.changedNames == Set([Self.zone, "host3.example.test.", "host10.example.test.", "host5.example.test."]))
    }

    @Test("the SOA alone at our serial means up to date; above it, transfer in full")
    func single() {
        var same = Run(key: Self.key)
        guard case .upToDate(let soa) = same.respond([[Self.soa(1)]]) else { Issue.record("not up to date"); return }
        #expect(soa.serial == SerialNumber(1))
        var newer = Run(key: Self.key)
        guard case .needsFull(let announced) = newer.respond([[Self.soa(7)]]) else { Issue.record("not needsFull"); return }
        #expect(announced.serial == SerialNumber(7))
    }

    @Test("an AXFR-style answer (the journal does not reach) comes out as the whole zone")
    func axfrStyle() {
        var run = Run(key: Self.key)
        let body = [Self.soa(9)] + T.body(count: 12).dropFirst()
        let action = run.respond([Array(body[0..<5]), Array(body[5...]) + [Self.soa(9)]])
        guard case .full(let result) = action else { Issue.record("got \(action)"); return }
        #expect(result.records == body && result.serial == SerialNumber(9) && result.verifiedWithTSIG)
    }

    // MARK: Broken incremental answers

    @Test("the first sequence starting at another serial than ours is refused")
    func wrongStart() {
        var run = Run()
        let error = Self.failure(run.respond([[Self.soa(3), Self.soa(2)] + Self.secondDeleted + [Self.soa(3), Self.soa(3)]]))
        #expect(error == .ixfrWrongStart(ours: SerialNumber(1), found: SerialNumber(2)))
        #expect(run.machine.isFinished)
    }

    @Test("a gap in the chain (1→2, then 4→5) is refused")
    func chainGap() {
        var run = Run()
        let records = [Self.soa(5), Self.soa(1), Self.soa(2), Self.soa(4), Self.soa(5), Self.soa(5)]
        #expect(Self.failure(run.respond([records])) == .ixfrChainGap(sequence: 2, expected: SerialNumber(2), found: SerialNumber(4)))
    }

    @Test("a sequence whose serial does not rise is refused")
    func backwards() {
        var run = Run(current: Self.soa(5))
        let records = [Self.soa(6), Self.soa(5), Self.soa(4), Self.soa(6), Self.soa(6)]
        #expect(Self.failure(run.respond([records])) == .ixfrSerialNotRising(sequence: 1, from: SerialNumber(5), to: SerialNumber(4)))
    }

    @Test("a sequence going past the announced serial is refused")
    func pastEnd() {
        var run = Run()
        let records = [Self.soa(2), Self.soa(1), Self.soa(3), Self.soa(2)]
        #expect(Self.failure(run.respond([records])) == .ixfrPastEnd(sequence: 1, announced: SerialNumber(2), reached: SerialNumber(3)))
    }

    @Test("an end SOA other than the first one (same serial, other refresh) is refused")
    func endMismatch() {
        var run = Run()
        let records = [Self.soa(2), Self.soa(1), Self.soa(2), Self.soa(2, refresh: 60)]
        guard case .closingSOAMismatch(let opening, let closing, _)? = Self.failure(run.respond([records])) else {
            Issue.record("not a closing mismatch"); return
        }
        #expect(opening == SerialNumber(2) && closing == SerialNumber(2))
    }

    @Test("records after the end SOA are refused")
    func recordsAfterEnd() {
        var run = Run()
        let records = [Self.soa(2), Self.soa(1), Self.soa(2), Self.soa(2), T.a("late", 3)]
        #expect(Self.failure(run.respond([records])) == .recordsAfterClosingSOA(stage: .incremental(message: 1), count: 1))
    }

    @Test("a stream cut mid-sequence is refused as incomplete")
    func truncatedStream() {
        var run = Run()
        _ = run.respond([[Self.soa(2), Self.soa(1)] + Self.firstDeleted])
        let action = run.machine.event(.closed, now: run.now + .milliseconds(5))
        #expect(Self.failure(action) == .connectionClosed(stage: .incremental(message: 2), messages: 1, records: 3))
    }

    @Test("a record outside the zone is refused")
    func outOfZone() {
        var run = Run()
        let stray = ResourceRecord(name: "evil.example.", ttl: 300, rdata: .a(A(IPv4Address("192.0.2.66")!)))
        let error = Self.failure(run.respond([[Self.soa(2), Self.soa(1), Self.soa(2), stray, Self.soa(2)]]))
        #expect(error == .outOfZone(zone: Self.zone, name: "evil.example.", type: .A, stage: .incremental(message: 1)))
    }

    @Test("a response signed with another key, or whose last message is unsigned, fails TSIG")
    func tsig() throws {
        var other = Run(key: Self.key, serverKey: try TSIGKey(name: "transfer-key", base64Secret: "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC1vdGhlcg=="))
        guard case .tsig(let stage, _)? = Self.failure(other.respond([Self.twoSequences])) else { Issue.record("not TSIG"); return }
        #expect(stage == .incremental(message: 1))
        var unsignedLast = Run(key: Self.key)
        let records = Self.twoSequences
        guard case .tsig? = Self.failure(unsignedLast.respond([Array(records[0..<4]), Array(records[4...])], signLast: false, signingInterval: 10)) else {
            Issue.record("an unsigned last message passed"); return
        }
    }

    @Test("a response over the record limit is refused")
    func limit() {
        var run = Run(limits: AXFRClientMachine.Limits(maxRecords: 5))
        #expect(Self.failure(run.respond([Self.twoSequences])) == .tooManyRecords(limit: 5))
    }

    @Test("NOTIMP and REFUSED come back as the server's error (the caller falls back to AXFR)")
    func serverErrors() {
        for rcode in [RCode.NOTIMP, .REFUSED, .FORMERR] {
            var run = Run()
            let error = Self.failure(run.respond([[]], rcode: rcode))
            #expect(error == .serverError(stage: .incremental(message: 1), rcode: rcode))
            #expect(error?.meansNoIXFR == true)
        }
    }

    // MARK: Applying

    @Test("deleting a record we do not hold, or adding one we hold, is refused and leaves the zone as it was")
    func applyStrict() {
        let before = Self.held
        let missing = IXFRClientMachine.Sequence(from: Self.soa(1), to: Self.soa(2), deleted: [T.a("host3", 77)], added: [])
        #expect(throws: TransferError.ixfrDeletesMissing(sequence: 1, record: "\(T.a("host3", 77))")) { try before.applying([missing]) }
        let duplicate = IXFRClientMachine.Sequence(from: Self.soa(1), to: Self.soa(2), deleted: [], added: [T.a("host4", 6)])
        #expect(throws: TransferError.ixfrAddsDuplicate(sequence: 1, record: "\(T.a("host4", 6))")) { try before.applying([duplicate]) }
        let stale = IXFRClientMachine.Sequence(from: Self.soa(4), to: Self.soa(5), deleted: [], added: [])
        #expect(throws: TransferError.ixfrWrongStart(ours: SerialNumber(1), found: SerialNumber(4))) { try before.applying([stale]) }
        #expect(before == Self.held)
    }
}
