import Foundation
import Metrics
import Prometheus

/// Connects swift-metrics to one Prometheus registry for the whole process.
///
/// `MetricsSystem.bootstrap` may run once per process; a second call crashes. Both daemons and the tests
/// share this entry point, so the first call bootstraps and every later call returns the same registry.
package enum Telemetry {
    private static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Bootstraps swift-metrics with a Prometheus factory (first call only) and returns its registry,
    /// which `OperationsServer` renders at `/metrics`.
    @discardableResult
    package static func bootstrap() -> PrometheusCollectorRegistry { registry }
}
