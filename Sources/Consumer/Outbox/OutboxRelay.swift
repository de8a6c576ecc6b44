import Logging
import Projections
import ServiceLifecycle
import Synchronization

/// The outbox relay (`attendance relay`, also inside `run`): publishes outbox rows in id order with the
/// idempotent producer and deletes them only after the broker acknowledged them, so a restart loses nothing
/// (at worst it republishes the rows of an unacknowledged batch; every message carries its idempotency key).
///
/// One relay publishes at a time per schema (a session advisory lock); others wait as hot standbys, which keeps
/// publication in id order — and so in order per key.
public final class OutboxRelay: Service, Sendable {
    public struct Configuration: Sendable {
        public var kafka: KafkaConfiguration
        public var postgres: PostgresConfiguration
        public var schema: String
        /// Rows published per round trip.
        public var batchSize = 5_000
        /// Pause when the outbox is empty.
        public var idleWait: Duration = .milliseconds(20)
        /// How long a batch may wait for its delivery reports.
        public var deliveryTimeout: Duration = .seconds(30)
        public var retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))

        public init(kafka: KafkaConfiguration, postgres: PostgresConfiguration, schema: String) {
            self.kafka = kafka
            self.postgres = postgres
            self.schema = schema
        }
    }

    public struct Snapshot: Sendable {
        public var published = 0
        public var failedDeliveries = 0
        public var isLeader = false
        public var lastError: String?

        public init() {}
    }

    public let configuration: Configuration
    private let logger: Logger
    private let stop = StopSignal()
    private let state = Mutex(Snapshot())
    private let metrics = OutboxRelayMetrics()

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public var statistics: Snapshot { state.withLock { $0 } }

    public func requestStop() { stop.stop() }

    public func run() async throws {
        let postgres = configuration.postgres
        let schema = configuration.schema
        // The advisory lock belongs to the Postgres session: a new connection starts as a standby.
        let lane = DatabaseLane(
            name: "outbox-relay",
            reconnectBackoff: configuration.retryBackoff,
            connect: {
                try PostgresConnection.connect(postgres, applicationName: "attendance-relay", searchPath: schema)
            },
            onConnect: { [self] _ in setLeader(false) }
        )
        defer { lane.shutdown() }
        try await lane.runLoop(stop: stop) { [self] database in try loop(database) }
    }

    private func setLeader(_ leader: Bool) {
        state.withLock { $0.isLeader = leader }
        metrics.recordLeadership(leader)
    }

    private func loop(_ database: DatabaseLane.Access) throws {
        let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
        defer { producer.close() }
        var backoff = configuration.retryBackoff
        while !stop.isStopped {
            do {
                let db = try database.connection()
                if !statistics.isLeader {
                    let leader = try acquireLeadership(db)
                    setLeader(leader)
                    if !leader {
                        stop.sleep(.seconds(1))
                        continue
                    }
                    logger.info("outbox relay is publishing (leader for this schema)")
                }
                let messages = try OutboxStore.next(limit: configuration.batchSize, on: db)
                if messages.isEmpty {
                    stop.sleep(configuration.idleWait)
                    continue
                }
                let results = producer.produceAndWait(
                    messages.map { OutgoingMessage($0) },
                    timeout: configuration.deliveryTimeout
                )
                var delivered: [Int64] = []
                var firstFailure: KafkaError?
                for (message, result) in zip(messages, results) {
                    switch result {
                    case .success: if let id = message.id { delivered.append(id) }
                    case .failure(let error): firstFailure = firstFailure ?? error
                    }
                }
                try OutboxStore.remove(ids: delivered, on: db)
                metrics.record(published: delivered.count, failed: messages.count - delivered.count)
                state.withLock {
                    $0.published += delivered.count
                    $0.failedDeliveries += messages.count - delivered.count
                    if let firstFailure { $0.lastError = "\(firstFailure)" }
                }
                if let firstFailure {
                    logger.error(
                        "some outbox messages were not acknowledged; they stay and are retried",
                        metadata: ["failed": "\(messages.count - delivered.count)", "error": "\(firstFailure)"]
                    )
                    stop.sleep(backoff.next())
                } else {
                    backoff.reset()
                }
            } catch {
                state.withLock { $0.lastError = "\(error)" }
                setLeader(false)
                logger.error("outbox relay failed, retrying", metadata: ["error": "\(error)"])
                // Whatever failed, the next round starts on a new session (and so as a standby).
                database.disconnect()
                stop.sleep(backoff.next())
            }
        }
    }

    private func acquireLeadership(_ connection: PostgresConnection) throws -> Bool {
        let rows = try connection.execute(
            "SELECT pg_try_advisory_lock(hashtextextended('attendance.outbox-relay:' || $1, 0))",
            [configuration.schema]
        )
        return rows.bool(0, 0) ?? false
    }
}

extension OutgoingMessage {
    init(_ message: OutboxMessage) {
        self.init(
            topic: message.topic,
            key: message.key,
            value: message.payload,
            headers: message.headers.map { KafkaHeader(key: $0.name, value: $0.value) },
            partition: nil
        )
    }
}
