extension AXFRClientMachine {
    /// The answer to the SOA query: checked like any message, then it must hold the zone's SOA with AA.
    mutating func soaResponse(_ bytes: [UInt8], requestMAC: [UInt8]?, now: Duration) -> Action {
        let stage = TransferError.Stage.soaQuery
        let message: Message
        switch decode(bytes, stage: stage, id: soaQueryID) {
        case .failure(let error): return .failed(error)
        case .success(let decoded): message = decoded
        }
        if let key, let requestMAC, message.tsig != nil || message.rcode == .NOERROR {
            var single = TSIGTransferVerifier(key: key, requestMAC: requestMAC)
            do {
                guard try single.verify(message, bytes: bytes, now: unixTime(at: now)) != nil else {
                    return .failed(.tsig(stage: stage, .unsignedResponse))
                }
            } catch {
                return .failed(.tsig(stage: stage, error))
            }
        }
        if let error = checkHeader(message, stage: stage, type: .SOA, first: true) { return .failed(error) }
        guard message.flags.aa else {
            return .failed(.noSOA(zone: zone, reason: "the answer is not authoritative (AA clear)"))
        }
        guard let record = message.answers.first(where: { $0.type == .SOA && $0.name == zone }),
              case .soa(let soa) = record.rdata
        else {
            return .failed(.noSOA(zone: zone, reason: "the answer section holds \(message.answers.count) records, "
                + "none of them the zone's SOA"))
        }
        queriedSerial = soa.serial
        if mode == .soaOnly { return .soa(record) }
        return sendTransferQuery(now: now)
    }

    /// One message of the AXFR stream.
    mutating func transferMessage(_ bytes: [UInt8], now: Duration) -> Action {
        messageCount += 1
        byteCount += bytes.count
        let stage = TransferError.Stage.transfer(message: messageCount)
        if messageCount > limits.maxMessages { return .failed(.tooManyMessages(limit: limits.maxMessages)) }
        if byteCount > limits.maxBytes { return .failed(.tooManyBytes(limit: limits.maxBytes, received: byteCount)) }

        let message: Message
        switch decode(bytes, stage: stage, id: transferID) {
        case .failure(let error): return .failed(error)
        case .success(let decoded): message = decoded
        }
        // An error answer that is unsigned is reported as the error it is; anything else that claims
        // to be ours must pass TSIG first.
        if verifier != nil, message.tsig != nil || message.rcode == .NOERROR {
            do { _ = try verifier!.verify(message, bytes: bytes, now: unixTime(at: now)) } catch {
                return .failed(.tsig(stage: stage, error))
            }
        }
        if let error = checkHeader(message, stage: stage, type: .AXFR, first: messageCount == 1) { return .failed(error) }
        contentDigest.update(data: bytes[2..<(message.tsigOffset ?? bytes.count)])
        return consume(message.answers, stage: stage, now: now)
    }

    /// Decodes and checks the ID: a message with another ID is not part of our exchange.
    func decode(_ bytes: [UInt8], stage: TransferError.Stage, id: UInt16) -> Swift.Result<Message, TransferError> {
        let message: Message
        do { message = try Message(decoding: bytes) } catch {
            return .failure(.malformedMessage(stage: stage, reason: "\(error)"))
        }
        guard message.id == id else { return .failure(.idMismatch(stage: stage, expected: id, received: message.id)) }
        return .success(message)
    }

    /// The header and question rules shared by the SOA answer and every AXFR message (TSIG already checked).
    func checkHeader(_ message: Message, stage: TransferError.Stage, type: RecordType, first: Bool) -> TransferError? {
        guard message.flags.qr else { return .notAResponse(stage: stage, reason: "QR is clear") }
        guard message.flags.opcode == .QUERY else {
            return .notAResponse(stage: stage, reason: "opcode \(message.flags.opcode), not QUERY")
        }
        guard message.rcode == .NOERROR else { return .serverError(stage: stage, rcode: message.rcode) }
        if key == nil, let tsig = message.tsig { return .unexpectedTSIG(stage: stage, key: tsig.name) }
        guard !message.flags.tc else { return .truncated(stage: stage) }
        let expected = Question(name: zone, type: type, dnsClass: dnsClass)
        // RFC 5936 §2.2.1: copied in the first message, empty or copied in the others.
        let questionOK = first ? message.questions == [expected] : (message.questions.isEmpty || message.questions == [expected])
        guard questionOK else { return .questionMismatch(stage: stage, expected: expected, received: message.questions) }
        return nil
    }
}
