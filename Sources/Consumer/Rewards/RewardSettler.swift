import Logging
import Projections
import ServiceLifecycle

/// The reward settler (`attendance settle`, also inside `run`): pays every reward command exactly once per
/// idempotency key through the external point and coupon APIs (PRODUCT §4).
///
/// Two loops share one HTTP client and one circuit breaker per API:
/// - the **intake**, a member of a consumer group on `attendance.reward-commands.v1`, gives each command its first
///   attempt (one member's commands in order, members concurrently) and commits each partition's offset up to
///   its first command not yet durably recorded (settled, or scheduled for a retry in the reward log);
/// - the **scheduler** re-drives the rewards that are due in the reward log: retries after backoff, leases of
///   attempts whose settler died, and operator re-drives. Retries therefore never hold a partition back.
public final class RewardSettler: Service, Sendable {
    public struct Configuration: Sendable {
        public var kafka: KafkaConfiguration
        /// Default `attendance-reward-settler`.
        public var groupID: String
        public var postgres: PostgresConfiguration
        public var schema: String
        public var topics: TopicNames = .standard
        public var api: RewardAPIClient.Configuration
        public var retry = RewardRetryPolicy()
        public var circuitBreaker = CircuitBreaker.Configuration()
        /// Most commands read per poll, and most answers recorded per transaction (a claim takes at most
        /// `maxInFlight`). Default 1,000.
        public var batchSize = 1_000
        /// How long a poll waits for commands to arrive. Default 50 ms.
        public var batchWait: Duration = .milliseconds(50)
        /// Most API calls in flight per loop (the intake's, the scheduler's). Default 256.
        public var maxInFlight = 256
        /// Most commands read from Kafka and not yet settled or scheduled; past it the intake pauses its partitions.
        /// Default 4,000.
        public var readAhead = 4_000
        /// How long a claimed attempt may take before the reward is due again (its settler presumed dead). Must
        /// exceed the request timeout. Default 30 s.
        public var lease: Duration = .seconds(30)
        /// How often the scheduler looks for due rewards when it found none. Default 250 ms.
        public var schedulerInterval: Duration = .milliseconds(250)
        /// Rewards re-driven per scheduler round. Default 1,000.
        public var schedulerBatch = 1_000
        /// A pending reward never claimed for this long is settled by the scheduler (its command was lost or
        /// skipped). Default 15 min.
        public var unclaimedGrace: Duration = .seconds(900)
        /// Whether this settler reads the command topic (false: scheduler only). Default true.
        public var consumesCommands = true

        public init(
            kafka: KafkaConfiguration,
            groupID: String = "attendance-reward-settler",
            postgres: PostgresConfiguration,
            schema: String,
            api: RewardAPIClient.Configuration
        ) {
            self.kafka = kafka
            self.groupID = groupID
            self.postgres = postgres
            self.schema = schema
            self.api = api
        }

        /// Problems with a setting, each naming it; empty when valid.
        public var problems: [String] {
            var problems = api.problems
            if retry.maxAttempts < 1 { problems.append("max attempts must be at least 1") }
            if retry.initialBackoff <= .zero || retry.maximumBackoff < retry.initialBackoff {
                problems.append("backoff must be positive, and the maximum at least the initial one")
            }
            if lease <= api.requestTimeout { problems.append("the lease must be longer than the request timeout") }
            if !(1...50_000).contains(batchSize) { problems.append("batch size must be 1...50000") }
            if !(1...10_000).contains(maxInFlight) { problems.append("max in flight must be 1...10000") }
            if readAhead < batchSize { problems.append("read-ahead must be at least the batch size") }
            if circuitBreaker.failureThreshold < 1 || circuitBreaker.halfOpenProbes < 1 {
                problems.append("circuit breaker threshold and probes must be at least 1")
            }
            return problems
        }
    }

    public let configuration: Configuration
    public let statistics = RewardSettlerStatistics()
    private let logger: Logger
    private let stop = StopSignal()

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Finish the round in flight, record it, leave the group (also done on graceful shutdown).
    public func requestStop() { stop.stop() }

    public func run() async throws {
        let client = RewardAPIClient(configuration: configuration.api)
        let breakers = RewardCircuitBreakers(configuration: configuration.circuitBreaker, logger: logger)
        let engine = RewardSettlementEngine(
            configuration: configuration,
            client: client,
            breakers: breakers,
            statistics: statistics,
            logger: logger
        )
        let result: Result<Void, any Error>
        do {
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if configuration.consumesCommands {
                        group.addTask {
                            try await RewardCommandIntake(
                                configuration: self.configuration,
                                engine: engine,
                                statistics: self.statistics,
                                stop: self.stop,
                                logger: self.logger
                            ).run()
                        }
                    }
                    group.addTask {
                        try await RewardRetryScheduler(
                            configuration: self.configuration,
                            engine: engine,
                            statistics: self.statistics,
                            stop: self.stop,
                            logger: self.logger
                        ).run()
                    }
                    try await group.waitForAll()
                }
            } onGracefulShutdown: {
                self.stop.stop()
            }
            result = .success(())
        } catch is CancellationError {
            // Cancelled (or killed mid-flight): unrecorded attempts keep their leases and are re-driven later.
            result = .success(())
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        try result.get()
    }
}
