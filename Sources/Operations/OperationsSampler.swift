import Consumer
import Foundation
import Logging
import Metrics
import Projections
import ServiceLifecycle
import Synchronization

/// Samples what only Postgres and Kafka know, every `interval`, on its own thread (libpq and librdkafka block): per
/// partition lag and oldest unprocessed age, the outbox backlog, rewards by state, dead-letter counts. Sets the
/// gauges, writes this process's component heartbeats (for `attendance status`), and remembers whether Postgres and
/// Kafka answered (for readiness).
public final class OperationsSampler: Service, Sendable {
    public struct Configuration: Sendable {
        public var postgres: PostgresConfiguration
        public var schema: String
        public var kafka: KafkaConfiguration
        public var topics: TopicNames = .standard
        /// The check-in consumer group whose lag to sample; nil: this process runs no consumer.
        public var checkInGroupID: String?
        /// Whether to sample the outbox (processes running a relay).
        public var samplesOutbox = false
        /// Whether to sample the reward log (processes running a settler).
        public var samplesRewards = false
        /// Default 5 s.
        public var interval: Duration = .seconds(5)
        /// Bound of each Kafka request. Default 5 s.
        public var kafkaTimeout: Duration = .seconds(5)

        public init(postgres: PostgresConfiguration, schema: String, kafka: KafkaConfiguration) {
            self.postgres = postgres
            self.schema = schema
            self.kafka = kafka
        }
    }

    /// A component instance of this process whose heartbeat and last error are written to `component_heartbeat`.
    public struct Component: Sendable {
        public var name: String
        public var instance: String
        public var lastError: @Sendable () -> String?

        public init(name: String, instance: String, lastError: @escaping @Sendable () -> String?) {
            self.name = name
            self.instance = instance
            self.lastError = lastError
        }

        /// `host:pid`, with `/index` when a process runs several of one component.
        public static func instanceName(index: Int? = nil) -> String {
            let base = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
            return index.map { "\(base)/\($0)" } ?? base
        }
    }

    public let configuration: Configuration
    private let components: [Component]
    private let logger: Logger
    private let observation = Mutex(SamplerObservation())
    private let startedAt = Date()

    public init(configuration: Configuration, components: [Component], logger: Logger) {
        self.configuration = configuration
        self.components = components
        self.logger = logger
    }

    /// What the last samples saw.
    public var latest: SamplerObservation { observation.withLock { $0 } }

    public func run() async throws {
        let postgres = configuration.postgres
        let schema = configuration.schema
        let lane = DatabaseLane(
            name: "ops-sampler",
            reconnectBackoff: Backoff(initial: .milliseconds(100), maximum: configuration.interval)
        ) {
            try PostgresConnection.connect(postgres, applicationName: "attendance-ops-sampler", searchPath: schema)
        }
        defer { lane.shutdown() }
        let stop = StopSignal()
        try await lane.runLoop(stop: stop) { [self] database in
            var state = SamplerState(logger: logger)
            while !stop.isStopped {
                sample(&state, database)
                stop.sleep(configuration.interval)
            }
        }
    }

    // MARK: Sampling (on the sampler thread)

