@testable import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Metrics
import Testing

/// The names, labels and values an operator's Prometheus sees, read back from the text exposition.
struct MetricsFacadeTests {
    /// Runs `body` with swift-metrics bound to a fresh registry (task-local, so parallel tests do not mix)
    /// and returns that registry's exposition as `series → value`.
    static func scrape(_ body: () throws -> Void) rethrows -> (samples: [String: Double], text: String) {
        let registry = MetricsRegistry()
        try withMetricsFactory(registry) { try body() }
        let text = registry.exposition()
        return (MetricsExposition.samples(text), text)
    }

    @Test func zoneMetricsCarryTheZoneAndTheDocumentedLabels() {
        let (samples, text) = Self.scrape {
            CountersignMetrics.setSerial(zone: "example.com.", kind: .unsigned, value: 2024050101)
            CountersignMetrics.setSerial(zone: "example.com.", kind: .signed, value: 4_294_967_295)
            CountersignMetrics.pollFinished(zone: "example.com.", result: .unchanged, at: 1_700_000_000)
            CountersignMetrics.pollFinished(zone: "example.com.", result: .changed, at: 1_700_000_060)
            CountersignMetrics.pollFinished(zone: "example.com.", result: .failed, at: 1_700_000_120)
            CountersignMetrics.pollFinished(zone: "example.com.", result: .failed, at: 1_700_000_180)
            CountersignMetrics.transferRefused(zone: "example.com.", reason: .shrink)
            CountersignMetrics.zoneSigned(zone: "example.com.", reason: .change)
            CountersignMetrics.setEarliestSignatureExpiry(zone: "example.com.", at: 1_701_209_600)
            CountersignMetrics.setExpired(zone: "example.com.", false)
            CountersignMetrics.aliasResolved(zone: "search.usa.gov.", result: .resolved)
            CountersignMetrics.aliasResolved(zone: "search.usa.gov.", result: .nxdomain)
            CountersignMetrics.aliasResolved(zone: "search.usa.gov.", result: .resolved)
        }
        #expect(samples[#"countersign_zone_serial{zone="example.com.",kind="unsigned"}"#] == 2024050101)
        #expect(samples[#"countersign_zone_serial{zone="example.com.",kind="signed"}"#] == 4_294_967_295,
                "a serial near 2^32 survives the Double gauge exactly")
        #expect(samples[#"countersign_polls_total{zone="example.com.",result="failed"}"#] == 2)
        #expect(samples[#"countersign_polls_total{zone="example.com.",result="changed"}"#] == 1)
        #expect(samples[#"countersign_zone_last_poll_timestamp_seconds{zone="example.com."}"#] == 1_700_000_180)
        #expect(samples[#"countersign_zone_last_successful_transfer_timestamp_seconds{zone="example.com."}"#] == 1_700_000_060,
                "a failed poll does not move the last successful transfer")
        #expect(samples[#"countersign_transfer_refusals_total{zone="example.com.",reason="shrink"}"#] == 1)
        #expect(samples[#"countersign_signings_total{zone="example.com.",reason="change"}"#] == 1)
        #expect(samples[#"countersign_zone_earliest_signature_expiry_timestamp_seconds{zone="example.com."}"#] == 1_701_209_600)
        #expect(samples[#"countersign_zone_expired{zone="example.com."}"#] == 0)
        #expect(samples[#"countersign_alias_resolutions_total{zone="search.usa.gov.",result="resolved"}"#] == 2)
        #expect(samples[#"countersign_alias_resolutions_total{zone="search.usa.gov.",result="nxdomain"}"#] == 1)
        #expect(text.contains("# TYPE countersign_polls_total counter"))
        #expect(text.contains("# TYPE countersign_zone_serial gauge"))
    }

    @Test func aRemovedZoneStopsShowingItsGauges() {
        let (samples, _) = Self.scrape {
            CountersignMetrics.setSerial(zone: "gone.example.", kind: .signed, value: 7)
            CountersignMetrics.setEarliestSignatureExpiry(zone: "gone.example.", at: 1_800_000_000)
            CountersignMetrics.pollFinished(zone: "gone.example.", result: .changed, at: 1_700_000_000)
            CountersignMetrics.setSerial(zone: "kept.example.", kind: .signed, value: 9)
            CountersignMetrics.zoneRemoved(zone: "gone.example.")
        }
        #expect(!samples.keys.contains { $0.contains("countersign_zone_") && $0.contains("gone.example.") },
                "no serial, expiry or timestamp left for the removed zone: \(samples.keys.sorted())")
        #expect(samples[#"countersign_zone_serial{zone="kept.example.",kind="signed"}"#] == 9)
        #expect(samples[#"countersign_polls_total{zone="gone.example.",result="changed"}"#] == 1, "counters stay, as Prometheus expects")
    }

    @Test func notificationQueueAndFailuresByChannel() {
        let (samples, _) = Self.scrape {
            CountersignMetrics.setNotificationQueueDepth(5)
            CountersignMetrics.setNotificationQueueDepth(3)
            CountersignMetrics.notificationFailed(channel: "ops")
            CountersignMetrics.notificationFailed(channel: "ops")
            CountersignMetrics.notificationDelivered(channel: "mail")
        }
        #expect(samples["countersign_notification_queue_depth"] == 3)
        #expect(samples[#"countersign_notification_failures_total{channel="ops"}"#] == 2)
        #expect(samples[#"countersign_notifications_delivered_total{channel="mail"}"#] == 1)
    }

    /// A handler that answers with a fixed RCODE, or streams, or drops.
    struct FixedHandler: DNSRequestHandler {
        var action: @Sendable () -> DNSResponseAction
        func handle(_ request: DNSRequest) -> DNSResponseAction { action() }
    }

    /// A bare response header: id 7, QR set, the RCODE in the low bits of byte 3.
    static func response(_ rcode: RCode) -> [UInt8] {
        [0, 7, 0x80, rcode.headerBits, 0, 0, 0, 0, 0, 0, 0, 0]
    }

    static func request() -> DNSRequest {
        DNSRequest(bytes: [UInt8](repeating: 0, count: 12), source: PeerAddress(ListenAddress(host: "127.0.0.1", port: 5353))!,
                   transport: .udp)
    }

    @Test func queriesAreCountedByTheResponseCode() {
        let (samples, _) = Self.scrape {
            let metrics = QueryMetrics()
            let nxdomain = CountingRequestHandler(FixedHandler { .reply(Self.response(.NXDOMAIN)) }, metrics: metrics)
            let refused = CountingRequestHandler(FixedHandler { .reply(Self.response(.REFUSED)) }, metrics: metrics)
            let dropped = CountingRequestHandler(FixedHandler { .drop }, metrics: metrics)
            for _ in 0..<3 { _ = nxdomain.handle(Self.request()) }
            _ = refused.handle(Self.request())
            _ = dropped.handle(Self.request())
        }
        #expect(samples[#"countersign_queries_total{rcode="NXDOMAIN"}"#] == 3)
        #expect(samples[#"countersign_queries_total{rcode="REFUSED"}"#] == 1)
        #expect(samples[#"countersign_queries_total{rcode="NOERROR"}"#] == 0)
        #expect(samples["countersign_queries_dropped_total"] == 1)
    }

    @Test func aTransferCountsOnceWhenItsFirstMessageIsTaken() {
        let registry = MetricsRegistry()
        let metrics = withMetricsFactory(registry) { QueryMetrics() }
        let handler = CountingRequestHandler(FixedHandler {
            var left = 3
            return .stream(DNSResponseStream(next: {
                guard left > 0 else { return nil }
                left -= 1
                return Self.response(.NOERROR)
            }))
        }, metrics: metrics)
        let noerror = #"countersign_queries_total{rcode="NOERROR"}"#
        guard case let .stream(stream) = handler.handle(Self.request()) else {
            Issue.record("the stream was not passed through")
            return
        }
        #expect(MetricsExposition.samples(registry.exposition())[noerror] == 0, "nothing counted before a message is taken")
        var messages = 0
        while stream.next() != nil { messages += 1 }
        stream.finish(completed: true)
        #expect(messages == 3, "every message of the transfer still flows")
        #expect(MetricsExposition.samples(registry.exposition())[noerror] == 1, "a transfer is one answer")
    }

    @Test func telemetryBootstrapsOnceAndTheGlobalFactoryFeedsItsRegistry() {
        let first = Telemetry.bootstrap()
        let second = Telemetry.bootstrap()
        #expect(first === second, "a second bootstrap returns the same registry instead of crashing")
        let zone = "telemetry-\(UUID().uuidString.lowercased()).example."
        CountersignMetrics.setSerial(zone: zone, kind: .unsigned, value: 42)
        #expect(MetricsExposition.samples(first.exposition())["countersign_zone_serial{zone=\"\(zone)\",kind=\"unsigned\"}"] == 42)
    }
}

/// Reads Prometheus text exposition the way a scraper does, enough for tests: `series value` lines.
enum MetricsExposition {
    static func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }
}
