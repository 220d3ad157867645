import Foundation
import Testing

@testable import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// Cross-checks with resolvers' tools nobody here wrote: we decode the queries `dig` (BIND) and `kdig`
/// (Knot) send, and they parse the responses we encode. Each exchange runs over a loopback UDP socket on
/// a port the kernel picks; every wait is bounded and the tool is killed if it overstays.
@Suite("Message interop with dig and kdig")
struct MessageInteropTests {
    // MARK: dig

    @Test("dig's query decodes (RD, AD, CD, EDNS size, DO, cookie) and dig prints exactly our answer",
          .enabled(if: InteropTool.dig.isRequired))
    func digQueryAndResponse() throws {
        try Self.queryAndResponse(.dig)
    }

    @Test("dig without EDNS and RD: decoded as such; our NXDOMAIN with an SOA is printed by dig",
          .enabled(if: InteropTool.dig.isRequired))
    func digPlainNXDOMAIN() throws {
        try Self.plainNXDOMAIN(.dig)
    }

    @Test("dig sees TC and the records that fit in a response we truncated to 512 bytes",
          .enabled(if: InteropTool.dig.isRequired))
    func digTruncated() throws {
        try Self.truncated(.dig)
    }

    // MARK: kdig

    @Test("kdig's query decodes (RD, AD, CD, EDNS size, DO, cookie) and kdig prints exactly our answer",
          .enabled(if: InteropTool.kdig.isRequired))
    func kdigQueryAndResponse() throws {
        try Self.queryAndResponse(.kdig)
    }

    @Test("kdig without EDNS and RD: decoded as such; our NXDOMAIN with an SOA is printed by kdig",
          .enabled(if: InteropTool.kdig.isRequired))
    func kdigPlainNXDOMAIN() throws {
        try Self.plainNXDOMAIN(.kdig)
    }

    @Test("kdig sees TC and the records that fit in a response we truncated to 512 bytes",
          .enabled(if: InteropTool.kdig.isRequired))
    func kdigTruncated() throws {
        try Self.truncated(.kdig)
    }

    // MARK: Scenarios

    fileprivate static func queryAndResponse(_ tool: InteropTool) throws {
        var responseBytes: [UInt8] = []
        var response: Message? = nil
        let exchange = try tool.exchange(
            ["www.example.com", "A", "+dnssec", "+bufsize=1400", "+adflag", "+cdflag", "+cookie"]
        ) { query in
            var reply = query.makeResponse()
            let full = try MessageFixtures.response()
            reply.flags.aa = true
            reply.answers = full.answers
            reply.authority = full.authority
            reply.additional = full.additional
            if let clientCookie = query.edns?.option(OPT.Option.cookie) {
                reply.edns?.options = [EDNS.Option(code: OPT.Option.cookie, data: clientCookie + [9, 8, 7, 6, 5, 4, 3, 2])]
            }
            response = reply
            responseBytes = reply.encode(maxSize: Int(query.edns?.udpPayloadSize ?? 512))
            return responseBytes
        }
        let query = exchange.query
        #expect(query.questions == [Question(name: "www.example.com.", type: .A, dnsClass: .IN)])
        #expect(query.flags.rd && query.flags.ad && query.flags.cd)
        #expect(!query.flags.qr && !query.flags.aa && !query.flags.tc)
        #expect(query.flags.opcode == .QUERY)
        #expect(query.answers.isEmpty && query.authority.isEmpty && query.additional.isEmpty && query.tsig == nil)
        let edns = try #require(query.edns)
        #expect(edns.udpPayloadSize == 1400)
        #expect(edns.dnssecOK)
        #expect(edns.version == 0)
        #expect(edns.option(OPT.Option.cookie)?.count == 8, "client cookie (RFC 7873 §4): 8 bytes")

        // Our bytes were compressed: smaller than the same records written out in full.
        let sent = try #require(response)
        #expect(responseBytes.count < Self.uncompressedSize(sent))
        #expect(exchange.status == 0, "\(tool.name) exited with \(String(describing: exchange.status)): \(exchange.errors)")
        #expect(try Self.printedRecords(exchange.output) == sent.answers + sent.authority + sent.additional,
                "\(tool.name) printed:\n\(exchange.output)")
        #expect(exchange.output.contains("NOERROR"))
    }

    fileprivate static func plainNXDOMAIN(_ tool: InteropTool) throws {
        var sent: Message? = nil
        let exchange = try tool.exchange(["missing.example.org", "MX", "+norecurse", "+noedns"]) { query in
            var reply = query.makeResponse(rcode: .NXDOMAIN)
            reply.flags.aa = true
            reply.authority = try MessageFixtures.records(
                "@ 3600 SOA ns1 hostmaster 2024010101 7200 3600 1209600 300", origin: "example.org.")
            sent = reply
            return reply.encode(maxSize: 512)
        }
        let query = exchange.query
        #expect(query.questions == [Question(name: "missing.example.org.", type: .MX)])
        #expect(!query.flags.rd)
        #expect(query.edns == nil)
        #expect(query.rcode == .NOERROR)
        #expect(exchange.status == 0, "\(tool.name): \(exchange.output)\(exchange.errors)")
        #expect(exchange.output.contains("status: NXDOMAIN"), "\(tool.name) printed:\n\(exchange.output)")
        #expect(try Self.printedRecords(exchange.output) == sent?.authority, "\(tool.name) printed:\n\(exchange.output)")
    }

    fileprivate static func truncated(_ tool: InteropTool) throws {
        var kept: Message? = nil
        let exchange = try tool.exchange(["www.example.com", "TXT", "+bufsize=512", "+ignore"]) { query in
            var reply = query.makeResponse()
            reply.answers = MessageFixtures.bigTXT(20)
            let bytes = reply.encode(maxSize: Int(query.edns?.udpPayloadSize ?? 512))
            kept = try Message(decoding: bytes)
            return bytes
        }
        let decoded = try #require(kept)
        #expect(decoded.flags.tc)
        #expect(!decoded.answers.isEmpty && decoded.answers.count < 20)
        #expect(exchange.query.edns?.udpPayloadSize == 512)
        #expect(exchange.status == 0, "\(tool.name): \(exchange.output)\(exchange.errors)")
        #expect(Self.headerFlags(exchange.output).contains("tc"), "\(tool.name) printed:\n\(exchange.output)")
        #expect(try Self.printedRecords(exchange.output) == decoded.answers, "\(tool.name) printed:\n\(exchange.output)")
    }

    // MARK: Reading the tools' output

    /// The records in dig/kdig output: everything that is not a `;` comment is a record line in master
    /// file format, so our own zone-file parser reads them back into values to compare.
    static func printedRecords(_ output: String) throws -> [ResourceRecord] {
        var parser = ZoneFileParser(origin: .root)
        return try parser.parse(output)
    }

    /// The header flags as printed: dig `;; flags: qr aa rd;`, kdig `;; Flags: qr aa rd;`.
    static func headerFlags(_ output: String) -> [String] {
        for line in output.split(separator: "\n") where line.lowercased().hasPrefix(";; flags:") {
            let afterColon = line.dropFirst(";; flags:".count)
            let flags = afterColon.prefix { $0 != ";" }
            return flags.split(separator: " ").map(String.init)
        }
        return []
    }

    /// What the message would take with no name compression at all.
    static func uncompressedSize(_ message: Message) -> Int {
        var size = Message.headerLength
        for question in message.questions { size += question.name.wire.count + 4 }
        for record in message.answers + message.authority + message.additional {
            size += record.name.wire.count + 10 + record.rdata.wireBytes().count
        }
        if let edns = message.edns { size += 11 + edns.options.reduce(0) { $0 + 4 + $1.data.count } }
        return size
    }
}

