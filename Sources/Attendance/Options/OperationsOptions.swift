import ArgumentParser
import CommandSupport
import Consumer
import Foundation
import Logging
import Operations
import Prometheus
import ServiceLifecycle

/// Where a service process serves metrics and health (`consume`, `relay`, `settle`, `run`). Each kind of service has
/// its own default port (``ServiceKind``), so several on one host do not collide.
struct OperationsOptions: ParsableArguments {
    @Option(
        name: .customLong("http-addr"),
        help: """
            host:port serving /metrics, /health/live and /health/ready (env ATTENDANCE_HTTP_ADDR; default \
            127.0.0.1 with port 9464 for run, 9465 consume, 9466 relay, 9467 settle; port 0 picks a free one and \
            logs it).
            """
    )
    var httpAddress: String?

    func resolvedAddress(for kind: ServiceKind) throws -> HTTPAddress {
        guard let text = Environment.value(httpAddress, "ATTENDANCE_HTTP_ADDR") else { return kind.defaultAddress }
        guard let address = HTTPAddress(parsing: text) else {
            throw ConfigurationError(
                "--http-addr / ATTENDANCE_HTTP_ADDR \"\(text)\" must be host:port (port 0...65535)"
            )
        }
        return address
    }

    /// Validates the address, then bootstraps the metrics backend: call before creating the services.
    func bootstrap(for kind: ServiceKind) throws -> (HTTPAddress, PrometheusCollectorRegistry) {
        let address = try resolvedAddress(for: kind)
        return (address, MetricsBootstrap.bootstrap())
    }

    /// Runs the group; a metrics address that cannot be served is a configuration error (exit 2).
    static func run(_ group: ServiceGroup) async throws {
        do {
            try await group.run()
        } catch let error as OperationsServerError where error.isConfiguration {
            throw ConfigurationError(error.description)
        }
    }
}
