import Foundation
import Metrics

/// Connects swift-metrics to one registry for the whole process.
///
/// `MetricsSystem.bootstrap` may run once per process; a second call crashes. Both daemons and the tests
/// share this entry point, so the first call bootstraps and every later call returns the same registry.
package enum Telemetry {
    private static let registry: MetricsRegistry = {
        let registry = MetricsRegistry()
        MetricsSystem.bootstrap(registry)
        return registry
    }()

    /// Bootstraps swift-metrics with the process's registry (first call only) and returns it, which
    /// `OperationsServer` renders at `/metrics`.
    @discardableResult
    package static func bootstrap() -> MetricsRegistry { registry }
}
