import Foundation
import Testing

@testable import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// TSIG (RFC 8945): signing and verifying requests, responses and multi-message transfers, the error
/// answers a server owes (BADKEY, BADSIG, BADTIME, BADTRUNC, FORMERR), key formats, and interop with
/// `dig -y` and `kdig -y`, whose signed queries we verify and whose verdict on our signed answers we read.
@Suite("TSIG")
struct TSIGTests {
    static let now: UInt64 = 1_800_000_000
    static let key = try! TSIGKey(spec: "hmac-sha256:transfer-key:c2VjcmV0IHNoYXJlZCBieSBwcmltYXJ5IGFuZCBzaWduZXI=")

    static func query(id: UInt16 = 0x1234, name: DomainName = "www.example.test.") -> Message {
        // Without EDNS, so the last bytes before the TSIG are the answer's (the tamper tests flip them).
        Message.query(name: name, type: .A, id: id, udpPayloadSize: nil)
    }

    /// A response with one A record to `request`.
    static func answer(to request: Message, address: String = "192.0.2.7") -> Message {
        var response = request.makeResponse()
        response.flags.aa = true
        response.answers = [ResourceRecord(
            name: request.question!.name, ttl: 300, rdata: .a(A(IPv4Address(address)!)))]
        return response
    }

    /// Re-encodes the TSIG record at the end of `bytes` after `change` edits it.
    static func editingTSIG(_ bytes: [UInt8], _ change: (inout TSIG) -> Void) throws -> [UInt8] {
        let message = try Message(decoding: bytes)
        let offset = try #require(message.tsigOffset)
        guard case .tsig(var tsig)? = message.tsig?.rdata else {
            Issue.record("no TSIG")
            return bytes
        }
        change(&tsig)
        return Array(bytes[..<offset]) + TSIGMAC.record(keyName: message.tsig!.name, tsig: tsig)
    }

    // MARK: Requests and responses

