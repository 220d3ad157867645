import Crypto
/// The client side of an incoming zone transfer, as a pure state machine: an SOA query, then an AXFR
/// (RFC 5936) on the same TCP connection, checked message by message. It owns no socket and reads no
/// clock: the driver feeds it events with the current monotonic time and does what the actions say.
///
/// Both queries go over TCP, one after the other on one connection (RFC 7766 §6.2.1 allows several
/// queries per connection), so there is no UDP truncation fallback to get wrong and the SOA answer
/// comes from the very server that then sends the zone.
///
/// The transfer succeeds only as a whole: the machine never hands out records before the closing SOA
/// has arrived and every check has passed. What it enforces, failing at the first violation:
/// - every message: decodable, our ID, QR set, opcode QUERY, RCODE NOERROR, TC clear, the question
///   copied in the first message and absent or the same in later ones;
/// - TSIG when a key is given (RFC 8945 §5.3.1): first and last message signed, at most 99 unsigned in
///   a row between, each MAC chained to the previous one; a signed response when no key was sent fails;
/// - content: the first record is the zone's SOA; an SOA that differs is an error (in the middle or at
///   the end); the opening SOA again ends the transfer and must be the last record of its message;
///   every record in the zone and of its class;
/// - limits: total bytes, records, records per RRset, messages, idle time between messages and an
///   overall deadline, each with its own error.
public struct AXFRClientMachine: Sendable {
    /// What to do: the SOA query then the AXFR (the default), the AXFR alone, or only the SOA query
    /// (a serial check).
    public enum Mode: Sendable, Hashable {
        case soaThenTransfer
        case transferOnly
        case soaOnly
    }

    public enum Event: Sendable {
        /// The TCP connection is up; `unixTime` (seconds since 1970) anchors TSIG time checks, later
        /// wall-clock times are derived from it and the monotonic `now` of each event.
        case start(unixTime: UInt64)
        /// One complete DNS message (a TCP frame without its two-byte length).
        case message([UInt8])
        /// The peer closed the connection.
        case closed
        /// A timer fired: the machine checks its idle and overall deadlines.
        case tick
    }

    public enum Action: Sendable {
        /// Write this query (without the two-byte length prefix) on the connection, then keep reading.
        case send([UInt8])
        /// Keep reading; call with `.tick` at `nextDeadline` at the latest.
        case needMore
        /// `.soaOnly` finished: the zone's SOA record as the server answered it.
        case soa(ResourceRecord)
        /// The whole zone arrived and passed every check.
        case complete(Result)
        /// The transfer failed; nothing of it may be used.
        case failed(TransferError)
    }

    enum Phase: Sendable {
        case idle
        case awaitingSOA(requestMAC: [UInt8]?)
        case transferring
        case finished(Action)
    }

    public let zone: DomainName
    public let dnsClass: DNSClass
    public let key: TSIGKey?
    public let limits: Limits
    /// The deadline for the whole exchange, counted from the `now` of `.start`.
    public let timeout: Duration
    public let mode: Mode
    let soaQueryID: UInt16
    let transferID: UInt16

    var phase: Phase = .idle
    var startedAt: Duration = .zero
    var unixTimeAtStart: UInt64 = 0
    /// When the last complete message arrived (or the last query went out): idle time counts from here.
    var lastProgress: Duration = .zero
    var verifier: TSIGTransferVerifier?
    var queriedSerial: SerialNumber?
    /// AXFR response messages and their bytes (the SOA query's answer is not counted).
    public internal(set) var messageCount = 0
    public internal(set) var byteCount = 0
    /// SHA-256 over the transfer's messages as sent (IDs and TSIG records left out): equal for two
    /// transfers of the same content from the same primary, so a poll can tell "unchanged" without
    /// building and comparing the zone. Different bytes prove nothing (another message split): diff then.
    var contentDigest = SHA256()
    var records: [ResourceRecord] = []
    var openingSOA: ResourceRecord?
    var openingSOAWire: [UInt8] = []
    var rrsetSizes: [RRsetKey: Int] = [:]

    /// `soaQueryID` and `transferID` are the message IDs to use (the driver draws them at random).
    public init(
        zone: DomainName, dnsClass: DNSClass = .IN, key: TSIGKey?, limits: Limits = Limits(),
        timeout: Duration = .seconds(120), mode: Mode = .soaThenTransfer, soaQueryID: UInt16, transferID: UInt16
    ) {
        self.zone = zone
        self.dnsClass = dnsClass
        self.key = key
        self.limits = limits
        self.timeout = timeout
        self.mode = mode
        self.soaQueryID = soaQueryID
        self.transferID = transferID
    }

