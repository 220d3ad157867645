@testable import DaemonKit
import DNSEdge
import Foundation
import Metrics
import NIOCore
import Testing

/// `OperationsServer` over real HTTP on 127.0.0.1: curl as the client, as an operator or a Prometheus
/// scraper would use it, and a raw socket for what curl will not send (garbage, oversized requests).
@Suite(.serialized)
struct MetricsEndpointTests {
    /// A health answer the test can flip while the server runs.
    final class Switch: @unchecked Sendable {
        private let lock = NSLock()
        private var report = HealthReport(zonesChecked: 1)
        var current: HealthReport {
            lock.lock(); defer { lock.unlock() }
            return report
        }
        func set(_ new: HealthReport) {
            lock.lock(); defer { lock.unlock() }
            report = new
        }
    }

    static func withServer(idleTimeout: TimeAmount = .seconds(10),
                           _ body: (Int, MetricsRegistry, Switch) async throws -> Void) async throws {
        let registry = MetricsRegistry()
        withMetricsFactory(registry) {
            CountersignMetrics.setSerial(zone: "example.com.", kind: .signed, value: 1_700_000_060)
            CountersignMetrics.pollFinished(zone: "example.com.", result: .unchanged, at: 1_700_000_000)
        }
        let health = Switch()
        var limits = OperationsServer.Limits()
        limits.maxRequestBytes = 4_096
        limits.idleTimeout = idleTimeout
        let server = OperationsServer(listen: ListenAddress(host: "127.0.0.1", port: 0), registry: registry,
                                      health: { health.current }, limits: limits)
        try await server.start()
        let port = try #require(server.boundPort)
        do {
            try await body(port, registry, health)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// `curl` → (status, body). `-w` appends the status after a marker.
    static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let output = try ExternalTool.run("curl", ["-sS", "--max-time", "10", "-w", "\n@@%{http_code}"] + arguments, timeout: 15)
        let parts = output.components(separatedBy: "\n@@")
        return (Int(parts.last ?? "") ?? -1, parts.dropLast().joined(separator: "\n@@"))
    }

    @Test func metricsAreServedInPrometheusTextFormat() async throws {
        guard ExternalTool.require("curl") else { return }
        try await Self.withServer { port, _, _ in
            let (status, body) = try Self.curl(["http://127.0.0.1:\(port)/metrics"])
            #expect(status == 200)
            let samples = MetricsExposition.samples(body)
            #expect(samples[#"countersign_zone_serial{zone="example.com.",kind="signed"}"#] == 1_700_000_060, "\(body)")
            #expect(samples[#"countersign_polls_total{zone="example.com.",result="unchanged"}"#] == 1)
            #expect(body.contains("# TYPE countersign_polls_total counter"))
            let headers = try ExternalTool.run("curl", ["-sS", "--max-time", "10", "-o", "/dev/null", "-D", "-",
                                                        "http://127.0.0.1:\(port)/metrics"], timeout: 15)
            #expect(headers.lowercased().contains("content-type: text/plain; version=0.0.4"), "\(headers)")
        }
    }

    /// The exposition read by the Prometheus project's own parser (prometheus_client, from PyPI), label
    /// values that need escaping included: every series comes back with its labels and value.
    @Test func theExpositionParsesWithPrometheusOwnParser() throws {
        guard ExternalTool.require("python3") else { return }
        let problem = (try? ExternalTool.execute("python3", ["-c", "import prometheus_client.parser"]))?.status != 0
        if problem {
            #expect(ExternalTool.allowMissing, "python3 cannot import prometheus_client (scripts/install-test-deps.sh installs it)")
            return
        }
        let registry = MetricsRegistry()
        let odd = "we\"ird\\zone\n."
        withMetricsFactory(registry) {
            CountersignMetrics.setSerial(zone: odd, kind: .signed, value: 4_294_967_295)
            CountersignMetrics.pollFinished(zone: odd, result: .changed, at: 1_700_000_000)
            CountersignMetrics.pollFinished(zone: "example.com.", result: .failed, at: 1_700_000_060)
            CountersignMetrics.setNotificationQueueDepth(3)
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID().uuidString).txt")
        try registry.exposition().write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            for s in family.samples:
                out.append([family.type, s.name, s.labels, s.value])
        print(json.dumps(out))
        """
        let output = try ExternalTool.run("python3", ["-c", script, file.path], timeout: 30)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[Any]], "\(output)")
        func sample(_ name: String, _ labels: [String: String]) -> (type: String, value: Double)? {
            parsed.first { ($0[1] as? String) == name && ($0[2] as? [String: String]) == labels }
                .map { ($0[0] as? String ?? "", ($0[3] as? NSNumber)?.doubleValue ?? .nan) }
        }
        #expect(sample("countersign_zone_serial", ["zone": odd, "kind": "signed"])?.value == 4_294_967_295, "\(output)")
        #expect(sample("countersign_zone_serial", ["zone": odd, "kind": "signed"])?.type == "gauge")
        #expect(sample("countersign_polls_total", ["zone": odd, "result": "changed"])?.value == 1, "\(output)")
        #expect(sample("countersign_polls_total", ["zone": "example.com.", "result": "failed"])?.type == "counter")
        #expect(sample("countersign_notification_queue_depth", [:])?.value == 3)
        #expect(sample("countersign_zone_last_poll_timestamp_seconds", ["zone": "example.com."])?.value == 1_700_000_060)
    }

    @Test func healthzIs200WhenHealthyAnd503NamingEachProblem() async throws {
        guard ExternalTool.require("curl") else { return }
        try await Self.withServer { port, _, health in
            let ok = try Self.curl(["http://127.0.0.1:\(port)/healthz"])
            #expect(ok.status == 200)
            #expect(ok.body == "ok: 1 zone\n")

            var late = ZoneHealthInput(zone: "example.org.", earliestSignatureExpiry: 1_700_000_000 + 3_600, dangerMargin: 86_400)
            late.expired = false
            health.set(HealthReport.evaluate(zones: [ZoneHealthInput(zone: "example.com.", expired: true), late], now: 1_700_000_000))
            let bad = try Self.curl(["http://127.0.0.1:\(port)/healthz"])
            #expect(bad.status == 503)
            #expect(bad.body.contains("example.com.: expired"), "\(bad.body)")
            #expect(bad.body.contains("example.org.: signatures expire in 1h"), "\(bad.body)")

            let json = try Self.curl(["-H", "Accept: application/json", "http://127.0.0.1:\(port)/healthz"])
            #expect(json.status == 503)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any])
            #expect(object["status"] as? String == "unhealthy")
            #expect((object["problems"] as? [[String: Any]])?.compactMap { $0["zone"] as? String } == ["example.com.", "example.org."])
        }
    }

    @Test func everythingElseIs404AndOtherMethods405() async throws {
        guard ExternalTool.require("curl") else { return }
        try await Self.withServer { port, _, _ in
            let root = try Self.curl(["http://127.0.0.1:\(port)/"])
            let under = try Self.curl(["http://127.0.0.1:\(port)/metrics/x"])
            let admin = try Self.curl(["http://127.0.0.1:\(port)/admin"])
            let post = try Self.curl(["-X", "POST", "-d", "x=1", "http://127.0.0.1:\(port)/metrics"])
            let query = try Self.curl(["http://127.0.0.1:\(port)/metrics?name=x"])
            #expect(root.status == 404)
            #expect(under.status == 404)
            #expect(admin.status == 404)
            #expect(post.status == 405)
            #expect(query.status == 200, "a query string is ignored")
        }
    }

    @Test func oneKeptAliveConnectionServesSeveralRequests() async throws {
        guard ExternalTool.require("curl") else { return }
        try await Self.withServer { port, _, _ in
            let output = try ExternalTool.run("curl", [
                "-sS", "-v", "--max-time", "10", "-o", "/dev/null", "-o", "/dev/null",
                "http://127.0.0.1:\(port)/metrics", "http://127.0.0.1:\(port)/healthz",
            ], timeout: 15)
            #expect(output.contains("Re-using existing connection") || output.contains("Reusing existing connection"), "\(output)")
        }
    }

    @Test func malformedRequestsGet400AndTheConnectionCloses() async throws {
        try await Self.withServer { port, _, _ in
            let reply = try RawHTTP.exchange(port: port, send: Array("NOT HTTP AT ALL\r\n\r\n".utf8))
            #expect(reply.text.hasPrefix("HTTP/1.1 400"), "\(reply.text)")
            #expect(reply.closed, "the server closed the connection")
        }
    }

    @Test func requestsOverTheSizeLimitGet413AndTheConnectionCloses() async throws {
        try await Self.withServer { port, _, _ in
            let padding = String(repeating: "a", count: 8_000)
            let reply = try RawHTTP.exchange(port: port, send: Array("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: \(padding)\r\n\r\n".utf8))
            #expect(reply.text.hasPrefix("HTTP/1.1 413"), "\(reply.text.prefix(200))")
            #expect(!reply.text.contains("countersign_"), "no metrics for an oversized request")
            #expect(reply.closed)
        }
    }

    @Test func aClientThatGoesQuietIsDisconnected() async throws {
        try await Self.withServer(idleTimeout: .milliseconds(300)) { port, _, _ in
            let started = Date()
            let reply = try RawHTTP.exchange(port: port, send: Array("GET /metrics HTTP/1.1\r\nHost: x\r\n".utf8))
            #expect(reply.closed, "a request left unfinished does not hold the connection open")
            #expect(reply.text.isEmpty, "and gets no answer: \(reply.text)")
            #expect(Date().timeIntervalSince(started) < 4)
        }
    }

    @Test func afterStopNothingListens() async throws {
        guard ExternalTool.require("curl") else { return }
        var stoppedPort = 0
        try await Self.withServer { port, _, _ in stoppedPort = port }
        let result = try ExternalTool.execute("curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(stoppedPort)/metrics"], timeout: 10)
        #expect(result.status != 0, "connection refused after stop: \(result.output)")
    }
}

/// One TCP exchange with bounded waits: send bytes, read until the server closes or 5 s pass.
enum RawHTTP {
    static func exchange(port: Int, send bytes: [UInt8]) throws -> (text: String, closed: Bool) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw SocketFailure("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }  // the server may close early (413): read what it said
            offset += sent
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) == 1 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if count < 0 { return (String(decoding: received, as: UTF8.self), errno == ECONNRESET) }
            received += buffer.prefix(count)
        }
        return (String(decoding: received, as: UTF8.self), false)
    }
}
