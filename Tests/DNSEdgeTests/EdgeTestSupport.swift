import DNSCore
import Foundation
import Logging
import Testing
@testable import DNSEdge
#if canImport(Glibc)
import Glibc
private let systemSend = Glibc.send
#elseif canImport(Darwin)
import Darwin
private let systemSend = Darwin.send
#endif

/// The zone the edge tests serve, with one name for each kind of answer.
enum EdgeFixtures {
    static let origin: DomainName = "example.test."
    static let key = try! TSIGKey(name: "edge-transfer-key", base64Secret: "ZWRnZSB0cmFuc2ZlciBrZXkgZm9yIHRlc3RzIG9ubHkh")
    static let otherKey = try! TSIGKey(name: "stranger-key", base64Secret: "YW5vdGhlciBrZXkgbm9ib2R5IGhlcmUga25vd3MgIQ==")

    static func zoneText(serial: UInt32, hosts: Int = 0) -> String {
        var text = """
            $ORIGIN example.test.
            $TTL 3600
            @        SOA   ns1 hostmaster \(serial) 7200 3600 1209600 300
            @        NS    ns1
            @        NS    ns2
            @        MX    10 mail
            ns1      A     192.0.2.53
            ns2      AAAA  2001:db8::53
            mail     A     192.0.2.25
            www      A     192.0.2.1
            www      AAAA  2001:db8::1
            alias    CNAME www
            sub      NS    ns.sub
            ns.sub   A     192.0.2.99
            txt      TXT   "serial \(serial)" "with \\"quotes\\" and spaces"
            srv      SRV   10 5 443 www
            caa      CAA   0 issue "ca.example"

            """
        // Enough TXT data on one name that a 512-byte UDP answer cannot hold it.
        for i in 0..<12 {
            text += "big TXT \"\(String(repeating: "x", count: 60)) record \(i)\"\n"
        }
        for i in 0..<hosts {
            text += "host\(i) A 198.51.100.\(i % 250 + 1)\nhost\(i) TXT \"host number \(i) of the bulk part\"\n"
        }
        return text
    }

    static func zone(serial: UInt32 = 1, hosts: Int = 0) -> Zone {
        try! Zone(parsing: zoneText(serial: serial, hosts: hosts), origin: origin)
    }

    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edge-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Our server on 127.0.0.1, a free port, with the real router.
struct EdgeServerHarness {
    let server: DNSServer
    let served: ServedZones
    let port: Int

    static func start(
        zones: [Zone] = [EdgeFixtures.zone()], acl: TransferACL = .loopbackOnly, keys: [TSIGKey] = [EdgeFixtures.key],
        notifies: NotifyReceiver? = nil, configuration: DNSServerConfiguration? = nil, messageSize: Int = AXFRWriter.defaultMessageSize
    ) async throws -> EdgeServerHarness {
        let served = try ServedZones(zones)
        var logger = Logger(label: "edge-test")
        logger.logLevel = .warning
        let router = DNSRequestRouter(
            served: served, transfers: ZoneTransferResponder(zones: served, acl: acl, messageSize: messageSize, logger: logger),
            notifies: notifies, tsig: TSIGVerifier(keys: keys), logger: logger)
        let config = configuration ?? DNSServerConfiguration(listen: [ListenAddress(host: "127.0.0.1", port: 0)])
        let server = DNSServer(configuration: config, handler: router, logger: logger)
        try await server.start()
        return EdgeServerHarness(server: server, served: served, port: server.port!)
    }

    func stop() async { await server.stop() }
}

/// Blocking loopback sockets with receive timeouts: a test client that can never hang.
enum EdgeSocket {
    static func address(_ host: String, _ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    static func setTimeout(_ fd: Int32, _ seconds: Double) {
        var tv = timeval()
        tv.tv_sec = .init(Int(seconds))
        tv.tv_usec = .init(Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends one datagram and waits at most `timeout` for the answer (from the same port).
    static func udpExchange(_ bytes: [UInt8], port: Int, timeout: Double = 2, from host: String = "127.0.0.1") -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var local = address(host, 0)
        _ = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        setTimeout(fd, timeout)
        var remote = address("127.0.0.1", port)
        let sent = withUnsafePointer(to: &remote) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == bytes.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65535)
        let received = recv(fd, &buffer, buffer.count, 0)
        guard received >= 0 else { return nil }
        return Array(buffer[0..<received])
    }
}

/// A DNS-over-TCP client connection for tests (framing written by hand, on purpose).
final class EdgeTCPClient {
    private(set) var fd: Int32

