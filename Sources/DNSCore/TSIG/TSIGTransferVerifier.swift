/// Verifies the responses to one signed request, including multi-message zone transfers
/// (RFC 8945 §5.3.1), as a value-type state machine fed one message at a time.
///
/// The first message must be signed (its MAC covers the request MAC, the message and all TSIG
/// variables). Later messages may be unsigned, at most 99 in a row; a signed one's MAC covers the
/// prior MAC, the unsigned messages since, this message and the timers only. The last message must be
/// signed: call `finish()` after it. Any thrown error ends the transfer.
public struct TSIGTransferVerifier: Sendable {
    public let key: TSIGKey
    public var acceptTruncatedMACs: Bool
    /// The MAC of the last signed message (the request's before the first response).
    public private(set) var priorMAC: [UInt8]
    /// HMAC over the prior MAC and the unsigned messages received since it.
    private var running: TSIGMAC?
    public private(set) var messageCount = 0
    public private(set) var unsignedCount = 0

    /// RFC 8945 §5.3.1: a TSIG at least on every 100th message.
    public static let maxUnsignedMessages = 99

    public init(key: TSIGKey, requestMAC: [UInt8], acceptTruncatedMACs: Bool = false) {
        self.key = key
        self.priorMAC = requestMAC
        self.acceptTruncatedMACs = acceptTruncatedMACs
    }

    public mutating func verify(_ bytes: [UInt8], now: UInt64) throws(TSIGError) -> TSIG? {
        let message: Message
        do { message = try Message(decoding: bytes) } catch { throw .malformed("\(error)") }
        return try verify(message, bytes: bytes, now: now)
    }

    /// Feeds the next message. Returns its TSIG when it was signed (and verified), nil when it was an
    /// allowed unsigned message.
    public mutating func verify(_ message: Message, bytes: [UInt8], now: UInt64) throws(TSIGError) -> TSIG? {
        messageCount += 1
        guard let record = message.tsig else {
            if messageCount == 1 { throw .unsignedResponse }
            unsignedCount += 1
            if unsignedCount > TSIGTransferVerifier.maxUnsignedMessages {
                throw .tooManyUnsignedMessages(count: unsignedCount)
            }
            var hmac = running ?? startRunning()
            hmac.addMessage(bytes, tsigOffset: nil, originalID: nil)
            running = hmac
            return nil
        }
        guard let offset = message.tsigOffset, offset >= Message.headerLength, offset <= bytes.count,
              case .tsig(let tsig) = record.rdata
        else { throw .malformed("the TSIG record's position in the message is unknown") }
        guard record.name == key.name, tsig.algorithm == key.algorithm.name else {
            throw .keyMismatch(expected: key.name, found: record.name)
        }
        // An error TSIG without a MAC (BADKEY, BADSIG) cannot be authenticated; report what it says.
        if tsig.error != 0 && tsig.mac.isEmpty {
            throw .peerError(RCode(tsig.error), key: key.name, serverTime: nil)
        }
        if let problem = TSIGMAC.lengthProblem(tsig.mac.count, algorithm: key.algorithm) {
            throw .malformed(problem)
        }
        var hmac = running ?? startRunning()
        hmac.addMessage(bytes, tsigOffset: offset, originalID: tsig.originalID)
        if messageCount == 1 {
            hmac.addVariables(keyName: record.name, algorithm: tsig.algorithm, timeSigned: tsig.timeSigned,
                              fudge: tsig.fudge, error: tsig.error, otherData: tsig.otherData)
        } else {
            hmac.addTimers(timeSigned: tsig.timeSigned, fudge: tsig.fudge)
        }
        guard TSIGMAC.matches(received: tsig.mac, computed: hmac.finalize()) else {
            throw .badSignature(key: key.name)
        }
        if tsig.error != 0 {
            let serverTime = tsig.otherData.count == 6 ? tsig.otherData.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } : nil
            throw .peerError(RCode(tsig.error), key: key.name, serverTime: serverTime)
        }
        if TSIGVerifier.outsideFudge(timeSigned: tsig.timeSigned, fudge: tsig.fudge, now: now) {
            throw .badTime(key: key.name, timeSigned: tsig.timeSigned, fudge: tsig.fudge, now: now)
        }
        let full = key.algorithm.macLength ?? tsig.mac.count
        if tsig.mac.count < full && !acceptTruncatedMACs {
            throw .badTruncation(key: key.name, macLength: tsig.mac.count, minimum: full)
        }
        priorMAC = tsig.mac
        running = nil
        unsignedCount = 0
        return tsig
    }

    /// Call after the last message: throws when it was unsigned (or nothing arrived).
    public func finish() throws(TSIGError) {
        if messageCount == 0 { throw .unsignedResponse }
        if unsignedCount > 0 { throw .transferEndedUnsigned(unsignedCount: unsignedCount) }
    }

    private func startRunning() -> TSIGMAC {
        var hmac = TSIGMAC(key: key)
        hmac.addMAC(priorMAC)
        return hmac
    }
}
