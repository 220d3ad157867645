import CoreMetrics
import Foundation

/// The process's metrics as swift-metrics' factory, rendered in the Prometheus text exposition format
/// (version 0.0.4) for `/metrics`.
///
/// Our own instead of swift-prometheus' registry because of how series are added: that registry copies a
/// metric's whole table of series each time a new label set appears, and our per-zone series appear by
/// the ten thousand (a signer's first signing of 10,000 zones adds about ten series per zone). By 3,000
/// zones those copies were a sixth of the signer's CPU and the cost grew with every zone; here a series
/// is added in place. Counters and gauges are what the daemons use; a timer is kept as a gauge of its
/// last value in seconds and an aggregating recorder as a gauge of its last value (neither is used).
package final class MetricsRegistry: MetricsFactory, @unchecked Sendable {
    enum Kind: String {
        case counter, gauge
    }

    /// One metric name: its kind and its series by rendered label set (`{zone="a.",kind="signed"}`, or ""
    /// without labels). A class, so a series is added to its table in place.
    final class Family {
        let kind: Kind
        var series: [String: Series] = [:]
        init(kind: Kind) { self.kind = kind }
    }

    /// One time series: a counter's count or a gauge's value, behind its own lock (updates from any
    /// thread do not wait for the registry's lock).
    final class Series: CounterHandler, RecorderHandler, TimerHandler, @unchecked Sendable {
        let name: String
        let labels: String
        private let lock = NSLock()
        private var count: Int64 = 0
        private var value: Double = 0

        init(name: String, labels: String) {
            self.name = name
            self.labels = labels
        }

        func increment(by amount: Int64) {
            lock.lock(); defer { lock.unlock() }
            count &+= amount
        }

        func reset() {
            lock.lock(); defer { lock.unlock() }
            count = 0
        }

        func record(_ value: Int64) { record(Double(value)) }

        func record(_ value: Double) {
            lock.lock(); defer { lock.unlock() }
            self.value = value
        }

        func recordNanoseconds(_ duration: Int64) { record(Double(duration) / 1e9) }

        func rendered(_ kind: Kind) -> String {
            lock.lock(); defer { lock.unlock() }
            switch kind {
            case .counter: return String(count)
            case .gauge: return Self.render(value)
            }
        }

        /// Integral values as integers (a serial near 2^32 reads as itself), others as Swift prints them.
        static func render(_ value: Double) -> String {
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
            if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
            return String(value)
        }
    }

    private let lock = NSLock()
    private var families: [String: Family] = [:]

    package init() {}

    private func series(_ name: String, _ dimensions: [(String, String)], kind: Kind) -> Series {
        let labels = Self.labels(dimensions)
        lock.lock(); defer { lock.unlock() }
        let family: Family
        if let existing = families[name] {
            // One name, one kind: a programming error otherwise, which the exposition could not express.
            precondition(existing.kind == kind, "metric \(name) is a \(existing.kind.rawValue), not a \(kind.rawValue)")
            family = existing
        } else {
            family = Family(kind: kind)
            families[name] = family
        }
        if let series = family.series[labels] { return series }
        let series = Series(name: name, labels: labels)
        family.series[labels] = series
        return series
    }

    private func remove(_ handler: AnyObject) {
        guard let series = handler as? Series else { return }
        lock.lock(); defer { lock.unlock() }
        guard let family = families[series.name], family.series[series.labels] === series else { return }
        family.series[series.labels] = nil
    }

    /// `{key="value",…}` in the order given, values escaped as the format asks (\\, \", \n).
    static func labels(_ dimensions: [(String, String)]) -> String {
        guard !dimensions.isEmpty else { return "" }
        var text = "{"
        for (index, (key, value)) in dimensions.enumerated() {
            if index > 0 { text += "," }
            text += key
            text += "=\""
            for character in value {
                switch character {
                case "\\": text += "\\\\"
                case "\"": text += "\\\""
                case "\n": text += "\\n"
                default: text.append(character)
                }
            }
            text += "\""
        }
        return text + "}"
    }

    /// Every series, names and label sets sorted, each name with its `# TYPE` line.
    package func exposition() -> String {
        lock.lock()
        let snapshot = families.map { ($0.key, $0.value.kind, Array($0.value.series.values)) }
        lock.unlock()
        var text = ""
        for (name, kind, series) in snapshot.sorted(by: { $0.0 < $1.0 }) where !series.isEmpty {
            text += "# TYPE \(name) \(kind.rawValue)\n"
            for one in series.sorted(by: { $0.labels < $1.labels }) {
                text += name + one.labels + " " + one.rendered(kind) + "\n"
            }
        }
        return text
    }

    // MARK: MetricsFactory

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        series(label, dimensions, kind: .counter)
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        series(label, dimensions, kind: .gauge)
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        series(label, dimensions, kind: .gauge)
    }

    package func destroyCounter(_ handler: any CounterHandler) { remove(handler) }
    package func destroyRecorder(_ handler: any RecorderHandler) { remove(handler) }
    package func destroyTimer(_ handler: any TimerHandler) { remove(handler) }
}
