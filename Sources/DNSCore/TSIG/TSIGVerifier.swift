/// Checks the TSIG of requests a server receives, against the keys it shares with its peers
/// (RFC 8945 §5.2), in the order the RFC sets: the key, then the MAC, then the time, then truncation.
/// Checking the MAC before the time means an unauthenticated packet can never learn our clock.
public struct TSIGVerifier: Sendable {
    public var keys: [TSIGKey]
    /// Accept MACs truncated as far as RFC 8945 §5.2.2.1 allows. Off by default: full-length MACs
    /// only, shorter ones get BADTRUNC (what BIND does for a key without a digest-bits setting).
    public var acceptTruncatedMACs: Bool
    /// Fudge written in our responses.
    public var fudge: UInt16

    public init(keys: [TSIGKey], acceptTruncatedMACs: Bool = false, fudge: UInt16 = 300) {
        self.keys = keys
        self.acceptTruncatedMACs = acceptTruncatedMACs
        self.fudge = fudge
    }

    func key(named name: DomainName, algorithm: DomainName) -> TSIGKey? {
        keys.first { $0.name == name && $0.algorithm.name == algorithm }
    }

    /// Decodes and verifies a request. Bytes that do not decode, or whose TSIG is misplaced, are
    /// FORMERR (RFC 8945 §5.2: TSIG must be the one last record).
    public func verifyRequest(_ bytes: [UInt8], now: UInt64) -> TSIGRequestVerdict {
        let message: Message
        do { message = try Message(decoding: bytes) } catch {
            return .rejected(.malformed("\(error)"), response: nil)
        }
        return verifyRequest(message, bytes: bytes, now: now)
    }

    /// Verifies a request already decoded from `bytes` (the MAC covers the bytes, not the parsed form).
    public func verifyRequest(_ message: Message, bytes: [UInt8], now: UInt64) -> TSIGRequestVerdict {
        guard let record = message.tsig else { return .unsigned }
        guard let offset = message.tsigOffset, offset >= Message.headerLength, offset <= bytes.count,
              case .tsig(let tsig) = record.rdata
        else { return .rejected(.malformed("the TSIG record's position in the message is unknown"), response: nil) }
        guard record.dnsClass == .ANY, record.ttl == 0 else {
            return .rejected(.malformed("TSIG record with class \(record.dnsClass) and TTL \(record.ttl), not ANY and 0"),
                             response: nil)
        }
        func plan(_ key: TSIGKey?, _ error: RCode) -> TSIGResponsePlan {
            TSIGResponsePlan(keyName: record.name, algorithm: tsig.algorithm, key: key, requestMAC: tsig.mac,
                             requestTimeSigned: tsig.timeSigned, requestOriginalID: tsig.originalID, error: error,
                             fudge: fudge)
        }
        // 1. Key check (§5.2.1).
        guard let key = key(named: record.name, algorithm: tsig.algorithm) else {
            return .rejected(.unknownKey(name: record.name, algorithm: tsig.algorithm), response: plan(nil, .BADKEY))
        }
        // 2. MAC check (§5.2.2), with the size rules of §5.2.2.1.
        if let problem = TSIGMAC.lengthProblem(tsig.mac.count, algorithm: key.algorithm) {
            return .rejected(.malformed(problem), response: nil)
        }
        var hmac = TSIGMAC(key: key)
        hmac.addMessage(bytes, tsigOffset: offset, originalID: tsig.originalID)
        hmac.addVariables(keyName: record.name, algorithm: tsig.algorithm, timeSigned: tsig.timeSigned,
                          fudge: tsig.fudge, error: tsig.error, otherData: tsig.otherData)
        guard TSIGMAC.matches(received: tsig.mac, computed: hmac.finalize()) else {
            return .rejected(.badSignature(key: key.name), response: plan(nil, .BADSIG))
        }
        // 3. Time check (§5.2.3).
        if TSIGVerifier.outsideFudge(timeSigned: tsig.timeSigned, fudge: tsig.fudge, now: now) {
            return .rejected(.badTime(key: key.name, timeSigned: tsig.timeSigned, fudge: tsig.fudge, now: now),
                             response: plan(key, .BADTIME))
        }
        // 4. Truncation check (§5.2.4).
        let full = key.algorithm.macLength ?? tsig.mac.count
        if tsig.mac.count < full && !acceptTruncatedMACs {
            return .rejected(.badTruncation(key: key.name, macLength: tsig.mac.count, minimum: full),
                             response: plan(key, .BADTRUNC))
        }
        return .verified(plan(key, .NOERROR))
    }

    /// Verifies the response to a request we signed with `key` (its MAC was `requestMAC`). Returns the
    /// response's TSIG; throws for an unsigned response, a wrong key, a bad MAC or time, or a TSIG
    /// error the server sent back.
    public static func verifyResponse(
        _ bytes: [UInt8], key: TSIGKey, requestMAC: [UInt8], now: UInt64, acceptTruncatedMACs: Bool = false
    ) throws(TSIGError) -> TSIG {
        var transfer = TSIGTransferVerifier(key: key, requestMAC: requestMAC, acceptTruncatedMACs: acceptTruncatedMACs)
        guard let tsig = try transfer.verify(bytes, now: now) else { throw .unsignedResponse }
        return tsig
    }

    static func outsideFudge(timeSigned: UInt64, fudge: UInt16, now: UInt64) -> Bool {
        let difference = now > timeSigned ? now - timeSigned : timeSigned - now
        return difference > UInt64(fudge)
    }
}
