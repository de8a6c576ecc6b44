import ArgumentParser
import CommandSupport
import Consumer
import Domain
import FakeRewardAPI
import Foundation
import Logging
import Projections

struct RewardsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewards",
        abstract:
            "Settle a generated backlog of reward commands against the fake reward API; report rewards/s, latency, attempts and RSS.",
        discussion: """
            Earned rewards are written to schema bench_rewards (dropped and recreated), their commands produced to \
            the embedded cluster (kept at most --window ahead of the settler), and one settler pays them through the \
            in-process fake API over loopback HTTP. The run verifies the fake's ledger against the reward log.
            """
    )

    @OptionGroup var database: DatabaseURLOptions
    @OptionGroup var migrationsFolder: MigrationsFolderOptions
    @OptionGroup var topicsFolder: TopicsFolderOptions

    @Option(help: "Reward commands to settle.") var commands = 200_000
    @Option(help: "Members the rewards are spread over (commands / members days each).") var members = 20_000
    @Option(name: .customLong("latency-ms"), help: "Latency of the fake API.") var latencyMilliseconds = 20
    @Option(name: .customLong("failure-rate"), help: "Transient failures of the fake API (half 503, half 429).")
    var failureRate = 0.05
    /// The service's default. 512 settled 7% fewer rewards/s here with twice the call latency: the client's pool
    /// looks for an idle connection by walking all of them, and more calls in flight only queue for the same cores.
    @Option(name: .customLong("max-in-flight"), help: "Most API calls in flight per settler loop.") var maxInFlight =
        256
    @Option(name: .customLong("batch-size"), help: "Most commands per poll and per record transaction.") var batchSize =
        2_000
    @Option(help: "Settlers in the consumer group (in this process), each with its own Kafka consumer and connections.")
    var settlers = 1
    @Option(help: "Most commands produced but not yet consumed (the mock broker keeps ~5 MB per partition).")
    var window = 40_000

    func run() async throws {
        let postgres = try database.requireDatabase()
        let migrations = migrationsFolder.migrationsURL()
        let topicsURL = topicsFolder.topicsURL()
        let logger = {
            var logger = Logger(label: "attendance.bench")
            logger.logLevel = .warning
            return logger
        }()
        let schema = "bench_rewards"
        guard members > 0, commands >= members, commands % members == 0 else {
            throw ConfigurationError("--commands must be a positive multiple of --members")
        }
        let days = commands / members
        let policy = try EventPolicy.decode(
            json: Data(
                """
                {"id": 1, "name": "Rewards benchmark", "status": "ACTIVE", "starts_at": "2026-01-01T00:00:00Z",
                 "ends_at": "2030-01-01T00:00:00Z", "timezone": "UTC", "daily_reward": {"type": "POINT", "point_amount": 10}}
                """.utf8
            )
        )
        try await Blocking.run("bench-setup") { [members] in
            try Setup.drop(schema: schema, postgres: postgres)
            _ = try Setup.migrate(postgres: postgres, schema: schema, directory: migrations)
            _ = try Setup.apply([policy], postgres: postgres, schema: schema)
            let connection = try PostgresConnection.connect(postgres, searchPath: schema)
            defer { connection.close() }
            try RewardBacklog.seed(eventID: 1, members: members, days: days, on: connection)
        }
        let environment = try await Blocking.run("bench-env") { try BenchEnvironment.read(postgres) }
        let cluster = try KafkaMockCluster(brokers: 3)
        _ = try TopicReconciler.apply(try TopicSpec.loadAll(from: topicsURL), mock: cluster)
        let kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)
        let fake = FakeRewardServer(
            configuration: .init(faults: .transient(failureRate, latency: .milliseconds(latencyMilliseconds))),
            logger: logger
        )
        say(
            "bench rewards: \(commands) commands (\(members) members × \(days) days), fake API \(latencyMilliseconds) ms latency, "
                + String(format: "%.1f%% transient failures, ", failureRate * 100)
                + "\(settlers) settler(s), max in flight \(maxInFlight), batch \(batchSize)"
        )

        let (elapsed, group) = try await withThrowingTaskGroup(of: Void.self) { tasks -> (Double, [RewardSettler]) in
            tasks.addTask { try await fake.run() }
            let url = try await fake.baseURL()
            var api = RewardAPIClient.Configuration(pointsBaseURL: url, couponsBaseURL: url)
            api.maxConnectionsPerHost = maxInFlight
            var configuration = RewardSettler.Configuration(
                kafka: kafka,
                groupID: "bench",
                postgres: postgres,
                schema: schema,
                api: api
            )
            configuration.batchSize = batchSize
            configuration.readAhead = max(configuration.readAhead, 2 * batchSize)
            configuration.maxInFlight = maxInFlight
            configuration.retry = RewardRetryPolicy(
                maxAttempts: 20,
                initialBackoff: .milliseconds(100),
                maximumBackoff: .seconds(2)
            )
            configuration.schedulerInterval = .milliseconds(100)
            configuration.schedulerBatch = batchSize
            let group = (0..<max(1, settlers)).map { _ in RewardSettler(configuration: configuration, logger: logger) }
            for settler in group { tasks.addTask { try await settler.run() } }
            let start = Date()
            try await Blocking.run("bench-producer") { [window] in
                try Self.produce(
                    postgres: postgres,
                    schema: schema,
                    kafka: kafka,
                    window: window,
                    settlers: group,
                    logger: logger
                )
            }
            try await Blocking.run("bench-wait") { [commands] in
                // Watch the settlers' counters (no load on Postgres), then confirm in the reward log.
                let deadline = Date().addingTimeInterval(1_800)
                func settled() -> Int {
                    group.reduce(0) { total, settler in
                        let s = settler.statistics.snapshot
                        return total + s.succeeded + s.failed + s.parked + s.budgetRefused
                    }
                }
                while settled() < commands {
                    guard Date() < deadline else { throw BenchFailure("rewards still pending after 30 min") }
                    usleep(10_000)
                }
                let connection = try PostgresConnection.connect(postgres, searchPath: schema)
                defer { connection.close() }
                while try connection.execute(
                    "SELECT count(*) FROM event_attendance_reward_log WHERE status = 'PENDING'"
                ).int(0, 0) ?? 1 > 0 {
                    guard Date() < deadline else { throw BenchFailure("rewards still pending after 30 min") }
                    usleep(100_000)
                }
            }
            let elapsed = Date().timeIntervalSince(start)
            for settler in group { settler.requestStop() }
            tasks.cancelAll()
            try await tasks.waitForAll()
            return (elapsed, group)
        }
        let peakRSS = ProcessMemory.peakResidentMiB()
        let report = try await Blocking.run("bench-report") {
            defer { try? Setup.releaseSlot(schema: schema, postgres: postgres) }
            return try RewardsBenchReport.read(postgres: postgres, schema: schema, ledger: fake.ledger)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory / 1_073_741_824
        say("")
        say(
            "setup: \(environment.cpu), \(cores) cores, \(memory) GiB; \(environment.postgres); "
                + "synchronous_commit=\(environment.synchronousCommit), fsync=\(environment.fsync); "
                + "librdkafka \(KafkaLibrary.version) mock cluster, 3 brokers, in process; fake API in process over loopback HTTP"
        )
        say(
            String(
                format: "settled:    %9.0f rewards/s  (%d rewards in %.1f s)",
                Double(commands) / elapsed,
                commands,
                elapsed
            )
        )
        say("settle latency (first call → final outcome): p50 \(report.settleP50) ms, p99 \(report.settleP99) ms")
        say("call latency: p50 \(report.callP50) ms, p99 \(report.callP99) ms")
        say(String(format: "attempts:   %9.3f per reward (%d calls)", report.attemptsPerReward, report.attempts))
        say(String(format: "peak RSS:   %9.1f MiB (this process: settler, fake API, mock brokers)", peakRSS))
        for settler in group { say("settler:    \(settler.statistics.snapshot)") }
        say("verified:   \(report.verification)")
    }

    private static func produce(
        postgres: PostgresConfiguration,
        schema: String,
        kafka: KafkaConfiguration,
        window: Int,
        settlers: [RewardSettler],
        logger: Logger
    ) throws {
        let connection = try PostgresConnection.connect(postgres, searchPath: schema)
        let commands = try RewardBacklog.commands(on: connection)
        connection.close()
        let producer = try KafkaProducer(configuration: kafka, logger: logger)
        defer { producer.close() }
        let topic = TopicNames.standard.rewardCommands
        var sent = 0
        for command in commands {
            while sent - settlers.reduce(0, { $0 + $1.statistics.snapshot.commands }) > window { usleep(2_000) }
            producer.produce(OutgoingMessage(topic: topic, key: command.key, value: command.value)) { _ in }
            sent += 1
        }
        try producer.flush(timeout: .seconds(60))
    }
}

