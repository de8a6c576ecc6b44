import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// The one HTTP server of a service process (Hummingbird), at `ATTENDANCE_HTTP_ADDR`:
///
/// - `GET /metrics`: the Prometheus text format of the process's registry;
/// - `GET /health/live`: 200 while the process serves HTTP at all;
/// - `GET /health/ready`: 200 or 503 with a JSON body naming each check and why it failed (``ReadinessRules``).
public final class OperationsServer: Service, Sendable {
    public let address: HTTPAddress
    private let registry: PrometheusCollectorRegistry
    private let readiness: @Sendable () -> ReadinessReport
    private let logger: Logger
    private let port = Mutex<Int?>(nil)
    private let startedAt = Date()

    public init(
        address: HTTPAddress,
        registry: PrometheusCollectorRegistry,
        logger: Logger,
        readiness: @escaping @Sendable () -> ReadinessReport
    ) {
        self.address = address
        self.registry = registry
        self.readiness = readiness
        self.logger = logger
    }

    /// The bound port once listening (useful with port 0).
    public func listeningPort(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let port = port.withLock({ $0 }) { return port }
            guard ContinuousClock.now < deadline else {
                throw OperationsServerError(
                    description: "the metrics and health server did not listen on \(address) within \(timeout)"
                )
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    public func run() async throws {
        let router = Router()
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            self.registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        router.get("/health/live") { _, _ in
            let uptime = Int(Date().timeIntervalSince(self.startedAt))
            return Self.json(.ok, #"{"live":true,"uptime_seconds":\#(uptime)}"#)
        }
        router.get("/health/ready") { _, _ in
            let report = self.readiness()
            let body =
                (try? Self.encoder.encode(report)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"ready":false}"#
            return Self.json(report.ready ? .ok : .serviceUnavailable, body)
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port
                // With port 0 the system picked one: this line is how an operator (or a scraper's config) learns it.
                let listening = HTTPAddress(host: self.address.host, port: bound ?? self.address.port)
                self.logger.notice(
                    "serving metrics and health",
                    metadata: ["address": "\(listening)", "requested": "\(self.address)"]
                )
                self.port.withLock { $0 = bound }
            },
            logger: quiet
        )
        do {
            try await app.run()
        } catch is CancellationError {
            // Cancelled with its task (tests, or the service group stopping): a clean stop.
        } catch {
            // Nothing listens: the address is wrong for this host (or taken). Say which setting.
            if port.withLock({ $0 }) == nil {
                throw OperationsServerError(
                    description:
                        "cannot serve metrics and health on \(address) (ATTENDANCE_HTTP_ADDR / --http-addr): \(error)",
                    isConfiguration: true
                )
            }
            throw error
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}

public struct OperationsServerError: Error, CustomStringConvertible {
    public let description: String
    /// The address cannot be served: a configuration problem (exit code 2).
    public var isConfiguration = false
}
