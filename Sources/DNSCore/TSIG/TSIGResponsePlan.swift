/// How the response to a TSIG request must be signed (RFC 8945 §5.3): what the request verification
/// decided, carried to the moment the response is built.
///
/// A verified request gets a normally signed response. A BADTIME or BADTRUNC request gets a signed
/// error response (the client can check it came from us). A BADKEY or BADSIG request gets a TSIG
/// record with the error and an empty MAC, since we cannot or must not sign with that key.
public struct TSIGResponsePlan: Sendable, Hashable {
    /// Key name and algorithm as the request named them.
    public let keyName: DomainName
    public let algorithm: DomainName
    /// The key to sign with; nil for an unsigned error response.
    public let key: TSIGKey?
    /// The request's MAC, as received (it starts the response's digest).
    public let requestMAC: [UInt8]
    public let requestTimeSigned: UInt64
    /// The request's ID as the TSIG recorded it.
    public let requestOriginalID: UInt16
    /// The TSIG Error field of the response: NOERROR, BADKEY, BADSIG, BADTIME or BADTRUNC.
    public let error: RCode
    /// The RCODE the response message must carry: NOTAUTH with a TSIG error, else the caller's own.
    public var rcode: RCode? { error == .NOERROR ? nil : .NOTAUTH }
    public var fudge: UInt16

    public var isSigned: Bool { key != nil }

    init(keyName: DomainName, algorithm: DomainName, key: TSIGKey?, requestMAC: [UInt8], requestTimeSigned: UInt64,
         requestOriginalID: UInt16, error: RCode, fudge: UInt16) {
        self.keyName = keyName
        self.algorithm = algorithm
        self.key = key
        self.requestMAC = requestMAC
        self.requestTimeSigned = requestTimeSigned
        self.requestOriginalID = requestOriginalID
        self.error = error
        self.fudge = fudge
    }

    /// Bytes the TSIG record will add: subtract from the size limit when encoding the response.
    public var reservedLength: Int {
        let macLength = key == nil ? 0 : (key!.algorithm.macLength ?? 64)
        let otherLength = error == .BADTIME ? 6 : 0
        return keyName.wire.count + 10 + algorithm.wire.count + 16 + macLength + otherLength
    }

    /// Appends the response TSIG to an encoded response (which must not already have one). Time
    /// Signed is `now`, except in BADTIME responses, which repeat the request's time and put `now` in
    /// Other Data so the client can see the offset (RFC 8945 §5.2.3).
    public func sign(_ response: [UInt8], now: UInt64) -> TSIGSignedMessage {
        let badTime = error == .BADTIME
        let timeSigned = badTime ? requestTimeSigned : now
        let otherData = badTime ? TSIGMAC.timeBytes(now) : []
        let originalID = UInt16(response[0]) << 8 | UInt16(response[1])
        var mac: [UInt8] = []
        if let key {
            var hmac = TSIGMAC(key: key)
            hmac.addMAC(requestMAC)
            hmac.addMessage(response, tsigOffset: nil, originalID: nil)
            hmac.addVariables(keyName: keyName, algorithm: algorithm, timeSigned: timeSigned, fudge: fudge,
                              error: error.rawValue, otherData: otherData)
            mac = hmac.finalize()
        }
        let tsig = TSIG(algorithm: algorithm, timeSigned: timeSigned, fudge: fudge, mac: mac, originalID: originalID,
                        error: error.rawValue, otherData: otherData)
        let record = TSIGMAC.record(keyName: keyName, tsig: tsig)
        return TSIGSignedMessage(bytes: TSIGMAC.appending(record: record, to: response), mac: mac)
    }

    /// Encodes `response` within `maxSize` less the TSIG's room, sets NOTAUTH for a TSIG error, and signs.
    public func sign(_ response: Message, now: UInt64, maxSize: Int = 65535) -> TSIGSignedMessage {
        var message = response
        message.tsig = nil
        if let rcode { message.rcode = rcode }
        return sign(message.encode(maxSize: max(Message.minimumMaxSize, maxSize - reservedLength)), now: now)
    }
}
