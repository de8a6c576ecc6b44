import Metrics
import Prometheus

/// The process's metrics backend: swift-metrics → one Prometheus registry, served on `/metrics` by
/// ``OperationsServer``. Bootstrap once per process, before the services are created (their metrics bind to the
/// backend in force when they are made).
public enum MetricsBootstrap {
    /// A factory over `registry` with buckets chosen per histogram (base units: seconds, messages).
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["attendance_checkin_batch_size_messages"] = [
            1, 10, 50, 100, 250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 50_000,
        ]
        let slow: [Duration] = [
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(120), .seconds(300), .seconds(600),
        ]
        factory.durationHistogramBuckets["attendance_checkin_end_to_end_latency_seconds"] = slow
        factory.durationHistogramBuckets["attendance_checkin_batch_duration_seconds"] = Array(slow.prefix(11))
        factory.durationHistogramBuckets["attendance_reward_api_request_duration_seconds"] = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
        ]
        return factory
    }

    /// Bootstraps swift-metrics with a new registry and returns it. Call once per process.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(factory(registry: registry))
        return registry
    }
}
