import Domain
import Logging
import Projections
import ServiceLifecycle

/// The check-in consumer (`attendance consume`): a member of a consumer group on the check-in topic that
/// turns each batch of messages into rows in ONE Postgres transaction (see `CheckInProjector`).
///
/// Offsets live in Postgres with the rows; Kafka's committed offsets follow for lag tooling only. All blocking
/// work (librdkafka polls, libpq) runs on the thread of its ``DatabaseLane``.
public final class CheckInConsumer: Service, Sendable {
    public struct Configuration: Sendable {
        public var kafka: KafkaConfiguration
        public var groupID: String
        public var postgres: PostgresConfiguration
        public var schema: String
        public var topics: TopicNames = .standard
        /// Most messages written in one transaction.
        public var maxBatchSize = 4_000
        /// How long a batch waits to fill up before it is written anyway.
        public var maxBatchWait: Duration = .milliseconds(100)
        /// A batch holding messages is written once none has joined it for this long. Batches then follow the load,
        /// as group commit does: what arrived while the last batch was written goes in the next one at once, so
        /// below capacity a message waits for about one transaction instead of `maxBatchWait`, and at capacity
        /// batches still fill to `maxBatchSize`. Default 5 ms; `maxBatchWait` or more: always wait.
        public var batchLinger: Duration = .milliseconds(5)
        /// Backoff between attempts while Postgres fails.
        public var retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))
        /// False for replays into a separate schema (`replay topic`): the projector writes no outbox rows, so no
        /// reward commands, analytics facts or dead-letter copies; the tables are projected the same way.
        public var emitsSideEffects = true
        /// Where a partition with no offset stored for this group starts; nil (the default): the group's committed
        /// Kafka offset, else `auto.offset.reset` (earliest).
        public var startPosition: StartPosition? = nil

        public enum StartPosition: Sendable, Hashable {
            /// The partition's first retained message.
            case earliest
            /// Only messages produced from now on.
            case latest
            /// This offset in every partition (clamped by `auto.offset.reset` when out of range).
            case offset(Int64)
            /// The first message whose Kafka timestamp is at or after this instant.
            case timestamp(millisecondsSinceEpoch: Int64)
        }

        public init(kafka: KafkaConfiguration, groupID: String, postgres: PostgresConfiguration, schema: String) {
            self.kafka = kafka
            self.groupID = groupID
            self.postgres = postgres
            self.schema = schema
        }
    }

    /// Called on the consumer thread after each committed batch, with the Kafka timestamps (ms) of the
    /// batch's messages: benchmarks measure produce-to-commit latency with it.
    public typealias CommitObserver = @Sendable (_ result: CheckInBatchResult, _ messageTimestamps: [Int64]) -> Void

    public let configuration: Configuration
    public let statistics = CheckInStatistics()
    private let logger: Logger
    private let stop = StopSignal()
    private let onCommit: CommitObserver?

    public init(configuration: Configuration, logger: Logger, onCommit: CommitObserver? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.onCommit = onCommit
    }

    public func run() async throws {
        let worker = CheckInWorker(
            configuration: configuration,
            statistics: statistics,
            stop: stop,
            logger: logger,
            onCommit: onCommit
        )
        let postgres = configuration.postgres
        let schema = configuration.schema
        let emits = configuration.emitsSideEffects
        let lane = DatabaseLane(name: "check-in-consumer", reconnectBackoff: configuration.retryBackoff) {
            let connection = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-consumer",
                searchPath: schema
            )
            // Messages emitted before the slot exists would never be published. (A replay emits none: a slot for
            // its schema would only hold WAL back.)
            if emits { try MessageSlot(schema: schema).ensure(on: connection) }
            return connection
        }
        defer { lane.shutdown() }
        try await lane.runLoop(stop: stop) { database in try worker.run(on: database) }
    }

    /// Asks the consumer to finish its batch, commit and leave the group (also done on graceful shutdown).
    public func requestStop() { stop.stop() }
}
