/// Why an incoming zone transfer (SOA query + AXFR, RFC 5936; or IXFR, RFC 1995) failed. Every case carries what a person
/// needs to find the fault: which query or message, the values seen and the limit crossed.
///
/// A transfer that fails returns no records at all: callers keep serving what they had.
public enum TransferError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which exchange a message belonged to: the SOA query, or the n-th AXFR response message (from 1).
    public enum Stage: Hashable, Sendable, CustomStringConvertible {
        case soaQuery
        case transfer(message: Int)
        /// The n-th IXFR response message (from 1).
        case incremental(message: Int)

        public var description: String {
            switch self {
            case .soaQuery: "the SOA query"
            case let .transfer(message): "AXFR message \(message)"
            case let .incremental(message): "IXFR message \(message)"
            }
        }
    }

    // MARK: Connection and time

    /// The address is not usable or the connection was refused.
    case connectFailed(server: String, reason: String)
    /// The TCP connection was not established within the connect timeout.
    case connectTimeout(server: String, limit: Duration)
    /// The peer closed the connection before the transfer ended (cut mid-stream).
    case connectionClosed(stage: Stage, messages: Int, records: Int)
    /// Nothing complete arrived for `limit` while waiting for the next message (a silent or trickling peer).
    case idleTimeout(stage: Stage, limit: Duration, messages: Int, bytes: Int)
    /// The whole exchange took longer than its overall deadline.
    case deadlineExceeded(limit: Duration, messages: Int, records: Int)
    /// A socket error other than the above.
    case network(String)
    /// The caller's task was cancelled.
    case cancelled

    // MARK: Message level

    /// The bytes of a response do not decode as a DNS message.
    case malformedMessage(stage: Stage, reason: String)
    /// A response carries another ID than our query (RFC 5936 §2.2: every message has the query's ID).
    case idMismatch(stage: Stage, expected: UInt16, received: UInt16)
    /// QR clear or an opcode other than QUERY: not an answer to our query.
    case notAResponse(stage: Stage, reason: String)
    /// A non-zero RCODE ends the transfer as a failure (RFC 5936 §2.2.1).
    case serverError(stage: Stage, rcode: RCode)
    /// TC set: a TCP response may not be truncated, so the data cannot be trusted.
    case truncated(stage: Stage)
    /// The question section differs from our query (it must be copied in the first message and be
    /// empty or the same in later ones).
    case questionMismatch(stage: Stage, expected: Question, received: [Question])
    /// TSIG verification failed: bad MAC, other key, unsigned where a signature is required, clock skew,
    /// more than 99 unsigned messages, or an unsigned last message (RFC 8945 §5.3.1).
    case tsig(stage: Stage, TSIGError)
    /// A response carries a TSIG although we sent no key, so it cannot be checked.
    case unexpectedTSIG(stage: Stage, key: DomainName)
    /// The SOA query's answer holds no SOA for the zone, or is not authoritative.
    case noSOA(zone: DomainName, reason: String)

    // MARK: Zone content (RFC 5936 §2.2)

    /// The first record of the transfer is not the zone's SOA.
    case firstRecordNotSOA(zone: DomainName, name: DomainName, type: RecordType)
    /// An SOA different from the opening one, followed by more records: an SOA in the middle.
    case soaInMiddle(opening: SerialNumber, found: SerialNumber, record: Int)
    /// The SOA that ends the transfer differs from the opening one (serial or other RDATA).
    case closingSOAMismatch(opening: SerialNumber, closing: SerialNumber, reason: String)
    /// The opening SOA appeared again with more records after it: the stream ended early and went on.
    case recordsAfterClosingSOA(stage: Stage, count: Int)
    /// Bytes arrived after the message holding the closing SOA.
    case dataAfterEnd(bytes: Int)
    /// A record whose owner is not the zone or below it.
    case outOfZone(zone: DomainName, name: DomainName, type: RecordType, stage: Stage)
    /// A record of another class than the zone's.
    case wrongClass(name: DomainName, type: RecordType, found: DNSClass, expected: DNSClass, stage: Stage)

    // MARK: Incremental transfer (RFC 1995)

    /// The first sequence deletes from another version than the one we hold and asked from.
    case ixfrWrongStart(ours: SerialNumber, found: SerialNumber)
    /// A sequence does not start at the serial where the previous one ended.
    case ixfrChainGap(sequence: Int, expected: SerialNumber, found: SerialNumber)
    /// A sequence goes from a serial to one not above it (RFC 1982).
    case ixfrSerialNotRising(sequence: Int, from: SerialNumber, to: SerialNumber)
    /// A sequence goes past the serial the response announced first.
    case ixfrPastEnd(sequence: Int, announced: SerialNumber, reached: SerialNumber)
    /// A sequence deletes a record the zone does not hold at that point.
    case ixfrDeletesMissing(sequence: Int, record: String)
    /// A sequence adds a record the zone already holds at that point.
    case ixfrAddsDuplicate(sequence: Int, record: String)

    // MARK: Limits

    case tooManyBytes(limit: Int, received: Int)
    case tooManyRecords(limit: Int)
    case rrsetTooLarge(name: DomainName, type: RecordType, limit: Int)
    case tooManyMessages(limit: Int)

    public var description: String {
        switch self {
        case let .connectFailed(server, reason): "cannot connect to \(server): \(reason)"
        case let .connectTimeout(server, limit): "no TCP connection to \(server) within \(limit)"
        case let .connectionClosed(stage, messages, records):
            "the server closed the connection during \(stage) after \(messages) messages and \(records) records; "
                + "the transfer is incomplete"
        case let .idleTimeout(stage, limit, messages, bytes):
            "nothing complete arrived for \(limit) while waiting for \(stage) (\(messages) messages, \(bytes) bytes so far)"
        case let .deadlineExceeded(limit, messages, records):
            "the transfer did not finish within \(limit) (\(messages) messages, \(records) records so far)"
        case let .network(reason): "network error: \(reason)"
        case .cancelled: "the transfer was cancelled"
        case let .malformedMessage(stage, reason): "\(stage) does not decode: \(reason)"
        case let .idMismatch(stage, expected, received):
            "\(stage) has ID \(received), the query had \(expected)"
        case let .notAResponse(stage, reason): "\(stage) is not a response to our query: \(reason)"
        case let .serverError(stage, rcode): "the server answered \(stage) with \(rcode)"
        case let .truncated(stage): "\(stage) has the TC bit set"
        case let .questionMismatch(stage, expected, received):
            "\(stage) has the question [\(received.map(\.description).joined(separator: "; "))], expected \(expected)"
        case let .tsig(stage, error): "\(stage): \(error)"
        case let .unexpectedTSIG(stage, key): "\(stage) is signed with TSIG key \(key) but we sent no key"
        case let .noSOA(zone, reason): "no SOA for \(zone): \(reason)"
        case let .firstRecordNotSOA(zone, name, type):
            "the transfer starts with \(name) \(type), not the SOA of \(zone)"
        case let .soaInMiddle(opening, found, record):
            "record \(record) is an SOA with serial \(found) in the middle of the transfer (opening serial \(opening))"
        case let .closingSOAMismatch(opening, closing, reason):
            "the closing SOA (serial \(closing)) differs from the opening SOA (serial \(opening)): \(reason)"
        case let .recordsAfterClosingSOA(stage, count):
            "\(count) records follow the closing SOA in \(stage): the transfer ended early"
        case let .dataAfterEnd(bytes): "\(bytes) bytes arrived after the closing SOA"
        case let .outOfZone(zone, name, type, stage): "\(stage) holds \(name) \(type), outside the zone \(zone)"
        case let .wrongClass(name, type, found, expected, stage):
            "\(stage) holds \(name) \(type) of class \(found), the zone is \(expected)"
        case let .ixfrWrongStart(ours, found):
            "the IXFR starts from serial \(found), but we hold serial \(ours)"
        case let .ixfrChainGap(sequence, expected, found):
            "IXFR sequence \(sequence) starts at serial \(found), but the previous one ended at \(expected)"
        case let .ixfrSerialNotRising(sequence, from, to):
            "IXFR sequence \(sequence) goes from serial \(from) to \(to), which is not higher"
        case let .ixfrPastEnd(sequence, announced, reached):
            "IXFR sequence \(sequence) reaches serial \(reached), past the announced serial \(announced)"
        case let .ixfrDeletesMissing(sequence, record):
            "IXFR sequence \(sequence) deletes a record we do not hold: \(record)"
        case let .ixfrAddsDuplicate(sequence, record):
            "IXFR sequence \(sequence) adds a record we already hold: \(record)"
        case let .tooManyBytes(limit, received): "the transfer reached \(received) bytes, over the limit of \(limit)"
        case let .tooManyRecords(limit): "the transfer holds more than \(limit) records"
        case let .rrsetTooLarge(name, type, limit): "the RRset \(name) \(type) holds more than \(limit) records"
        case let .tooManyMessages(limit): "the transfer takes more than \(limit) messages"
        }
    }
}

extension TransferError {
    /// The primary answered the IXFR query with NOTIMP, REFUSED or FORMERR: it does not do IXFR (for
    /// this zone), and AXFR is the way to the zone. Any other failure is a failure.
    public var meansNoIXFR: Bool {
        guard case .serverError(.incremental(message: 1), let rcode) = self else { return false }
        return rcode == .NOTIMP || rcode == .REFUSED || rcode == .FORMERR
    }
}