/// `dig` or `kdig`, found on PATH, with the options that make it try once and wait briefly.
private struct InteropTool: Sendable {
    let name: String
    /// One attempt, 2-second timeout: the two tools spell it differently.
    let patienceOptions: [String]

    static let dig = InteropTool(name: "dig", patienceOptions: ["+tries=1", "+time=2"])
    static let kdig = InteropTool(name: "kdig", patienceOptions: ["+retry=0", "+timeout=2"])

    var path: String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in directories + ["/usr/bin", "/usr/local/bin"] {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Run the test when the tool is installed, and also when it is not unless missing tools are
    /// explicitly allowed, so that the test then fails saying what to install.
    var isRequired: Bool { path != nil || !ExternalTool.allowMissing }

    struct Exchange {
        var query: Message
        var queryBytes: [UInt8]
        var status: Int32?
        /// Standard output only: the records are parsed from it.
        var output: String
        var errors: String
    }

    /// Starts the tool against a fresh loopback socket, decodes the query it sends, answers with what
    /// `respond` returns, and collects the tool's output. Waits: 5 s for the query, 5 s for the exit.
    func exchange(_ arguments: [String], respond: (Message) throws -> [UInt8]) throws -> Exchange {
        guard let path else {
            throw InteropFailure(
                "\(name) is not installed: run `apt-get install -y bind9-dnsutils knot-dnsutils` "
                    + "(or set COUNTERSIGN_ALLOW_MISSING_TOOLS=1 to skip)")
        }
        let listener = try LoopbackUDPSocket()
        let run = try ToolProcess(path: path, arguments: ["@127.0.0.1", "-p", String(listener.port)] + arguments + patienceOptions)
        defer { run.kill() }
        guard let (bytes, sender) = listener.receive(timeoutMilliseconds: 5_000) else {
            let (status, output, errors) = run.finish(timeoutSeconds: 1)
            throw InteropFailure("\(name) sent no query within 5 s (exit \(String(describing: status))): \(output)\(errors)")
        }
        let query = try Message(decoding: bytes)
        try listener.send(try respond(query), to: sender)
        let (status, output, errors) = run.finish(timeoutSeconds: 5)
        return Exchange(query: query, queryBytes: bytes, status: status, output: output, errors: errors)
    }
}

private struct InteropFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process whose output goes to temporary files (a chatty tool can never block on a full pipe)
/// and is read once it exits; never waited on without a deadline.
private final class ToolProcess {
    let process = Process()
    let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).out")
    let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).err")

    init(path: String, arguments: [String]) throws {
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.launch(process)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: outputURL)
        try? FileManager.default.removeItem(at: errorURL)
    }

    /// Waits up to `timeoutSeconds` for exit (then kills it) and returns exit status (nil if killed),
    /// stdout and stderr.
    func finish(timeoutSeconds: Double) -> (Int32?, String, String) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        var status: Int32? = nil
        if process.isRunning {
            kill()
        } else {
            process.waitUntilExit()
            status = process.terminationStatus
        }
        let out = String(decoding: (try? Data(contentsOf: outputURL)) ?? Data(), as: UTF8.self)
        let err = String(decoding: (try? Data(contentsOf: errorURL)) ?? Data(), as: UTF8.self)
        return (status, out, err)
    }

    /// Kills this child (by its own pid) if it still runs, and reaps it.
    func kill() {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