enum RewardsBenchReport {
    struct Figures: Sendable {
        var settleP50 = 0
        var settleP99 = 0
        var callP50 = 0
        var callP99 = 0
        var attempts = 0
        var attemptsPerReward = 0.0
        var verification = ""
    }

    static func read(postgres: PostgresConfiguration, schema: String, ledger: FakeRewardLedger) throws -> Figures {
        let connection = try PostgresConnection.connect(postgres, searchPath: schema)
        defer { connection.close() }
        let rows = try connection.execute(
            """
            WITH first AS (SELECT reward_log_id, min(started_at) AS started FROM event_attendance_reward_attempt GROUP BY 1)
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.settled_at - f.started) * 1000)::int,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM r.settled_at - f.started) * 1000)::int,
                   (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FROM event_attendance_reward_attempt)::int,
                   (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) FROM event_attendance_reward_attempt)::int,
                   (SELECT count(*) FROM event_attendance_reward_attempt),
                   count(*), count(*) FILTER (WHERE r.status = 'SUCCEEDED')
            FROM event_attendance_reward_log r JOIN first f ON f.reward_log_id = r.id
            """
        )
        var figures = Figures()
        figures.settleP50 = rows.int(0, 0) ?? -1
        figures.settleP99 = rows.int(0, 1) ?? -1
        figures.callP50 = rows.int(0, 2) ?? -1
        figures.callP99 = rows.int(0, 3) ?? -1
        figures.attempts = rows.int(0, 4) ?? 0
        let rewards = rows.int(0, 5) ?? 0
        let succeeded = rows.int(0, 6) ?? 0
        // No relay runs in this benchmark: the settlement messages wait in the slot.
        let announced = try MessageSlot(schema: schema).peek(on: connection)
            .count { $0.topic == "attendance.reward-settlements.v1" }
        figures.attemptsPerReward = rewards > 0 ? Double(figures.attempts) / Double(rewards) : 0
        // Every transaction id in the reward log is the one the ledger paid under that key.
        var settled: [String: String] = [:]
        let pairs = try connection.execute(
            "SELECT idempotency_key, transaction_id FROM event_attendance_reward_log WHERE status = 'SUCCEEDED'"
        )
        for row in 0..<pairs.count { settled[pairs.string(row, 0) ?? ""] = pairs.string(row, 1) }
        let payments = ledger.payments
        let mismatched = payments.filter { settled[$0.idempotencyKey] != $0.transactionID }.count
        guard succeeded == rewards, payments.count == succeeded, mismatched == 0, announced == rewards else {
            throw BenchFailure(
                "ledger and reward log disagree: \(rewards) rewards, \(succeeded) succeeded, \(payments.count) paid, "
                    + "\(mismatched) transaction ids differ, \(announced) settlement messages"
            )
        }
        figures.verification =
            "\(rewards) rewards SUCCEEDED, \(payments.count) payments in the fake's ledger (one per key, "
            + "transaction ids equal), \(announced) settlement messages in the outbox slot"
        return figures
    }
}