    init(port: Int, timeout: Double = 3) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var remote = EdgeSocket.address("127.0.0.1", port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ExternalTool.Failure(command: "connect 127.0.0.1:\(port)", status: errno, output: "TCP connect failed")
        }
        EdgeSocket.setTimeout(fd, timeout)
    }

    deinit { disconnect() }

    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    func sendRaw(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }

    func send(_ message: [UInt8]) {
        sendRaw([UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message)
    }

    private func read(_ count: Int) -> [UInt8]? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: count)
        while result.count < count {
            let received = recv(fd, &buffer, count - result.count, 0)
            if received <= 0 { return nil }
            result += buffer[0..<received]
        }
        return result
    }

    /// The next framed message, or nil on timeout or close.
    func receive() -> [UInt8]? {
        guard let prefix = read(2) else { return nil }
        return read(Int(prefix[0]) << 8 | Int(prefix[1]))
    }

    /// True when the server closed the connection (recv returns 0) within the socket timeout.
    func closedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}

/// What `dig`/`kdig` printed, read the way a person reads it.
struct DigOutput: CustomStringConvertible {
    var text: String
    var status: String?
    var flags: Set<String> = []
    var sections: [String: [String]] = [:]

    init(_ text: String) {
        self.text = text
        var current: String?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if let range = line.range(of: "status: ") {
                status = String(line[range.upperBound...].prefix { $0.isLetter })
            }
            if line.hasPrefix(";; flags:") {
                let flagText = line.dropFirst(";; flags:".count).prefix { $0 != ";" }
                flags = Set(flagText.split(separator: " ").map(String.init))
            }
            if line.hasPrefix(";; "), line.hasSuffix(" SECTION:") {
                current = String(line.dropFirst(3).dropLast(" SECTION:".count))
                continue
            }
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                current = nil
                continue
            }
            if let current, !line.hasPrefix(";") {
                sections[current, default: []].append(line)
            }
        }
    }

    func records(_ section: String) -> [[String]] {
        (sections[section] ?? []).map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
    }

    /// The RDATA texts of `type` records in `section`.
    func data(_ section: String, type: String) -> [String] {
        records(section).filter { $0.count > 4 && $0[3] == type }.map { $0[4...].joined(separator: " ") }
    }

    var description: String { text }
}

enum EdgeDig {
    /// `dig @127.0.0.1 -p PORT ARGS`, bounded.
    static func dig(_ port: Int, _ arguments: [String]) throws -> DigOutput {
        DigOutput(try ExternalTool.run("dig", ["@127.0.0.1", "-p", String(port), "+norec", "+time=2", "+tries=1"] + arguments,
                                       timeout: 20, allowFailure: true))
    }

    static func kdig(_ port: Int, _ arguments: [String]) throws -> String {
        try ExternalTool.run("kdig", ["@127.0.0.1", "-p", String(port), "+norec", "+time=2", "+retry=0"] + arguments,
                             timeout: 30, allowFailure: true)
    }

    /// The records of an AXFR printed by `kdig`, read back with our parser into a zone.
    static func zone(fromAXFR text: String, origin: DomainName) throws -> Zone {
        // Comments, blank lines and the TSIG records kdig prints are not zone data.
        let lines = text.split(separator: "\n").filter { line in
            !line.hasPrefix(";") && !line.trimmingCharacters(in: .whitespaces).isEmpty
                && !line.split(whereSeparator: { $0 == " " || $0 == "\t" }).contains("TSIG")
        }
        var parser = ZoneFileParser(origin: origin)
        return Zone(records: try parser.parse(lines.joined(separator: "\n")), origin: origin)
    }
}

/// Free loopback ports (TCP and UDP both) for the daemons the tests start.
enum EdgePorts {
    static func pick() throws -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20000...60000)
            let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(tcp); close(udp) }
            var address = EdgeSocket.address("127.0.0.1", port)
            let free = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(tcp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                        && bind(udp, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            if free { return port }
        }
        throw ExternalTool.Failure(command: "pick port", status: -1, output: "no free loopback port")
    }
}

/// Polls `condition` every 100 ms for at most `seconds`.
func edgeWait(seconds: Double, until condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return try await condition()
}