    private func sample(_ state: inout SamplerState, _ database: DatabaseLane.Access) {
        var storedOffsets: [Int32: Int64] = [:]
        var postgresAnswered = false
        do {
            let db = try database.connection()
            state.warned.remove("postgres")
            if configuration.samplesOutbox {
                let outbox = try OutboxBacklog.load(on: db, schema: configuration.schema)
                state.gauge(OperationsMetrics.outboxBacklog).record(outbox.messages)
                state.gauge(OperationsMetrics.outboxOldestAge).record(outbox.oldestAgeSeconds ?? 0)
                state.gauge(OperationsMetrics.outboxSlotRetained).record(outbox.retainedBytes)
                state.gauge(OperationsMetrics.outboxSlotActive).record(
                    !outbox.slotExists ? -1 : outbox.slotActive ? 1 : 0
                )
                state.gauge(OperationsMetrics.outboxReplyAge).record(outbox.replyAgeSeconds ?? 0)
                observation.withLock { $0.outbox = outbox }
            }
            if configuration.samplesRewards {
                for (name, count) in try RewardStateCounts.load(on: db).labelled {
                    state.gauge(OperationsMetrics.rewards, [("state", name)]).record(count)
                }
            }
            if let group = configuration.checkInGroupID {
                storedOffsets = try PartitionBacklog.storedOffsets(
                    groupID: group,
                    topic: configuration.topics.checkInRequests,
                    on: db
                )
            }
            writeHeartbeats(&state, on: db)
            postgresAnswered = true
            observation.withLock { $0.postgres.succeeded(at: .now) }
            state.gauge(OperationsMetrics.dependencyUp, [("dependency", "postgres")]).record(1)
        } catch {
            database.disconnect()
            observation.withLock { $0.postgres.failed(error, at: .now) }
            state.gauge(OperationsMetrics.dependencyUp, [("dependency", "postgres")]).record(0)
            state.warnOnce("postgres", "operations sampler cannot reach Postgres", error)
        }
        do {
            let probe = try state.probe(configuration)
            let timeout = configuration.kafkaTimeout
            // Without the stored offsets the lag would be wrong: then only Kafka's reachability is sampled.
            if let group = configuration.checkInGroupID, postgresAnswered {
                let topic = configuration.topics.checkInRequests
                for backlog in try PartitionBacklog.collect(
                    topic: topic,
                    groupID: group,
                    storedOffsets: storedOffsets,
                    probe: probe,
                    timeout: timeout
                ) {
                    let labels = [("topic", topic), ("partition", "\(backlog.partition)")]
                    state.gauge(OperationsMetrics.consumerLag, labels).record(backlog.lag)
                    if let age = backlog.oldestAgeSeconds {
                        state.gauge(OperationsMetrics.oldestUnprocessedAge, labels).record(age)
                    }
                }
            }
            for topic in [configuration.topics.checkInRequestsDLQ, configuration.topics.rewardCommandsDLQ] {
                let count = try DeadLetterCount.collect(topic: topic, probe: probe, timeout: timeout)
                state.gauge(OperationsMetrics.deadLetters, [("topic", topic)]).record(count.messages)
            }
            observation.withLock { $0.kafka.succeeded(at: .now) }
            state.gauge(OperationsMetrics.dependencyUp, [("dependency", "kafka")]).record(1)
        } catch {
            observation.withLock { $0.kafka.failed(error, at: .now) }
            state.gauge(OperationsMetrics.dependencyUp, [("dependency", "kafka")]).record(0)
            state.warnOnce("kafka", "operations sampler cannot reach Kafka", error)
        }
    }

    private func writeHeartbeats(_ state: inout SamplerState, on db: PostgresConnection) {
        guard !components.isEmpty, !state.heartbeatsDisabled else { return }
        do {
            if !state.heartbeatTableReady {
                try ComponentHeartbeat.ensureTable(on: db)
                state.heartbeatTableReady = true
            }
            try ComponentHeartbeat.write(
                components.map {
                    ComponentHeartbeat(
                        component: $0.name,
                        instance: $0.instance,
                        startedAt: startedAt,
                        lastError: $0.lastError()
                    )
                },
                on: db
            )
        } catch let error as PostgresError where error.sqlState == "42501" {
            state.heartbeatsDisabled = true
            logger.warning(
                "component heartbeats off: this role may not create or write component_heartbeat (see docs/operations.md)",
                metadata: ["error": "\(error)"]
            )
        } catch {
            state.warnOnce("heartbeat", "component heartbeat not written", error)
        }
    }
}

/// The sampler thread's own state: its Kafka probe and the gauges it made (the connection is its lane's).
private struct SamplerState {
    let logger: Logger
    var kafkaProbe: KafkaTopicProbe?
    var gauges: [String: Gauge] = [:]
    var heartbeatTableReady = false
    var heartbeatsDisabled = false
    var warned: Set<String> = []

    init(logger: Logger) {
        self.logger = logger
    }

    mutating func probe(_ configuration: OperationsSampler.Configuration) throws -> KafkaTopicProbe {
        if let kafkaProbe { return kafkaProbe }
        let probe = try KafkaTopicProbe(configuration: configuration.kafka, logger: logger)
        kafkaProbe = probe
        return probe
    }

    mutating func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        if let gauge = gauges[key] { return gauge }
        let gauge = Gauge(label: name, dimensions: labels)
        gauges[key] = gauge
        return gauge
    }

    /// One warning per outage, not one per sample.
    mutating func warnOnce(_ key: String, _ message: Logger.Message, _ error: any Error) {
        guard warned.insert(key).inserted else { return }
        logger.warning(message, metadata: ["error": "\(error)"])
    }
}
