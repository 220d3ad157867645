/// Signs the messages of a multi-message response such as AXFR or IXFR (RFC 8945 §5.3.1), as a
/// value-type state machine fed one message at a time.
///
/// The first message is signed like any response; after it, a signed message's MAC covers the prior
/// MAC, the unsigned messages since it, this message and the timers. `signingInterval` 1 signs every
/// message (as BIND and Knot do); up to 100 leaves that many minus one unsigned in a row. The message
/// marked `isLast` is always signed.
public struct TSIGTransferSigner: Sendable {
    public let plan: TSIGResponsePlan
    public let signingInterval: Int
    private var priorMAC: [UInt8]?
    private var running: TSIGMAC?
    private var unsignedCount = 0
    public private(set) var finished = false

    /// `plan` must be the signing plan of a verified request.
    public init(plan: TSIGResponsePlan, signingInterval: Int = 1) {
        precondition(plan.key != nil && plan.error == .NOERROR, "a transfer is only signed for a verified request")
        self.plan = plan
        self.signingInterval = min(max(signingInterval, 1), TSIGTransferVerifier.maxUnsignedMessages + 1)
    }

    /// Returns the message to send: with a TSIG appended, or unchanged when it is left unsigned.
    public mutating func sign(_ message: [UInt8], isLast: Bool, now: UInt64) -> [UInt8] {
        precondition(!finished, "the transfer's last message was already signed")
        precondition(message.count >= Message.headerLength, "a DNS message has at least a 12-byte header")
        finished = isLast
        guard let prior = priorMAC, let key = plan.key else {
            let signed = plan.sign(message, now: now)
            priorMAC = signed.mac
            return signed.bytes
        }
        if !isLast && unsignedCount + 1 < signingInterval {
            var hmac = running ?? TSIGTransferSigner.start(key: key, prior: prior)
            hmac.addMessage(message, tsigOffset: nil, originalID: nil)
            running = hmac
            unsignedCount += 1
            return message
        }
        var hmac = running ?? TSIGTransferSigner.start(key: key, prior: prior)
        hmac.addMessage(message, tsigOffset: nil, originalID: nil)
        hmac.addTimers(timeSigned: now, fudge: plan.fudge)
        let mac = hmac.finalize()
        let tsig = TSIG(algorithm: plan.algorithm, timeSigned: now, fudge: plan.fudge, mac: mac,
                        originalID: UInt16(message[0]) << 8 | UInt16(message[1]), error: 0)
        priorMAC = mac
        running = nil
        unsignedCount = 0
        return TSIGMAC.appending(record: TSIGMAC.record(keyName: plan.keyName, tsig: tsig), to: message)
    }

    /// Encodes (leaving room for the TSIG) and signs one message of the transfer.
    public mutating func sign(_ message: Message, isLast: Bool, now: UInt64, maxSize: Int = 65535) -> [UInt8] {
        var unsigned = message
        unsigned.tsig = nil
        return sign(unsigned.encode(maxSize: max(Message.minimumMaxSize, maxSize - plan.reservedLength)),
                    isLast: isLast, now: now)
    }

    private static func start(key: TSIGKey, prior: [UInt8]) -> TSIGMAC {
        var hmac = TSIGMAC(key: key)
        hmac.addMAC(prior)
        return hmac
    }
}
