/// The client side of an incremental zone transfer (RFC 1995) over TCP, as a pure state machine: one
/// IXFR query carrying the SOA we hold, then the response read message by message. Like
/// `AXFRClientMachine` it owns no socket and reads no clock; it shares that machine's message layer
/// (ID, header, question, TSIG per message, limits) by driving one as `wire`, so the two cannot drift.
///
/// RFC 1995 §4 allows three answers, told apart by the first records:
/// - the SOA alone, its serial not above ours: we are up to date (`.upToDate`);
/// - the SOA followed by a record other than an SOA: the whole zone, AXFR-style; the records go
///   through the AXFR machine's content checks and come out as its `Result` (`.full`);
/// - the SOA followed by our SOA: sequences `SOA(old) deletions SOA(new) additions` chained serial to
///   serial, ending with the first SOA again (`.incremental`).
///
/// An incremental answer is refused whole at the first violation, with a typed `TransferError`: the
/// first sequence not starting at our serial, a sequence not starting where the previous one ended,
/// a sequence whose serial does not rise, a chain that passes the announced serial, an end SOA other
/// than the first one, an SOA of another owner, records outside the zone or of another class, and
/// the limits (records, bytes, messages, idle and overall time). Whether the deletions name records
/// we hold and the additions are new is checked when the sequences are applied to our zone
/// (`Zone.applying(_:)`), since only the zone knows.
///
/// A single SOA above ours in the first message is taken as "no incremental history, transfer in
/// full" (`.needsFull`): RFC 1995 §2 gives that answer over UDP, and some servers give it over TCP.
public struct IXFRClientMachine: Sendable {
    public typealias Event = AXFRClientMachine.Event

    public enum Action: Sendable {
        case send([UInt8])
        case needMore
        /// The server holds our serial (or an older one): nothing to transfer.
        case upToDate(SOA)
        /// The changes from our serial to the server's, checked as a chain.
        case incremental(Result)
        /// The server sent the whole zone (AXFR-style), checked as an AXFR would be.
        case full(AXFRClientMachine.Result)
        /// The server announced a newer serial but sent no changes: transfer the zone with AXFR.
        case needsFull(SOA)
        case failed(TransferError)
    }

    /// One step of the chain: the records to delete from the version with `from`, then those to add
    /// to reach `to`. The SOAs themselves are not in `deleted`/`added`.
    public struct Sequence: Sendable, Hashable {
        public let from: ResourceRecord
        public let to: ResourceRecord
        public var deleted: [ResourceRecord]
        public var added: [ResourceRecord]

        public init(from: ResourceRecord, to: ResourceRecord, deleted: [ResourceRecord], added: [ResourceRecord]) {
            self.from = from
            self.to = to
            self.deleted = deleted
            self.added = added
        }
    }

    public struct Result: Sendable, Hashable {
        public let zone: DomainName
        /// The server's SOA record (first and last of the response).
        public let soa: ResourceRecord
        public let sequences: [Sequence]
        public let messageCount: Int
        public let byteCount: Int
        public let duration: Duration
        public let verifiedWithTSIG: Bool

        public var serial: SerialNumber { AXFRClientMachine.serial(of: soa) }
        /// Records deleted and added over all sequences (SOAs not counted).
        public var changeCount: Int { sequences.reduce(0) { $0 + $1.deleted.count + $1.added.count } }
    }

    /// Where the response's content stands; each phase carries what it has collected.
    enum Content: Sendable {
        /// Nothing received yet.
        case empty
        /// Only the server's SOA so far.
        case opened(soa: ResourceRecord)
        /// AXFR-style: the records go to `wire`'s AXFR content checks.
        case full
        /// Inside a sequence's deletions.
        case deleting(soa: ResourceRecord, from: ResourceRecord, deleted: [ResourceRecord])
        /// Inside a sequence's additions.
        case adding(soa: ResourceRecord, from: ResourceRecord, deleted: [ResourceRecord], to: ResourceRecord, added: [ResourceRecord])
    }

    enum Phase: Sendable {
        case idle
        case receiving
        case finished(Action)
    }

    public let zone: DomainName
    /// The SOA we hold: sent in the query, and where the first sequence must start.
    public let current: ResourceRecord
    /// The message layer, limits and AXFR content checks (an AXFR machine in `.transferOnly` mode
    /// whose query we never send).
    var wire: AXFRClientMachine
    let queryID: UInt16
    var phase: Phase = .idle
    var content: Content = .empty
    var sequences: [Sequence] = []
    var recordCount = 0

