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
        print("=====OUT \(tool) \(algorithmName)\n\(output)")
        #expect(output.contains("192.0.2.53"), "\(tool) output: \(output)")
        #expect(output.contains("TSIG PSEUDOSECTION"), "\(tool) output: \(output)")
        #expect(!output.lowercased().contains("verify failure") && !output.lowercased().contains("couldn't verify"),
                "\(tool) output: \(output)")
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
        print("=====BAD \(tool)\n\(output)")
        let lowered = output.lowercased()
        #expect(lowered.contains("verify failure") || lowered.contains("couldn't verify") || lowered.contains("badsig")
                    || lowered.contains("failed"), "\(tool) output: \(output)")
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
        try process.run()
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

/// One UDP socket on 127.0.0.1 with a kernel-chosen port.
final class LoopbackUDPSocket {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TSIGTestFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TSIGTestFailure("binding a UDP socket on 127.0.0.1 failed: errno \(errno)")
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(descriptor) }

    func receive(timeoutMilliseconds: Int32) -> ([UInt8], sockaddr_in)? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_535)
        var sender = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = withUnsafeMutablePointer(to: &sender) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                recvfrom(descriptor, &buffer, buffer.count, 0, generic, &length)
            }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer.prefix(count)), sender)
    }

    func send(_ bytes: [UInt8], to address: sockaddr_in) throws {
        var target = address
        let sent = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                sendto(descriptor, bytes, bytes.count, 0, generic, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == bytes.count else { throw TSIGTestFailure("sendto() sent \(sent) of \(bytes.count) bytes") }
    }
}
