/// Signs requests with a TSIG key (RFC 8945 §4.3): the MAC covers the message as it is before the TSIG
/// record is added, then the TSIG variables. Responses are signed through the `TSIGResponsePlan` the
/// request's verification produced, because they must include the request's MAC.
public struct TSIGSigner: Sendable {
    public let key: TSIGKey
    /// Allowed clock difference in seconds; 300 is what BIND, Knot and RFC 8945 §10 recommend.
    public var fudge: UInt16

    public init(key: TSIGKey, fudge: UInt16 = 300) {
        self.key = key
        self.fudge = fudge
    }

    /// Appends a TSIG record to an encoded request (at least a 12-byte header, no TSIG yet) signed at
    /// `now` (seconds since 1970). Keep the returned MAC to verify the response.
    public func signRequest(_ message: [UInt8], now: UInt64) -> TSIGSignedMessage {
        precondition(message.count >= Message.headerLength, "a DNS message has at least a 12-byte header")
        var hmac = TSIGMAC(key: key)
        hmac.addMessage(message, tsigOffset: nil, originalID: nil)
        hmac.addVariables(keyName: key.name, algorithm: key.algorithm.name, timeSigned: now, fudge: fudge, error: 0,
                          otherData: [])
        let mac = hmac.finalize()
        let tsig = TSIG(algorithm: key.algorithm.name, timeSigned: now, fudge: fudge, mac: mac,
                        originalID: UInt16(message[0]) << 8 | UInt16(message[1]), error: 0)
        return TSIGSignedMessage(bytes: TSIGMAC.appending(record: TSIGMAC.record(keyName: key.name, tsig: tsig), to: message),
                                 mac: mac)
    }

    /// Encodes and signs a request message (any `tsig` it holds is replaced).
    public func signRequest(_ message: Message, now: UInt64) -> TSIGSignedMessage {
        var unsigned = message
        unsigned.tsig = nil
        return signRequest(unsigned.encode(), now: now)
    }

    /// The plan for signing the response(s) to a request we signed ourselves with MAC `requestMAC`
    /// (the server side of a test, or a transfer we forward).
    public func responsePlan(requestMAC: [UInt8], requestTimeSigned: UInt64, requestID: UInt16) -> TSIGResponsePlan {
        TSIGResponsePlan(keyName: key.name, algorithm: key.algorithm.name, key: key, requestMAC: requestMAC,
                         requestTimeSigned: requestTimeSigned, requestOriginalID: requestID, error: .NOERROR,
                         fudge: fudge)
    }
}