    /// `current` is the zone's SOA record as we hold it (its serial goes in the query).
    public init(zone: DomainName, current: ResourceRecord, key: TSIGKey?, limits: AXFRClientMachine.Limits = .init(),
                timeout: Duration = .seconds(120), queryID: UInt16) {
        self.zone = zone
        self.current = current
        self.queryID = queryID
        wire = AXFRClientMachine(zone: zone, key: key, limits: limits, timeout: timeout, mode: .transferOnly,
                                 soaQueryID: queryID, transferID: queryID)
    }

    public var ourSerial: SerialNumber { AXFRClientMachine.serial(of: current) }

    public var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    public var nextDeadline: Duration? {
        if case .receiving = phase { return wire.nextDeadline }
        return nil
    }

    public mutating func event(_ event: Event, now: Duration) -> Action {
        if case .finished(let action) = phase { return action }
        if case .start(let unixTime) = event {
            guard case .idle = phase else { return .needMore }
            return start(unixTime: unixTime, now: now)
        }
        guard case .receiving = phase else { return finish(.failed(.network("the driver fed an event before .start"))) }
        if let expired = wire.checkTime(now: now) { return finish(.failed(expired)) }
        switch event {
        case .start, .tick:
            return .needMore
        case .closed:
            return finish(.failed(.connectionClosed(stage: .incremental(message: wire.messageCount + 1),
                                                   messages: wire.messageCount, records: recordCount)))
        case .message(let bytes):
            wire.lastProgress = now
            let action = message(bytes, now: now)
            if case .needMore = action { return action }
            return finish(action)
        }
    }

    // MARK: Internals

    mutating func start(unixTime: UInt64, now: Duration) -> Action {
        wire.startedAt = now
        wire.lastProgress = now
        wire.unixTimeAtStart = unixTime
        // RFC 1995 §3: the query's authority section holds the SOA of the version we have.
        let query = Message(id: queryID, questions: [Question(name: zone, type: .IXFR, dnsClass: wire.dnsClass)],
                            authority: [current])
        let signed = wire.sign(query, now: now)
        if let key = wire.key, let mac = signed.mac { wire.verifier = TSIGTransferVerifier(key: key, requestMAC: mac) }
        wire.phase = .transferring
        phase = .receiving
        return .send(signed.bytes)
    }

    mutating func message(_ bytes: [UInt8], now: Duration) -> Action {
        wire.messageCount += 1
        wire.byteCount += bytes.count
        let stage = TransferError.Stage.incremental(message: wire.messageCount)
        let limits = wire.limits
        if wire.messageCount > limits.maxMessages { return .failed(.tooManyMessages(limit: limits.maxMessages)) }
        if wire.byteCount > limits.maxBytes { return .failed(.tooManyBytes(limit: limits.maxBytes, received: wire.byteCount)) }
        let decoded: Message
        switch wire.decode(bytes, stage: stage, id: queryID) {
        case .failure(let error): return .failed(error)
        case .success(let message): decoded = message
        }
        // As for AXFR: an unsigned error answer is reported as the error it is; anything else must verify.
        if wire.verifier != nil, decoded.tsig != nil || decoded.rcode == .NOERROR {
            do { _ = try wire.verifier!.verify(decoded, bytes: bytes, now: wire.unixTime(at: now)) } catch {
                return .failed(.tsig(stage: stage, error))
            }
        }
        if let error = wire.checkHeader(decoded, stage: stage, type: .IXFR, first: wire.messageCount == 1) { return .failed(error) }
        wire.contentDigest.update(data: bytes[2..<(decoded.tsigOffset ?? bytes.count)])
        return consume(decoded.answers, stage: stage, now: now)
    }

