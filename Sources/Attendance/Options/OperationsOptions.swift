import ArgumentParser
import Consumer
import Foundation
import Logging
import Operations
import Prometheus
import ServiceLifecycle

/// Where a service process serves metrics and health (`consume`, `relay`, `settle`, `run`).
struct OperationsOptions: ParsableArguments {
    @Option(
        name: .customLong("http-addr"),
        help:
            "host:port serving /metrics, /health/live and /health/ready (env ATTENDANCE_HTTP_ADDR, default 127.0.0.1:9464; port 0 picks a free one)."
    )
    var httpAddress: String?

    func resolvedAddress() throws -> HTTPAddress {
        guard let text = httpAddress ?? ProcessInfo.processInfo.environment["ATTENDANCE_HTTP_ADDR"], !text.isEmpty
        else {
            return .default
        }
        guard let address = HTTPAddress(parsing: text) else {
            throw ConfigurationError(
                "--http-addr / ATTENDANCE_HTTP_ADDR \"\(text)\" must be host:port (port 0...65535)"
            )
        }
        return address
    }

    /// Validates the address, then bootstraps the metrics backend: call before creating the services.
    func bootstrap() throws -> (HTTPAddress, PrometheusCollectorRegistry) {
        let address = try resolvedAddress()
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
