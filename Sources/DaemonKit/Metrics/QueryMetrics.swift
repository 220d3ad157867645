import CoreMetrics
import DNSCore
import Metrics

/// `countersign_queries_total{rcode}`: answers sent, by response code.
///
/// Counted on the query path, so the counters are made once (one per header RCODE, 0–15) and a query
/// costs one array index and an atomic increment. Create it after `Telemetry.bootstrap()`: swift-metrics
/// binds a metric to the factory current at creation.
package final class QueryMetrics: Sendable {
    private let byHeaderCode: [Counter]
    private let dropped: Counter

    package init() {
        byHeaderCode = (0..<16).map { code in
            Counter(label: CountersignMetrics.Name.queries, dimensions: [("rcode", RCode(UInt16(code)).description)])
        }
        dropped = Counter(label: CountersignMetrics.Name.queriesDropped)
    }

    /// Counts one response by the 4-bit RCODE in its header. Extended codes carried partly in OPT (BADVERS,
    /// 16) show under their header bits; the server sends those only to malformed EDNS requests.
    package func record(response bytes: [UInt8]) {
        guard bytes.count >= 4 else { return }
        byHeaderCode[Int(bytes[3] & 0x0F)].increment()
    }

    package func record(_ rcode: RCode) {
        byHeaderCode[Int(rcode.headerBits)].increment()
    }

    /// A request that got no answer at all (malformed beyond a FORMERR, or a response sent to us).
    package func recordDropped() {
        dropped.increment()
    }
}