    @Test("request and response round trip for every HMAC algorithm",
          arguments: [TSIGAlgorithm.hmacSHA256, .hmacSHA384, .hmacSHA512, .hmacSHA1])
    func roundTrip(algorithm: TSIGAlgorithm) throws {
        let key = try TSIGKey.generate(name: "k.example.", algorithm: algorithm)
        #expect(key.secret.count == algorithm.macLength)
        let signed = TSIGSigner(key: key).signRequest(Self.query(), now: Self.now)
        #expect(signed.mac.count == algorithm.macLength)
        let decoded = try Message(decoding: signed.bytes)
        guard case .tsig(let tsig)? = decoded.tsig?.rdata else {
            Issue.record("the signed request has no TSIG record")
            return
        }
        #expect(tsig.algorithm == algorithm.name && tsig.timeSigned == Self.now && tsig.fudge == 300)
        #expect(tsig.originalID == 0x1234 && tsig.error == 0 && tsig.mac == signed.mac)

        let verifier = TSIGVerifier(keys: [try TSIGKey.generate(name: "other.", algorithm: algorithm), key])
        guard case .verified(let plan) = verifier.verifyRequest(signed.bytes, now: Self.now + 10) else {
            Issue.record("a correctly signed request must verify")
            return
        }
        #expect(plan.key == key && plan.requestMAC == signed.mac && plan.rcode == nil)
        let response = plan.sign(Self.answer(to: decoded), now: Self.now + 11)
        let verified = try TSIGVerifier.verifyResponse(response.bytes, key: key, requestMAC: signed.mac, now: Self.now + 12)
        #expect(verified.mac == response.mac)
        // The response's MAC is bound to this request: with another request MAC it fails.
        #expect(throws: TSIGError.badSignature(key: key.name)) {
            try TSIGVerifier.verifyResponse(response.bytes, key: key, requestMAC: [UInt8](repeating: 0, count: 32), now: Self.now)
        }
    }

    @Test("the MAC covers the original ID: a forwarder may change the ID, nothing else")
    func originalID() throws {
        var bytes = TSIGSigner(key: Self.key).signRequest(Self.query(), now: Self.now).bytes
        let verifier = TSIGVerifier(keys: [Self.key])
        bytes[0] = 0xAB
        bytes[1] = 0xCD
        #expect(verifier.verifyRequest(bytes, now: Self.now).key == Self.key)
        // Setting RD (one header bit) after signing breaks the MAC.
        bytes[2] |= 0x01
        guard case .rejected(.badSignature(let name), _) = verifier.verifyRequest(bytes, now: Self.now) else {
            Issue.record("a changed header must fail as BADSIG")
            return
        }
        #expect(name == Self.key.name)
    }

    @Test("a tampered MAC is BADSIG: NOTAUTH and an unsigned TSIG with error 16, which the client reports")
    func tamperedMAC() throws {
        let signed = TSIGSigner(key: Self.key).signRequest(Self.query(), now: Self.now)
        let tampered = try Self.editingTSIG(signed.bytes) { $0.mac[0] ^= 0x80 }
        let verdict = TSIGVerifier(keys: [Self.key]).verifyRequest(tampered, now: Self.now)
        guard case .rejected(let error, let plan?) = verdict else {
            Issue.record("expected a rejection with an error TSIG, got \(verdict)")
            return
        }
        #expect(error == .badSignature(key: Self.key.name))
        #expect(error.tsigError == .BADSIG && error.rcode == .NOTAUTH)
        #expect(!plan.isSigned && plan.error == .BADSIG && plan.rcode == .NOTAUTH)
        let response = plan.sign(Self.query().makeResponse(), now: Self.now)
        #expect(response.mac.isEmpty)
        let decoded = try Message(decoding: response.bytes)
        #expect(decoded.rcode == .NOTAUTH)
        guard case .tsig(let tsig)? = decoded.tsig?.rdata else {
            Issue.record("the BADSIG answer must carry a TSIG")
            return
        }
        #expect(tsig.error == RCode.BADSIG.rawValue && tsig.mac.isEmpty)
        #expect(throws: TSIGError.peerError(.BADSIG, key: Self.key.name, serverTime: nil)) {
            try TSIGVerifier.verifyResponse(response.bytes, key: Self.key, requestMAC: signed.mac, now: Self.now)
        }
    }

    @Test("an unknown key name, or a known name with another algorithm, is BADKEY")
    func unknownKey() throws {
        let stranger = try TSIGKey(name: "stranger.", base64Secret: Self.key.base64Secret)
        let verifier = TSIGVerifier(keys: [Self.key])
        for key in [stranger, try TSIGKey(name: Self.key.name, algorithm: .hmacSHA512, secret: Self.key.secret)] {
            let signed = TSIGSigner(key: key).signRequest(Self.query(), now: Self.now)
            guard case .rejected(let error, let plan?) = verifier.verifyRequest(signed.bytes, now: Self.now) else {
                Issue.record("expected BADKEY")
                continue
            }
            #expect(error == .unknownKey(name: key.name, algorithm: key.algorithm.name))
            #expect(plan.error == .BADKEY && !plan.isSigned && plan.keyName == key.name)
            let response = plan.sign(Self.query().makeResponse(), now: Self.now)
            #expect(throws: TSIGError.peerError(.BADKEY, key: key.name, serverTime: nil)) {
                try TSIGVerifier.verifyResponse(response.bytes, key: key, requestMAC: signed.mac, now: Self.now)
            }
        }
        // An unsigned request is just that; policy is the caller's.
        #expect(verifier.verifyRequest(Self.query().encode(), now: Self.now) == .unsigned)
    }

    @Test("time outside the fudge is BADTIME, answered signed with our clock; the MAC is checked first")
    func badTime() throws {
        let verifier = TSIGVerifier(keys: [Self.key])
        let signer = TSIGSigner(key: Self.key, fudge: 300)
        // Exactly at the fudge is still fine, one second more is not, in either direction.
        for (offset, ok) in [(300, true), (-300, true), (301, false), (-301, false)] {
            let signed = signer.signRequest(Self.query(), now: Self.now)
            let verdict = verifier.verifyRequest(signed.bytes, now: UInt64(Int64(Self.now) + Int64(offset)))
            #expect((verdict.key != nil) == ok, "offset \(offset)")
        }
        let signed = signer.signRequest(Self.query(), now: Self.now)
        let serverNow = Self.now + 3600
        guard case .rejected(let error, let plan?) = verifier.verifyRequest(signed.bytes, now: serverNow) else {
            Issue.record("expected BADTIME")
            return
        }
        #expect(error == .badTime(key: Self.key.name, timeSigned: Self.now, fudge: 300, now: serverNow))
        #expect(plan.isSigned && plan.error == .BADTIME && plan.rcode == .NOTAUTH)
        let response = plan.sign(Self.query().makeResponse(), now: serverNow)
        let decoded = try Message(decoding: response.bytes)
        guard case .tsig(let tsig)? = decoded.tsig?.rdata else {
            Issue.record("no TSIG on the BADTIME answer")
            return
        }
        // RFC 8945 §5.2.3: the request's time in Time Signed, ours in Other Data.
        #expect(tsig.timeSigned == Self.now && tsig.otherData == TSIGMAC.timeBytes(serverNow))
        #expect(decoded.rcode == .NOTAUTH)
        #expect(throws: TSIGError.peerError(.BADTIME, key: Self.key.name, serverTime: serverNow)) {
            try TSIGVerifier.verifyResponse(response.bytes, key: Self.key, requestMAC: signed.mac, now: Self.now)
        }
        // A forged request far in the past gets BADSIG, not BADTIME: an unauthenticated packet learns nothing.
        let forged = try Self.editingTSIG(signed.bytes) { $0.mac[5] ^= 1 }
        guard case .rejected(.badSignature, _) = verifier.verifyRequest(forged, now: serverNow) else {
            Issue.record("MAC must be checked before time")
            return
        }
        // The client checks the response's time too.
        guard case .verified(let good) = verifier.verifyRequest(signed.bytes, now: Self.now) else { return }
        let late = good.sign(Self.answer(to: Self.query()), now: Self.now)
        #expect(throws: TSIGError.badTime(key: Self.key.name, timeSigned: Self.now, fudge: 300, now: Self.now + 1000)) {
            try TSIGVerifier.verifyResponse(late.bytes, key: Self.key, requestMAC: signed.mac, now: Self.now + 1000)
        }
    }

    @Test("TSIG not last, MAC sizes outside RFC 8945 §5.2.2.1, or wrong class are FORMERR; truncation is BADTRUNC")
    func formatErrorsAndTruncation() throws {
        let verifier = TSIGVerifier(keys: [Self.key])
        let signed = TSIGSigner(key: Self.key).signRequest(Self.query(), now: Self.now)
        // One more additional record after the TSIG.
        var notLast = signed.bytes
        notLast[11] += 1
        var writer = WireWriter(compress: false)
        ResourceRecord(name: "x.example.test.", ttl: 1, rdata: .a(A(IPv4Address("192.0.2.1")!))).encode(to: &writer)
        notLast += writer.bytes
        guard case .rejected(let error, nil) = verifier.verifyRequest(notLast, now: Self.now) else {
            Issue.record("TSIG not last must be FORMERR without a TSIG answer")
            return
        }
        #expect(error.rcode == .FORMERR)

        // MAC sizes: 8 bytes (< 16 for SHA-256) and 33 bytes (> 32) are malformed.
        var fullMAC = TSIGMAC(key: Self.key)
        fullMAC.addMessage(Self.query().encode(), tsigOffset: nil, originalID: nil)
        fullMAC.addVariables(keyName: Self.key.name, algorithm: Self.key.algorithm.name, timeSigned: Self.now,
                             fudge: 300, error: 0, otherData: [])
        let mac = fullMAC.finalize()
        for size in [8, 33] {
            let odd = try Self.editingTSIG(signed.bytes) { $0.mac = Array((mac + [0]).prefix(size)) }
            guard case .rejected(.malformed, nil) = verifier.verifyRequest(odd, now: Self.now) else {
                Issue.record("a \(size)-byte MAC must be FORMERR")
                continue
            }
        }
        // 16 bytes is an allowed truncation: BADTRUNC (signed) by default, accepted when configured.
        let truncated = try Self.editingTSIG(signed.bytes) { $0.mac = Array(mac.prefix(16)) }
        guard case .rejected(let truncError, let plan?) = verifier.verifyRequest(truncated, now: Self.now) else {
            Issue.record("expected BADTRUNC")
            return
        }
        #expect(truncError == .badTruncation(key: Self.key.name, macLength: 16, minimum: 32))
        #expect(plan.isSigned && plan.error == .BADTRUNC)
        let lenient = TSIGVerifier(keys: [Self.key], acceptTruncatedMACs: true)
        #expect(lenient.verifyRequest(truncated, now: Self.now).key == Self.key)
        // A wrong truncated MAC still fails.
        let wrongTruncated = try Self.editingTSIG(truncated) { $0.mac[15] ^= 1 }
        guard case .rejected(.badSignature, _) = lenient.verifyRequest(wrongTruncated, now: Self.now) else {
            Issue.record("a wrong truncated MAC must be BADSIG")
            return
        }
        // TSIG records are class ANY.
        var wrongClass = signed.bytes
        let offset = try #require(try Message(decoding: signed.bytes).tsigOffset)
        let classAt = offset + Self.key.name.wire.count + 2
        wrongClass[classAt] = 0
        wrongClass[classAt + 1] = 1
        guard case .rejected(.malformed, nil) = verifier.verifyRequest(wrongClass, now: Self.now) else {
            Issue.record("a TSIG of class IN must be FORMERR")
            return
        }
    }

    @Test("the client refuses unsigned responses, other keys and tampered answers")
    func clientChecks() throws {
        let signed = TSIGSigner(key: Self.key).signRequest(Self.query(), now: Self.now)
        guard case .verified(let plan) = TSIGVerifier(keys: [Self.key]).verifyRequest(signed.bytes, now: Self.now) else {
            Issue.record("request should verify")
            return
        }
        #expect(throws: TSIGError.unsignedResponse) {
            try TSIGVerifier.verifyResponse(Self.answer(to: Self.query()).encode(), key: Self.key, requestMAC: signed.mac,
                                            now: Self.now)
        }
        let other = try TSIGKey(name: "other.", base64Secret: Self.key.base64Secret)
        let otherPlan = TSIGSigner(key: other).responsePlan(requestMAC: signed.mac, requestTimeSigned: Self.now, requestID: 0x1234)
        #expect(throws: TSIGError.keyMismatch(expected: Self.key.name, found: other.name)) {
            try TSIGVerifier.verifyResponse(otherPlan.sign(Self.answer(to: Self.query()), now: Self.now).bytes,
                                            key: Self.key, requestMAC: signed.mac, now: Self.now)
        }
        var response = plan.sign(Self.answer(to: Self.query()), now: Self.now).bytes
        // Change the answer's address (the last byte before the TSIG record).
        let offset = try #require(try Message(decoding: response).tsigOffset)
        response[offset - 1] ^= 0xFF
        #expect(throws: TSIGError.badSignature(key: Self.key.name)) {
            try TSIGVerifier.verifyResponse(response, key: Self.key, requestMAC: signed.mac, now: Self.now)
        }
    }

    // MARK: Multi-message transfers

    /// `count` AXFR-like messages with distinct answers.
    static func transferMessages(_ count: Int) -> [Message] {
        (0..<count).map { index in
            var message = Self.query(id: 0x4242, name: "example.test.").makeResponse()
            message.answers = [ResourceRecord(
                name: try! DomainName("r\(index).example.test.", origin: .root), ttl: 60,
                rdata: .a(A(IPv4Address(bytes: [192, 0, 2, UInt8(index % 256)])!)))]
            return message
        }
    }

    static func transferPlan() throws -> (TSIGResponsePlan, [UInt8]) {
        let request = TSIGSigner(key: Self.key).signRequest(Self.query(id: 0x4242, name: "example.test."), now: Self.now)
        guard case .verified(let plan) = TSIGVerifier(keys: [Self.key]).verifyRequest(request.bytes, now: Self.now) else {
            throw TSIGTestFailure("transfer request did not verify")
        }
        return (plan, request.mac)
    }

    @Test("a transfer signed on the first, every 100th and the last message verifies with 99 unsigned between")
    func transferWithUnsignedMessages() throws {
        let (plan, requestMAC) = try Self.transferPlan()
        var signer = TSIGTransferSigner(plan: plan, signingInterval: 100)
        let messages = Self.transferMessages(250)
        let wire = messages.enumerated().map { index, message in
            signer.sign(message, isLast: index == messages.count - 1, now: Self.now + UInt64(index / 100))
        }
        var verifier = TSIGTransferVerifier(key: Self.key, requestMAC: requestMAC)
        var signedIndices: [Int] = []
        for (index, bytes) in wire.enumerated() {
            if try verifier.verify(bytes, now: Self.now + 1) != nil { signedIndices.append(index) }
        }
        try verifier.finish()
        #expect(signedIndices == [0, 100, 200, 249])

        // Every message signed (the default) verifies too.
        var everySigner = TSIGTransferSigner(plan: plan)
        var everyVerifier = TSIGTransferVerifier(key: Self.key, requestMAC: requestMAC)
        for (index, message) in messages.prefix(5).enumerated() {
            let bytes = everySigner.sign(message, isLast: index == 4, now: Self.now)
            #expect(try everyVerifier.verify(bytes, now: Self.now) != nil)
        }
        try everyVerifier.finish()

        // The running MAC covers the unsigned messages: changing one breaks the next signed message.
        var tampered = wire
        tampered[50][tampered[50].count - 1] ^= 1
        var tamperedVerifier = TSIGTransferVerifier(key: Self.key, requestMAC: requestMAC)
        #expect(throws: TSIGError.badSignature(key: Self.key.name)) {
            for bytes in tampered.prefix(101) { _ = try tamperedVerifier.verify(bytes, now: Self.now) }
        }
    }

    @Test("transfer violations: 100 unsigned in a row, an unsigned last message, an unsigned first message")
    func transferViolations() throws {
        let (plan, requestMAC) = try Self.transferPlan()
        var signer = TSIGTransferSigner(plan: plan, signingInterval: 100)
        let messages = Self.transferMessages(150)
        var wire = messages.enumerated().map { index, message in
            signer.sign(message, isLast: index == messages.count - 1, now: Self.now)
        }
        // Strip the TSIG of message 100: now 100 unsigned follow the first.
        wire[100] = messages[100].encode()
        var verifier = TSIGTransferVerifier(key: Self.key, requestMAC: requestMAC)
        #expect(throws: TSIGError.tooManyUnsignedMessages(count: 100)) {
            for bytes in wire { _ = try verifier.verify(bytes, now: Self.now) }
        }
        #expect(verifier.messageCount == 101)

        // The last message unsigned: every message passes, but finish() refuses.
        var endSigner = TSIGTransferSigner(plan: plan, signingInterval: 10)
        var endWire = messages.prefix(5).enumerated().map { index, message in
            endSigner.sign(message, isLast: index == 4, now: Self.now)
        }
        endWire[4] = messages[4].encode()
        var endVerifier = TSIGTransferVerifier(key: Self.key, requestMAC: requestMAC)
        for bytes in endWire { _ = try endVerifier.verify(bytes, now: Self.now) }
        #expect(throws: TSIGError.transferEndedUnsigned(unsignedCount: 4)) { try endVerifier.finish() }

        var firstVerifier = TSIGTransferVerifier(key: Self.key, requestMAC: requestMAC)
        #expect(throws: TSIGError.unsignedResponse) { _ = try firstVerifier.verify(messages[0].encode(), now: Self.now) }
    }

    // MARK: Keys

    @Test("keys read from dig -y specs, BIND key statements and keymgr output; secrets never printed")
    func keyFormats() throws {
        let spec = try TSIGKey(spec: "hmac-sha512:Update.Example.:c2VjcmV0")
        #expect(spec.algorithm == .hmacSHA512 && spec.name == "update.example." && spec.secret == Array("secret".utf8))
        #expect(try TSIGKey(spec: "k:c2VjcmV0").algorithm == .hmacSHA256)
        #expect(spec.spec == "hmac-sha512:Update.Example:c2VjcmV0")
        #expect(!spec.description.contains("c2VjcmV0"))
        #expect(throws: TSIGError.invalidKey("secret of key k. is not base64")) { try TSIGKey(spec: "k:not base64!") }
        #expect(throws: TSIGError.self) { try TSIGKey(spec: "hmac-md5:k:c2VjcmV0") }
        #expect(throws: TSIGError.self) { try TSIGKey(spec: "hmac-sha999:k:c2VjcmV0") }
        #expect(throws: TSIGError.self) { try TSIGKey(spec: "k:") }

        let bind = """
            # from tsig-keygen
            key "xfr.example" {
            \talgorithm hmac-sha384;
            \tsecret "c2VjcmV0";   // trailing comment
            };
            options { directory "/var/cache/bind"; };
            key "second" { secret "b3RoZXI="; };
            """
        let keys = try TSIGKey.parseConfiguration(bind)
        #expect(keys.map(\.name) == ["xfr.example.", "second."])
        #expect(keys.map(\.algorithm) == [.hmacSHA384, .hmacSHA256])
        #expect(try TSIGKey.parseConfiguration(spec.bindConfiguration) == [spec])

        guard ExternalTool.require("keymgr") else { return }
        let output = try ExternalTool.run("keymgr", ["-t", "knot-key", "hmac-sha384"])
        let knot = try TSIGKey.parseConfiguration(output)
        #expect(knot.count == 1)
        #expect(knot.first?.name == "knot-key." && knot.first?.algorithm == .hmacSHA384)
        // keymgr also prints the dig -y form on its first line; both must agree.
        let specLine = try #require(output.split(separator: "\n").first { $0.hasPrefix("# hmac") })
        #expect(try TSIGKey(spec: String(specLine.dropFirst(2))) == knot.first)
    }

    // MARK: Interop

    @Test("dig -y and kdig -y: we verify their signed queries, and they verify our signed answers",
          arguments: [("dig", "hmac-sha256"), ("kdig", "hmac-sha256"), ("dig", "hmac-sha512"), ("kdig", "hmac-sha1")])
    func interop(tool: String, algorithmName: String) throws {
        guard ExternalTool.require(tool) else { return }
        let algorithm = try #require(TSIGAlgorithm(mnemonic: algorithmName))
        let key = try TSIGKey.generate(name: "interop-key.", algorithm: algorithm)
        let verifier = TSIGVerifier(keys: [key])
        let output = try Self.serveOne(tool: tool, key: key) { bytes in
            let now = UInt64(Date().timeIntervalSince1970)
            let request = try Message(decoding: bytes)
            guard case .verified(let plan) = verifier.verifyRequest(request, bytes: bytes, now: now) else {
                throw TSIGTestFailure("\(tool)'s signed query did not verify: \(verifier.verifyRequest(request, bytes: bytes, now: now))")
            }
            return plan.sign(Self.answer(to: request, address: "192.0.2.53"), now: now).bytes
        }
        #expect(output.contains("192.0.2.53"), "\(tool) output: \(output)")
        #expect(output.contains("TSIG PSEUDOSECTION"), "\(tool) output: \(output)")
        // dig says "Couldn't verify signature: tsig verify failure", kdig "failed to verify TSIG".
        let lowered = output.lowercased()
        #expect(!lowered.contains("verify failure") && !lowered.contains("couldn't verify")
                    && !lowered.contains("failed to verify"), "\(tool) output: \(output)")
        if tool == "kdig" { #expect(output.contains("NOERROR"), "kdig output: \(output)") }
    }

    @Test("dig and kdig notice a bad MAC in our answer (so the interop check can fail)", arguments: ["dig", "kdig"])
    func interopDetectsBadMAC(tool: String) throws {
        guard ExternalTool.require(tool) else { return }
        let key = try TSIGKey.generate(name: "interop-key.")
        let verifier = TSIGVerifier(keys: [key])
        let output = try Self.serveOne(tool: tool, key: key) { bytes in
            let now = UInt64(Date().timeIntervalSince1970)
            guard case .verified(let plan) = verifier.verifyRequest(bytes, now: now) else {
                throw TSIGTestFailure("query did not verify")
            }
            let request = try Message(decoding: bytes)
            return try Self.editingTSIG(plan.sign(Self.answer(to: request), now: now).bytes) { $0.mac[0] ^= 1 }
        }
        let lowered = output.lowercased()
        #expect(lowered.contains("tsig verify failure") || lowered.contains("failed to verify tsig"),
                "\(tool) output: \(output)")
    }

    @Test("knotd verifies our signed queries; we verify its answers, signed AXFR and BADKEY/BADTIME errors")
    func knotServer() throws {
        guard ExternalTool.require("knotd") else { return }
        let server = try TSIGKnotServer(key: Self.key, records: 3000)
        defer { server.stop() }
        let now = { UInt64(Date().timeIntervalSince1970) }
        let signer = TSIGSigner(key: Self.key)

        // A signed UDP query: knotd checks our MAC, we check its answer's.
        let query = signer.signRequest(Self.query(id: 0x5151, name: "ns1.example.test."), now: now())
        let reply = try server.udpExchange(query.bytes)
        _ = try TSIGVerifier.verifyResponse(reply, key: Self.key, requestMAC: query.mac, now: now())
        let answer = try Message(decoding: reply)
        #expect(answer.rcode == .NOERROR && answer.answers.map(\.rdata) == [.a(A(IPv4Address("192.0.2.1")!))])

        // AXFR over TCP: every message is checked with the running MAC of RFC 8945 §5.3.1.
        var axfr = Message.query(name: "example.test.", type: .AXFR, id: 0x6262, udpPayloadSize: nil)
        axfr.flags.rd = false
        let axfrRequest = signer.signRequest(axfr, now: now())
        let messages = try server.tcpTransfer(axfrRequest.bytes)
        var transfer = TSIGTransferVerifier(key: Self.key, requestMAC: axfrRequest.mac)
        var records = 0
        for bytes in messages {
            _ = try transfer.verify(bytes, now: now())
            records += try Message(decoding: bytes).answers.count
        }
        try transfer.finish()
        #expect(messages.count > 1, "the zone must need several messages")
        #expect(records == 3000 + 4)

        // Errors from the server: an unknown key is BADKEY (unsigned); an old clock is BADTIME, signed,
        // with the server's time, and our verifier authenticates that answer before reporting it.
        let stranger = try TSIGKey(name: "stranger.", base64Secret: Self.key.base64Secret)
        let badKey = TSIGSigner(key: stranger).signRequest(Self.query(id: 1, name: "ns1.example.test."), now: now())
        #expect(throws: TSIGError.peerError(.BADKEY, key: stranger.name, serverTime: nil)) {
            try TSIGVerifier.verifyResponse(try server.udpExchange(badKey.bytes), key: stranger,
                                            requestMAC: badKey.mac, now: now())
        }
        let old = signer.signRequest(Self.query(id: 2, name: "ns1.example.test."), now: now() - 3600)
        do {
            _ = try TSIGVerifier.verifyResponse(try server.udpExchange(old.bytes), key: Self.key, requestMAC: old.mac,
                                                now: now())
            Issue.record("knotd accepted a request signed an hour ago")
        } catch let error as TSIGError {
            guard case .peerError(.BADTIME, _, let serverTime?) = error else {
                Issue.record("expected BADTIME with the server's clock, got \(error)")
                return
            }
            #expect(serverTime + 5 >= now() && serverTime <= now() + 5)
        }
    }

    @Test("dig (and kdig) verify our AXFR signed on messages 1, 101, 201 and 250; dig notices a changed unsigned one",
          arguments: ["dig", "kdig"])
    func transferInterop(tool: String) throws {
        guard ExternalTool.require(tool) else { return }
        let verifier = TSIGVerifier(keys: [Self.key])
        func serve(tamper: Bool) throws -> String {
            try Self.serveTransfer(tool: tool, key: Self.key) { bytes in
                let now = UInt64(Date().timeIntervalSince1970)
                guard case .verified(let plan) = verifier.verifyRequest(bytes, now: now) else {
                    throw TSIGTestFailure("\(tool)'s AXFR request did not verify")
                }
                let request = try Message(decoding: bytes)
                var signer = TSIGTransferSigner(plan: plan, signingInterval: 100)
                let soa = ResourceRecord(name: "example.test.", ttl: 3600, rdata: .soa(SOA(
                    mname: "ns1.example.test.", rname: "admin.example.test.", serial: SerialNumber(1), refresh: 7200,
                    retry: 3600, expire: 1_209_600, minimum: 3600)))
                let count = 250
                return (0..<count).map { index in
                    var message = request.makeResponse()
                    message.flags.aa = true
                    message.answers = [ResourceRecord(
                        name: try! DomainName("r\(index).example.test.", origin: .root), ttl: 60,
                        rdata: .a(A(IPv4Address(bytes: [192, 0, 2, UInt8(index % 256)])!)))]
                    if index == 0 { message.answers.insert(soa, at: 0) }
                    if index == count - 1 { message.answers.append(soa) }
                    var wire = signer.sign(message, isLast: index == count - 1, now: now)
                    // Message 150 is unsigned: change its address after signing.
                    if tamper && index == 150 { wire[wire.count - 1] ^= 0x01 }
                    return wire
                }
            }
        }
        let good = try serve(tamper: false)
        let lowered = good.lowercased()
        #expect(!lowered.contains("verify failure") && !lowered.contains("couldn't verify")
                    && !lowered.contains("failed to verify") && !lowered.contains("transfer failed"), "\(tool): \(good)")
        #expect(good.contains("r249.example.test."), "\(tool): \(good)")
        #expect(good.contains(tool == "dig" ? "messages 250" : "250 messages"), "\(tool): \(good)")
        // kdig (3.2) checks only the first message's TSIG of a transfer; dig checks them all, running MAC
        // included, so it alone judges the unsigned messages.
        guard tool == "dig" else { return }
        let bad = try serve(tamper: true).lowercased()
        #expect(bad.contains("verify failure") || bad.contains("failed to verify") || bad.contains("couldn't verify")
                    || bad.contains("transfer failed"), "\(tool): \(bad)")
    }

    /// Runs `tool -y KEY example.test. AXFR` against a loopback TCP listener and answers its request
    /// with the messages `respond` returns; returns what the tool printed.
    static func serveTransfer(tool: String, key: TSIGKey, respond: ([UInt8]) throws -> [[UInt8]]) throws -> String {
        guard let path = ExternalTool.path(of: tool) else { throw TSIGTestFailure("\(tool) is not installed") }
        let listener = try TSIGTCPListener()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["@127.0.0.1", "-p", String(listener.port), "-y", key.spec, "example.test.", "AXFR"]
            + (tool == "dig" ? ["+tries=1", "+time=3"] : ["+retry=0", "+timeout=3"])
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.launch(process)
        defer {
            if process.isRunning {
                _ = Glibc.kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        // Read the output while the tool runs, so a large transfer never fills the pipe.
        let collected = TSIGToolOutput(output.fileHandleForReading)
        let connection = try listener.accept(timeoutMilliseconds: 5_000)
        let request = try connection.receive()
        for message in try respond(request) { try connection.send(message) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { throw TSIGTestFailure("\(tool) did not finish the transfer within 10 s") }
        return collected.text()
    }

    /// Runs `tool -y KEY` against a loopback UDP socket, answers its first query with `respond`, and
    /// returns everything the tool printed. Bounded waits: 5 s for the query, 5 s for the exit.
    static func serveOne(tool: String, key: TSIGKey, respond: ([UInt8]) throws -> [UInt8]) throws -> String {
        guard let path = ExternalTool.path(of: tool) else { throw TSIGTestFailure("\(tool) is not installed") }
        let socket = try LoopbackUDPSocket()
        let patience = tool == "dig" ? ["+tries=1", "+time=2"] : ["+retry=0", "+timeout=2"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "@127.0.0.1", "-p", String(socket.port), "-y", key.spec, "www.example.test.", "A", "+norecurse",
        ] + patience
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.launch(process)
        defer {
            // Only ever our own child, by its pid.
            if process.isRunning {
                _ = Glibc.kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        guard let (bytes, sender) = socket.receive(timeoutMilliseconds: 5_000) else {
            throw TSIGTestFailure("\(tool) sent no query within 5 s")
        }
        try socket.send(try respond(bytes), to: sender)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { throw TSIGTestFailure("\(tool) did not exit within 5 s of our answer") }
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }
}

struct TSIGTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A knotd on loopback serving example.test. (SOA, NS, A and `records` TXT records) for AXFR to
/// holders of `key`; started for one test and stopped by its own pid.
final class TSIGKnotServer {
    let directory: KeyFileDirectory
    let process = Process()
    let port: UInt16

    init(key: TSIGKey, records: Int) throws {
        directory = try KeyFileDirectory()
        // A port the kernel just handed out, released for knotd (UDP and TCP).
        port = try LoopbackUDPSocket().port
        var zone = """
            $TTL 3600
            example.test. IN SOA ns1.example.test. admin.example.test. 1 7200 3600 1209600 3600
            example.test. IN NS ns1.example.test.
            ns1.example.test. IN A 192.0.2.1

            """
        for i in 0..<records { zone += "host\(i).example.test. IN TXT \"record \(i) with some padding to fill messages\"\n" }
        directory.write("example.test.zone", zone)
        directory.write("knot.conf", """
            server:
                rundir: "\(directory.path)"
                listen: 127.0.0.1@\(port)
            database:
                storage: "\(directory.path)"
            key:
              - id: \(String(key.name.text.dropLast()))
                algorithm: \(key.algorithm.mnemonic)
                secret: \(key.base64Secret)
            acl:
              - id: transfer
                key: \(String(key.name.text.dropLast()))
                action: transfer
            template:
              - id: default
                storage: "\(directory.path)"
                file: "%s.zone"
            zone:
              - domain: example.test
                acl: transfer
            log:
              - target: stderr
                any: warning

            """)
        guard let path = ExternalTool.path(of: "knotd") else { throw TSIGTestFailure("knotd is not installed") }
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-c", directory.path + "/knot.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.launch(process)
        // Ready when it answers for the zone (5 s at most).
        let probe = Message.query(name: "example.test.", type: .SOA, id: 7, udpPayloadSize: nil).encode()
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && process.isRunning {
            if let reply = try? udpExchange(probe, timeoutMilliseconds: 200),
               (try? Message(decoding: reply))?.rcode == .NOERROR {
                return
            }
            usleep(50_000)
        }
        stop()
        throw TSIGTestFailure("knotd did not start serving example.test. on port \(port) within 5 s")
    }

    /// Stops our knotd (by its pid) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func udpExchange(_ query: [UInt8], timeoutMilliseconds: Int32 = 3_000) throws -> [UInt8] {
        let socket = try LoopbackUDPSocket()
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        try socket.send(query, to: address)
        guard let (reply, _) = socket.receive(timeoutMilliseconds: timeoutMilliseconds) else {
            throw TSIGTestFailure("knotd sent no UDP answer")
        }
        return reply
    }

    /// Sends a zone transfer request over TCP and returns every message up to the closing SOA.
    func tcpTransfer(_ query: [UInt8]) throws -> [[UInt8]] {
        let client = try TSIGTCPConnection(port: port)
        try client.send(query)
        var messages: [[UInt8]] = []
        var soaCount = 0
        while soaCount < 2 {
            let bytes = try client.receive()
            let message = try Message(decoding: bytes)
            guard message.rcode == .NOERROR else { throw TSIGTestFailure("AXFR refused: \(message.rcode)") }
            soaCount += message.answers.filter { $0.type == .SOA }.count
            messages.append(bytes)
            if messages.count > 10_000 { throw TSIGTestFailure("AXFR did not end") }
        }
        return messages
    }
}

/// A TCP connection to 127.0.0.1 carrying length-prefixed DNS messages (RFC 1035 §4.2.2), 5 s timeouts.
final class TSIGTCPConnection {
    let descriptor: Int32

    /// Wraps an accepted connection.
    init(descriptor: Int32) {
        self.descriptor = descriptor
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TSIGTestFailure("socket() failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let fd = descriptor
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                connect(fd, generic, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            close(descriptor)
            throw TSIGTestFailure("connect to port \(port) failed: errno \(errno)")
        }
    }

    deinit { close(descriptor) }

    func send(_ message: [UInt8]) throws {
        let framed = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        let sent = framed.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, framed.count, 0) }
        guard sent == framed.count else { throw TSIGTestFailure("TCP send failed") }
    }

    func receive() throws -> [UInt8] {
        let header = try read(2)
        return try read(Int(header[0]) << 8 | Int(header[1]))
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + filled, count - filled, 0) }
            guard got > 0 else { throw TSIGTestFailure("TCP connection closed or timed out after \(filled) of \(count) bytes") }
            filled += got
        }
        return buffer
    }
}

/// A listening TCP socket on 127.0.0.1 with a kernel-chosen port.
final class TSIGTCPListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TSIGTestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0 && listen(fd, 4) == 0
            }
        }
        guard ready else {
            close(fd)
            throw TSIGTestFailure("listening on 127.0.0.1 failed: errno \(errno)")
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }

    func accept(timeoutMilliseconds: Int32) throws -> TSIGTCPConnection {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) == 1 else { throw TSIGTestFailure("no TCP connection within the timeout") }
        let connection = Glibc.accept(descriptor, nil, nil)
        guard connection >= 0 else { throw TSIGTestFailure("accept() failed: errno \(errno)") }
        return TSIGTCPConnection(descriptor: connection)
    }
}

/// Reads a pipe to its end on a background thread, so the writer never blocks on a full pipe.
final class TSIGToolOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let all = handle.readDataToEndOfFile()
            lock.lock()
            data = all
            lock.unlock()
            done.signal()
        }
    }

    /// Everything written, once the writer has closed the pipe (5 s at most).
    func text() -> String {
        _ = done.wait(timeout: .now() + 5)
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }
}
