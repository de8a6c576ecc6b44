import Consumer
import Domain
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import Projections
import ServiceLifecycle
import Synchronization

/// `attendance serve`: the read side over HTTP (PRODUCT §9), described by `Resources/openapi.yaml`.
///
/// Stateless apart from in-process caches, so any number of instances can run behind a load balancer: outcomes
/// come from the database, and each instance follows `attendance.events.v1` on its own to learn when a submitted
/// request was decided (``OutcomeFeed``).
public final class APIServer: Service, Sendable {
    public let configuration: APIConfiguration
    let logger: Logger
    let verifier: TokenVerifier
    let limiter: RateLimiter
    let lanes: ReadLanes
    let waiters = OutcomeWaiters()
    let feed: OutcomeFeed
    let producer: KafkaProducer
    /// Where `producer` is called: `produce` waits while librdkafka's queue is full and `close` flushes, neither of
    /// which may block the cooperative pool.
    let producing = ThreadExecutor(name: "api-produce")
    let openAPIDocument: ByteBuffer
    private let port = Mutex<Int?>(nil)
    let startedAtDate = Date()

    /// Loads the keys and the OpenAPI document, opens the producer; throws ``APIConfigurationError`` for a setting
    /// that cannot work.
    public init(configuration: APIConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        self.verifier = try await TokenVerifier.make(
            keys: configuration.keys,
            issuer: configuration.issuer,
            audience: configuration.audience
        )
        self.limiter = RateLimiter(ratePerSecond: configuration.rateLimit, burst: configuration.rateBurst)
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let document = try? Data(contentsOf: url)
        else { throw APIConfigurationError("the OpenAPI document is missing from the installation") }
        self.openAPIDocument = ByteBuffer(bytes: document)
        // A submission waits for its delivery report: with librdkafka's default of 5 minutes a Kafka outage would hold
        // every request that long. After 10 s the client gets a 503 and retries (the request id makes that safe).
        var producing = configuration.kafka
        let configured = ["message.timeout.ms", "delivery.timeout.ms"].contains { producing.sets($0, for: .producer) }
        if !configured { producing.producerProperties["message.timeout.ms"] = "10000" }
        self.producer = try KafkaProducer(configuration: producing, logger: logger)
        self.lanes = ReadLanes(configuration: configuration.reads, logger: logger)
        let waiters = self.waiters
        self.feed = OutcomeFeed(
            configuration: .init(kafka: configuration.kafka),
            logger: logger,
            wants: { waiters.hasWaiters(eventID: $0) },
            decided: { waiters.notify(.init(eventID: $0, requestID: $1)) }
        )
    }

    /// The bound port once listening (useful with port 0).
    public func listeningPort(timeout: Duration = .seconds(30)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let port = port.withLock({ $0 }) { return port }
            guard ContinuousClock.now < deadline else {
                throw APIConfigurationError("the API did not listen on \(configuration.address) within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Ready when a database connection works and the outcome feed follows the topic.
    public var readiness: (ready: Bool, checks: [String: String]) {
        let database = lanes.isConnected
        let feedOK = feed.isFollowing
        return (
            database && feedOK,
            [
                "database": database ? "ok" : "no connection",
                "outcome_feed": feedOK ? "ok" : "not following \(configuration.topics.attendanceEvents)",
            ]
        )
    }

    public func run() async throws {
        let router = Router()
        router.middlewares.add(ProblemMiddleware(logger: logger))
        router.middlewares.add(MetricsMiddleware())
        addRoutes(to: router)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.address.host, port: configuration.address.port),
                serverName: "attendance"
            ),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port
                self.port.withLock { $0 = bound }
                self.logger.info(
                    "API listening",
                    metadata: ["address": "\(self.configuration.address.host):\(bound ?? 0)"]
                )
            },
            logger: quiet
        )
        let result: Result<Void, any Error>
        do {
            try await serve(app)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        lanes.shutdown()
        let producer = self.producer
        _ = try? await producing.run { producer.close(flushTimeout: .seconds(5)) }
        producing.shutdown()
        try result.get()
    }

    private func serve(_ app: some ApplicationProtocol) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.feed.run() }
            group.addTask {
                do {
                    try await app.run()
                } catch is CancellationError {
                    // Stopped with its task: a clean stop.
                } catch {
                    if self.port.withLock({ $0 }) == nil {
                        throw APIConfigurationError(
                            "cannot serve the API on \(self.configuration.address) (ATTENDANCE_API_ADDR / --api-addr): \(error)"
                        )
                    }
                    throw error
                }
            }
            try await group.next()
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}

/// Turns errors that are not problems already into a 500 problem (logged with the request path), so every
/// error answer is problem+json and nothing internal leaks.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            return try problem.response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIProblem.bodyTooLarge(limit: CheckInSubmission.maximumBodyBytes)
                .response(from: request, context: context)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return try APIProblem.bodyTooLarge(limit: CheckInSubmission.maximumBodyBytes)
                .response(from: request, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            return try APIProblem.notFound("no-route", "no operation at \(request.method) \(request.uri.path)")
                .response(from: request, context: context)
        } catch let error as HTTPError where error.status.code < 500 {
            return try APIProblem(error.status, "invalid-request", "The request is not valid", detail: error.body ?? "")
                .response(from: request, context: context)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return try APIProblem.internalError().response(from: request, context: context)
        }
    }
}