    /// True once the machine returned `.complete`, `.soa` or `.failed`; later events repeat that action.
    public var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    /// The time by which the driver must deliver `.tick` if nothing else arrives (nil before `.start`
    /// and after the end).
    public var nextDeadline: Duration? {
        switch phase {
        case .idle, .finished: nil
        case .awaitingSOA, .transferring: min(lastProgress + limits.idleTimeout, startedAt + timeout)
        }
    }

    /// Feeds one event at monotonic time `now` (any origin, as long as it is the same for every event).
    public mutating func event(_ event: Event, now: Duration) -> Action {
        if case .finished(let action) = phase { return action }
        if case .start(let unixTime) = event {
            return start(unixTime: unixTime, now: now)
        }
        if case .idle = phase {
            return finish(.failed(.network("the driver fed an event before .start")))
        }
        if let expired = checkTime(now: now) { return finish(.failed(expired)) }
        switch event {
        case .start:
            return .needMore  // handled above
        case .tick:
            return .needMore
        case .closed:
            return finish(.failed(.connectionClosed(stage: awaitedStage, messages: messageCount, records: records.count)))
        case .message(let bytes):
            lastProgress = now
            let action: Action
            switch phase {
            case .awaitingSOA(let requestMAC):
                action = soaResponse(bytes, requestMAC: requestMAC, now: now)
            default:
                action = transferMessage(bytes, now: now)
            }
            switch action {
            case .send, .needMore: return action
            default: return finish(action)
            }
        }
    }

    // MARK: Internals

    mutating func start(unixTime: UInt64, now: Duration) -> Action {
        guard case .idle = phase else { return .needMore }
        startedAt = now
        lastProgress = now
        unixTimeAtStart = unixTime
        if mode == .transferOnly { return sendTransferQuery(now: now) }
        let signed = sign(Message.query(name: zone, type: .SOA, dnsClass: dnsClass, id: soaQueryID, udpPayloadSize: nil),
                          now: now)
        phase = .awaitingSOA(requestMAC: signed.mac)
        return .send(signed.bytes)
    }

    mutating func sendTransferQuery(now: Duration) -> Action {
        let signed = sign(Message.query(name: zone, type: .AXFR, dnsClass: dnsClass, id: transferID, udpPayloadSize: nil),
                          now: now)
        if let key, let mac = signed.mac { verifier = TSIGTransferVerifier(key: key, requestMAC: mac) }
        phase = .transferring
        lastProgress = now
        return .send(signed.bytes)
    }

    /// The query's bytes, with a TSIG when a key is configured (and that TSIG's MAC).
    func sign(_ query: Message, now: Duration) -> (bytes: [UInt8], mac: [UInt8]?) {
        guard let key else { return (query.encode(), nil) }
        let signed = TSIGSigner(key: key).signRequest(query, now: unixTime(at: now))
        return (signed.bytes, signed.mac)
    }

    /// Wall-clock seconds at monotonic `now`, for TSIG.
    func unixTime(at now: Duration) -> UInt64 {
        let elapsed = (now - startedAt).components.seconds
        return elapsed >= 0 ? unixTimeAtStart &+ UInt64(elapsed) : unixTimeAtStart &- UInt64(-elapsed)
    }

    /// The stage the machine is waiting for (for errors).
    var awaitedStage: TransferError.Stage {
        if case .awaitingSOA = phase { return .soaQuery }
        return .transfer(message: messageCount + 1)
    }

    /// The idle limit is checked first: when both expire together, silence is the better explanation.
    func checkTime(now: Duration) -> TransferError? {
        if now - lastProgress >= limits.idleTimeout {
            return .idleTimeout(stage: awaitedStage, limit: limits.idleTimeout, messages: messageCount, bytes: byteCount)
        }
        if now - startedAt >= timeout {
            return .deadlineExceeded(limit: timeout, messages: messageCount, records: records.count)
        }
        return nil
    }

    mutating func finish(_ action: Action) -> Action {
        phase = .finished(action)
        if case .complete = action {} else {
            // Nothing partial survives a failure, not even inside the machine.
            records = []
            rrsetSizes = [:]
        }
        return action
    }
}