    mutating func consume(_ answers: [ResourceRecord], stage: TransferError.Stage, now: Duration) -> Action {
        if case .full = content { return fromWire(wire.consume(answers, stage: stage, now: now)) }
        for (index, record) in answers.enumerated() {
            guard record.dnsClass == wire.dnsClass else {
                return .failed(.wrongClass(name: record.name, type: record.type, found: record.dnsClass,
                                           expected: wire.dnsClass, stage: stage))
            }
            guard record.name.isSubdomain(of: zone) else {
                return .failed(.outOfZone(zone: zone, name: record.name, type: record.type, stage: stage))
            }
            recordCount += 1
            guard recordCount <= wire.limits.maxRecords else { return .failed(.tooManyRecords(limit: wire.limits.maxRecords)) }
            let isSOA = record.type == .SOA
            if isSOA && record.name != zone {
                return .failed(.firstRecordNotSOA(zone: zone, name: record.name, type: record.type))
            }
            let isLast = index == answers.count - 1
            switch content {
            case .empty:
                guard isSOA else { return .failed(.firstRecordNotSOA(zone: zone, name: record.name, type: record.type)) }
                content = .opened(soa: record)
                // The SOA alone in the first message: up to date, or no history to offer.
                if answers.count == 1 && wire.messageCount == 1 { return single(record) }
            case .opened(let soa):
                if !isSOA || record == soa {
                    // AXFR-style (a zone of one SOA comes out as one and is refused by the guards).
                    content = .full
                    return fromWire(wire.consume([soa] + answers[index...], stage: stage, now: now))
                }
                let found = AXFRClientMachine.serial(of: record)
                guard found == ourSerial else { return .failed(.ixfrWrongStart(ours: ourSerial, found: found)) }
                content = .deleting(soa: soa, from: record, deleted: [])
            case .deleting(let soa, let from, var deleted):
                guard isSOA else {
                    deleted.append(record)
                    content = .deleting(soa: soa, from: from, deleted: deleted)
                    continue
                }
                let start = AXFRClientMachine.serial(of: from)
                let end = AXFRClientMachine.serial(of: record)
                guard end > start else {
                    return .failed(.ixfrSerialNotRising(sequence: sequences.count + 1, from: start, to: end))
                }
                let final = AXFRClientMachine.serial(of: soa)
                guard end == final || end < final else {
                    return .failed(.ixfrPastEnd(sequence: sequences.count + 1, announced: final, reached: end))
                }
                content = .adding(soa: soa, from: from, deleted: deleted, to: record, added: [])
            case .adding(let soa, let from, let deleted, let to, var added):
                guard isSOA else {
                    added.append(record)
                    content = .adding(soa: soa, from: from, deleted: deleted, to: to, added: added)
                    continue
                }
                sequences.append(Sequence(from: from, to: to, deleted: deleted, added: added))
                let reached = AXFRClientMachine.serial(of: to)
                let found = AXFRClientMachine.serial(of: record)
                if reached == AXFRClientMachine.serial(of: soa) {
                    // The chain reached the announced version: this SOA must be the first one again, and last.
                    guard record == soa else {
                        return .failed(.closingSOAMismatch(opening: reached, closing: found,
                                                           reason: AXFRClientMachine.difference(soa, record)))
                    }
                    guard isLast else { return .failed(.recordsAfterClosingSOA(stage: stage, count: answers.count - index - 1)) }
                    guard record == to else {
                        return .failed(.closingSOAMismatch(opening: reached, closing: found,
                                                           reason: "the last sequence ends with another SOA than the one announced: "
                                                               + AXFRClientMachine.difference(to, record)))
                    }
                    return close(soa: soa, now: now)
                }
                guard found == reached else {
                    return .failed(.ixfrChainGap(sequence: sequences.count + 1, expected: reached, found: found))
                }
                content = .deleting(soa: soa, from: record, deleted: [])
            case .full:
                return .failed(.network("unreachable: AXFR-style content outside the wire machine"))
            }
        }
        return .needMore
    }

    /// The first message held the SOA alone.
    mutating func single(_ soa: ResourceRecord) -> Action {
        guard case .soa(let data) = soa.rdata else { return .failed(.firstRecordNotSOA(zone: zone, name: soa.name, type: soa.type)) }
        if let verifier = wire.verifier {
            do { try verifier.finish() } catch { return .failed(.tsig(stage: .incremental(message: wire.messageCount), error)) }
        }
        return data.serial > ourSerial ? .needsFull(data) : .upToDate(data)
    }

    mutating func close(soa: ResourceRecord, now: Duration) -> Action {
        if let verifier = wire.verifier {
            do { try verifier.finish() } catch { return .failed(.tsig(stage: .incremental(message: wire.messageCount), error)) }
        }
        let result = Result(zone: zone, soa: soa, sequences: sequences, messageCount: wire.messageCount,
                            byteCount: wire.byteCount, duration: now - wire.startedAt, verifiedWithTSIG: wire.verifier != nil)
        sequences = []
        return .incremental(result)
    }

    func fromWire(_ action: AXFRClientMachine.Action) -> Action {
        switch action {
        case .send(let bytes): .send(bytes)
        case .needMore: .needMore
        case .complete(let result): .full(result)
        case .failed(let error): .failed(error)
        case .soa(let record): .failed(.network("unexpected SOA-only result for \(record.name)"))
        }
    }

    mutating func finish(_ action: Action) -> Action {
        phase = .finished(action)
        if case .incremental = action {} else { sequences = [] }
        content = .empty
        return action
    }
}
