import Consumer
import Domain
import Foundation
import Logging
import Projections
import ServiceLifecycle
import Synchronization

/// Why a pipeline test could not start, or a deadline that passed. Thrown, never skipped.
struct PipelineTestError: Error, CustomStringConvertible {
    let description: String
}

/// One end-to-end fixture: a fresh Postgres schema with every migration applied, and a 3-broker mock cluster with
/// every topic of `topics/`. Blocking calls (libpq, librdkafka) happen on a dedicated thread, see `blocking`.
///
/// `Sendable`: every stored property is immutable; `connection` is only used on `executor`'s thread.
final class Pipeline: Sendable {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Pipeline
        .deletingLastPathComponent()  // ConsumerTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static let consumerProperties = [
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "200",
        "topic.metadata.refresh.interval.ms": "1000",
    ]

    let postgres: PostgresConfiguration
    let schema: String
    let cluster: KafkaMockCluster
    /// The test's own connection (search_path = `schema`), for applying events and reading rows.
    let connection: PostgresConnection
    let logger: Logger
    /// The thread every blocking step of the test body runs on (see `blocking`).
    let executor: ThreadExecutor
    let topics = TopicNames.standard
    let checkInPartitions = 12
    private let publishedMark = Mutex<LogSequenceNumber?>(nil)

    private init(
        postgres: PostgresConfiguration,
        schema: String,
        cluster: KafkaMockCluster,
        connection: PostgresConnection,
        executor: ThreadExecutor
    ) {
        self.executor = executor
        self.postgres = postgres
        self.schema = schema
        self.cluster = cluster
        self.connection = connection
        self.logger = TestSupport.logger("pipeline")
    }

    /// Runs `body` with a new pipeline and drops its schema afterwards, whatever happened.
    static func with<T: Sendable>(_ body: (Pipeline) async throws -> T) async throws -> T {
        let executor = ThreadExecutor(name: "pipeline-test")
        defer { executor.shutdown() }
        let pipeline = try await withTaskExecutorPreference(executor) { try Pipeline.make(executor: executor) }
        do {
            let result = try await body(pipeline)
            await withTaskExecutorPreference(executor) { pipeline.dropSchema() }
            return result
        } catch {
            await withTaskExecutorPreference(executor) { pipeline.dropSchema() }
            throw error
        }
    }

    private static func make(executor: ThreadExecutor) throws -> Pipeline {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw PipelineTestError(
                description: """
                    DATABASE_URL is not set: the pipeline tests need a real PostgreSQL. Run `source scripts/setup.sh` \
                    in the repository root (it starts a local server and exports DATABASE_URL), then run the tests again.
                    """
            )
        }
        let postgres = try PostgresConfiguration(url)
        let schema = "pipe_" + UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(16)
        let admin: PostgresConnection
        do {
            admin = try PostgresConnection.connect(postgres, applicationName: "attendance-tests")
        } catch {
            throw PipelineTestError(
                description:
                    "cannot connect to DATABASE_URL (\(error)); start PostgreSQL with `source scripts/setup.sh`"
            )
        }
        defer { admin.close() }
        try MigrationRunner(schema: schema).migrate(
            admin,
            migrations: Migration.load(from: repositoryRoot.appendingPathComponent("migrations"))
        )
        try MessageSlot(schema: schema).ensure(on: admin)
        let connection = try PostgresConnection.connect(
            postgres,
            applicationName: "attendance-tests",
            searchPath: schema
        )
        let cluster = try KafkaMockCluster(brokers: 3, logger: TestSupport.logger("mock"))
        _ = try TopicReconciler.apply(
            TopicSpec.loadAll(from: repositoryRoot.appendingPathComponent("topics")),
            mock: cluster
        )
        return Pipeline(
            postgres: postgres,
            schema: schema,
            cluster: cluster,
            connection: connection,
            executor: executor
        )
    }

    private func dropSchema() {
        connection.close()
        guard let admin = try? PostgresConnection.connect(postgres, applicationName: "attendance-tests") else {
            return
        }
        _ = try? admin.execute("DROP SCHEMA IF EXISTS \(PostgresConnection.quoteIdentifier(schema)) CASCADE")
        try? MessageSlot(schema: schema).drop(on: admin, force: true)
        admin.close()
    }

    // MARK: Setup

    var kafka: KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, properties: Self.consumerProperties)
    }

    /// Applies an event file's JSON, as `attendance events apply` does.
    @discardableResult
    func applyEvent(_ json: String) throws -> EventApplyOutcome {
        try EventCatalog.apply(EventPolicy.decode(json: Data(json.utf8)), on: connection)
    }

    func checkInConsumer(
        group: String,
        _ configure: (inout CheckInConsumer.Configuration) -> Void = { _ in }
    ) -> CheckInConsumer {
        var configuration = CheckInConsumer.Configuration(
            kafka: kafka,
            groupID: group,
            postgres: postgres,
            schema: schema
        )
        configure(&configuration)
        return CheckInConsumer(configuration: configuration, logger: logger)
    }

    func relay(_ configure: (inout OutboxRelay.Configuration) -> Void = { _ in }) -> OutboxRelay {
        var configuration = OutboxRelay.Configuration(
            kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers),
            postgres: postgres,
            schema: schema
        )
        configure(&configuration)
        return OutboxRelay(configuration: configuration, logger: logger)
    }

    // MARK: Kafka

    /// Produces `messages` (in order) and returns where the broker stored each one.
    func produce(_ messages: [OutgoingMessage]) throws -> [DeliveryReport] {
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers),
            logger: logger
        )
        defer { producer.close() }
        return try producer.produceAndWait(messages, timeout: .seconds(30)).map { try $0.get() }
    }

    /// Reads `count` messages of `topic` from the beginning with a fresh consumer group.
    func read(_ topic: String, count: Int, timeout: Duration = .seconds(30)) throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            configuration: kafka,
            groupID: TestSupport.uniqueName("reader"),
            rebalanceListener: nil,
            logger: logger
        )
        defer { consumer.close() }
        try consumer.subscribe([topic])
        let messages = try TestSupport.consume(consumer, count: count, timeout: timeout)
        guard messages.count == count else {
            throw PipelineTestError(description: "read \(messages.count) of \(count) messages from \(topic) in time")
        }
        return messages
    }

    /// Next offset per partition after `reports` (the high watermark of each partition the reports touched).
    static func highWatermarks(_ reports: [DeliveryReport]) -> [Int32: Int64] {
        var marks: [Int32: Int64] = [:]
        for report in reports { marks[report.partition] = max(marks[report.partition] ?? 0, report.offset + 1) }
        return marks
    }

    // MARK: Postgres

    /// Every row of `sql` as text columns (NULL is nil).
    func rows(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) throws -> [[String?]] {
        let result = try connection.execute(sql, parameters)
        return (0..<result.count).map { row in (0..<result.columns.count).map { result.string(row, $0) } }
    }

    func count(_ table: String, where condition: String = "true") throws -> Int {
        try connection.execute("SELECT count(*) FROM \(table) WHERE \(condition)").int(0, 0) ?? -1
    }

    var slot: MessageSlot { MessageSlot(schema: schema) }

    /// The outbox messages waiting in the slot (only while no relay streams it), optionally of one topic.
    func outboxMessages(topic: String? = nil) throws -> [OutboxMessage] {
        try slot.peek(on: connection).filter { topic == nil || $0.topic == topic }
    }

    func outboxCount(topic: String? = nil) throws -> Int {
        try outboxMessages(topic: topic).count
    }

    /// For `waitUntil` while a relay runs: true once everything committed before the previous call is published
    /// (the slot acknowledged past the WAL position that call saw).
    func outboxPublished() throws -> Bool {
        let now = try MessageSlot.currentPosition(on: connection)
        let mark = publishedMark.withLock { mark in
            defer { mark = now }
            return mark
        }
        guard let mark else { return false }
        return try slot.hasPublished(through: mark, on: connection) && count("outbox") == 0
    }

    /// The stored next offset per partition of the check-in topic for `group`.
    func storedOffsets(group: String) throws -> [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        for row in try rows(
            "SELECT partition, next_offset FROM consumer_offset WHERE group_id = $1 AND topic = $2",
            [group, topics.checkInRequests]
        ) {
            if let partition = row[0].flatMap(Int32.init), let next = row[1].flatMap(Int64.init) {
                offsets[partition] = next
            }
        }
        return offsets
    }

    // MARK: Waiting

    /// Checks `condition` every 100 ms until it holds; throws once `timeout` passed, with `detail()` in the message.
    /// Blocking: call it inside `blocking`.
    func waitUntil(
        _ what: String,
        timeout: Duration = .seconds(30),
        detail: () throws -> String = { "" },
        _ condition: () throws -> Bool
    ) throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                throw PipelineTestError(
                    description: "timed out after \(timeout) waiting until \(what). \(try detail())"
                )
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// Waits until `count` log rows exist (with the consumers' statistics in the error).
    func waitForLogRows(_ count: Int, consumers: [CheckInConsumer], timeout: Duration = .seconds(30)) throws {
        try waitUntil(
            "\(count) log rows exist",
            timeout: timeout,
            detail: { try "log rows: \(self.count("event_attendance_log")); " + Self.describe(consumers) }
        ) { try self.count("event_attendance_log") >= count }
    }

    static func describe(_ consumers: [CheckInConsumer]) -> String {
        consumers.map { consumer in
            let s = consumer.statistics.snapshot
            return "consumer: logged \(s.logged), duplicates \(s.duplicates), dead-lettered \(s.deadLettered), "
                + "retries \(s.retries), last error \(s.lastError ?? "none")"
        }.joined(separator: "; ")
    }

    /// Runs blocking work (libpq, librdkafka, waits) on the pipeline's own thread, or on `executor`. It stays in
    /// the calling task, so `#expect` inside it is attributed to the running test.
    @discardableResult
    func blocking<T: Sendable>(on executor: ThreadExecutor? = nil, _ body: () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor ?? self.executor) { try body() }
    }
}

/// Runs `services` while `body` runs, then stops them (cancellation raises their stop signal) and waits for them.
func withServices<T: Sendable>(_ services: [any Service], _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        for service in services {
            group.addTask { try await service.run() }
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        group.cancelAll()
        try await group.waitForAll()
        return try result.get()
    }
}
