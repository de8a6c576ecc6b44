import ArgumentParser
import CommandSupport
import Consumer
import Domain
import Foundation
import Logging
import Projections
import ServiceLifecycle
import Synchronization

package struct BenchCommand: AsyncParsableCommand {
    package init() {}

    package static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print figures with the setup they ran on (never run by the tests).",
        subcommands: [CheckInsBenchmark.self, RewardsBenchmark.self, ReplayBenchmark.self, APIBenchmark.self]
    )
}

struct CheckInsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkins",
        abstract:
            "Push a generated workload through the embedded cluster into Postgres and report throughput, latency and RSS.",
        discussion: """
            Same run, same data: the batch pipeline end to end (produce → consume → one transaction per batch, \
            durable commits), the seed's per-message flow on a sample, and a raw COPY of the final rows as a ceiling. \
            Uses schemas bench_checkins, bench_seed_flow and bench_copy (dropped and recreated).
            """
    )

    @OptionGroup var database: DatabaseURLOptions
    @OptionGroup var migrationsFolder: MigrationsFolderOptions
    @OptionGroup var topicsFolder: TopicsFolderOptions

    @Option(help: "Requests to generate.") var requests = 1_000_000
    @Option(help: "Distinct members.") var members = 100_000
    @Option(help: "Events the members are spread over.") var events = 5
    @Option(help: "Days of check-ins.") var days = 10
    @Option(help: "Consumers in the group (in this process).") var consumers = 2
    @Option(name: .customLong("batch-size"), help: "Most check-ins per transaction.") var batchSize = 4_000
    @Option(
        name: .customLong("batch-linger-ms"),
        help: "How long a batch holding check-ins waits for the next (100: always wait the full 100 ms batch wait)."
    )
    var batchLingerMilliseconds = 5
    @Option(
        name: .customLong("producer-linger-ms"),
        help: """
            linger.ms of the producer standing in for the upstream services (part of the measured latency). The \
            in-process mock broker walks its message sets on each fetch, so many small sets make it cost more CPU as \
            a run goes on; a real broker indexes them.
            """
    )
    var producerLingerMilliseconds = 25
    @Option(name: .customLong("seed-flow-sample"), help: "Requests run through the per-message flow.")
    var seedFlowSample = 20_000
    @Option(help: "Most messages produced but not yet consumed (the mock broker keeps ~5 MB per partition).")
    var window = 20_000
    @Option(help: "Produce at this many check-ins/s instead of as fast as the consumers take them (0: saturated).")
    var pace = 0
    @Option(
        help: """
            Check-ins already recorded before the run (log and history rows generated in SQL for the same members \
            in five other events, 200 days each at most), to measure the cost of a long history.
            """
    )
    var preload = 0

    func validate() throws {
        guard (0...100).contains(batchLingerMilliseconds) else {
            throw ValidationError("--batch-linger-ms must be 0...100 (the batch wait)")
        }
        guard (0...1_000).contains(producerLingerMilliseconds) else {
            throw ValidationError("--producer-linger-ms must be 0...1000")
        }
    }

    func run() async throws {
        let postgres = try database.requireDatabase()
        let migrations = migrationsFolder.migrationsURL()
        let logger = {
            var logger = Logger(label: "attendance.bench")
            logger.logLevel = .warning
            return logger
        }()
        let schema = "bench_checkins"
        let firstDay = DemoEvents.firstDay(daysAgo: days + 1)
        let policies = try DemoEvents.policies(ids: (1...Int64(events)).map { $0 }, startingAt: firstDay)
        let settings = CheckInWorkload.Settings(
            eventIDs: policies.map(\.id),
            members: members,
            days: days,
            firstDay: firstDay,
            total: requests
        )
        try await Blocking.run("bench-setup") {
            for name in [schema, "bench_seed_flow", "bench_copy"] {
                try Setup.drop(schema: name, postgres: postgres)
                // No slot yet: the seed flow and the COPY never publish, and the pipeline's consumers create
                // theirs when they start (after a preload, whose WAL a slot would otherwise keep).
                _ = try Setup.migrate(postgres: postgres, schema: name, directory: migrations, publishes: false)
                _ = try Setup.apply(policies, postgres: postgres, schema: name)
            }
        }
        if preload > 0 {
            let (members, preload) = (members, preload)
            let seconds = try await Blocking.run("bench-preload") {
                try Self.preload(preload, members: members, postgres: postgres, schema: schema)
            }
            say(String(format: "preloaded %d check-ins (log + history rows) in %.0f s", preload, seconds))
        }
        let environment = try await Blocking.run("bench-env") { try BenchEnvironment.read(postgres) }

        // 1. The pipeline, end to end.
        let cluster = try KafkaMockCluster(brokers: 3)
        _ = try TopicReconciler.apply(try TopicSpec.loadAll(from: topicsFolder.topicsURL()), mock: cluster)
        // The mock broker holds an empty fetch for fetch.wait.max.ms (500 ms by default) where a real broker answers
        // as soon as data arrives: without this, a paced run would measure the mock's wait.
        let kafka = KafkaConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            consumerProperties: KafkaMockCluster.lowLatencyConsumerProperties
        )
        let latencies = LatencyRecorder()
        var consumerConfiguration = CheckInConsumer.Configuration(
            kafka: kafka,
            groupID: "bench",
            postgres: postgres,
            schema: schema
        )
        consumerConfiguration.maxBatchSize = batchSize
        consumerConfiguration.batchLinger = .milliseconds(batchLingerMilliseconds)
        let group = (0..<consumers).map { _ in
            CheckInConsumer(configuration: consumerConfiguration, logger: logger) { _, timestamps in
                latencies.record(messageTimestamps: timestamps)
            }
        }
        let relay = OutboxRelay(
            configuration: .init(kafka: kafka, postgres: postgres, schema: schema),
            logger: logger
        )
        let handled: @Sendable () -> Int = { group.reduce(0) { $0 + $1.statistics.snapshot.handled } }

        say(
            "bench checkins: \(requests) requests, \(members) members, \(events) events, \(days) days, \(consumers) consumer(s), batch \(batchSize), linger \(batchLingerMilliseconds) ms"
                + (pace > 0 ? ", paced at \(pace)/s" : ", saturated")
        )
        // The WAL the pipeline writes (rows, indexes, outbox messages), read from the server's position.
        let walStart = try await Blocking.run("bench-wal") {
            let connection = try PostgresConnection.connect(postgres, searchPath: schema)
            defer { connection.close() }
            return try MessageSlot.currentPosition(on: connection)
        }
        let (report, walEnd) = try await withThrowingTaskGroup(of: Void.self) {
            tasks -> (PipelineReport, LogSequenceNumber) in
            for consumer in group { tasks.addTask { try await consumer.run() } }
            tasks.addTask { try await relay.run() }
            var producerKafka = kafka
            producerKafka.properties["linger.ms"] = String(producerLingerMilliseconds)
            let report = try await Blocking.run("bench-producer") { [producerKafka] in
                try Self.produce(
                    settings: settings,
                    kafka: producerKafka,
                    window: window,
                    pace: pace,
                    handled: handled,
                    latencies: latencies,
                    logger: logger
                )
            }
            for consumer in group { consumer.requestStop() }
            // Let the relay drain what the last batches wrote, then stop it.
            let walEnd = try await Blocking.run("bench-drain") {
                let connection = try PostgresConnection.connect(postgres, searchPath: schema)
                defer { connection.close() }
                let deadline = Date().addingTimeInterval(120)
                let written = try MessageSlot.currentPosition(on: connection)
                let slot = MessageSlot(schema: schema)
                while !(try slot.hasPublished(through: written, on: connection)) {
                    guard Date() < deadline else {
                        throw BenchFailure("the relay did not publish everything within 120 s (slot \(slot.name))")
                    }
                    usleep(50_000)
                }
                return written
            }
            relay.requestStop()
            try await tasks.waitForAll()
            return (report, walEnd)
        }
        let peakRSS = ProcessMemory.peakResidentMiB()
        let verified = try await Blocking.run("bench-verify") {
            defer { try? Setup.releaseSlot(schema: schema, postgres: postgres) }
            return try BenchVerification.check(postgres: postgres, schema: schema, expected: report.counts)
        }
        let seconds = Double(report.elapsedMilliseconds) / 1_000
        let pipelineRate = Double(requests) / seconds
        let percentiles = latencies.percentiles([0.5, 0.99, 0.999])

        // 2. The seed's per-message flow, on the first requests of the same workload.
        let sample = min(seedFlowSample, requests)
        let seedSeconds = try await Blocking.run("bench-seed-flow") {
            try Self.runSeedFlow(settings: settings, sample: sample, postgres: postgres)
        }
        let seedRate = Double(sample) / seedSeconds

        // 3. The ceiling: COPY of the final rows into empty tables.
        let copy = try await Blocking.run("bench-copy") {
            try Self.copyCeiling(postgres: postgres, from: schema, to: "bench_copy")
        }
        let copyRate = Double(requests) / copy.seconds

        say("")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory / 1_073_741_824
        say(
            "setup: \(environment.cpu), \(cores) cores, \(memory) GiB; \(environment.postgres); "
                + "synchronous_commit=\(environment.synchronousCommit), fsync=\(environment.fsync); "
                + "librdkafka \(KafkaLibrary.version) mock cluster, 3 brokers, in process; "
                + "bench producer linger.ms=\(producerLingerMilliseconds)"
        )
        say(
            "workload: \(report.counts.valid) valid, \(report.counts.duplicates) duplicates, \(report.counts.malformed) malformed"
        )
        say(
            String(
                format: "pipeline:   %9.0f check-ins/s end to end  (%d requests in %.1f s)",
                pipelineRate,
                requests,
                seconds
            )
        )
        say(
            "latency produce→commit"
                + (pace > 0 ? " (paced at \(pace)/s)" : " (saturated: includes the wait in the window)")
                + ": p50 \(percentiles[0]) ms, p99 \(percentiles[1]) ms, p99.9 \(percentiles[2]) ms"
        )
        say("worst latency per 5 s of the run (ms): " + latencies.worstByWindow(seconds: 5, since: report.start))
        say(String(format: "peak RSS:   %9.1f MiB (this process, including the in-process mock brokers)", peakRSS))
        let walBytes = Double(walEnd.value &- walStart.value)
        say(
            String(
                format: "WAL:        %9.0f MiB written by the pipeline (%.0f bytes per request)",
                walBytes / 1_048_576,
                walBytes / Double(requests)
            )
        )
        say(
            String(
                format: "seed flow:  %9.0f check-ins/s (one transaction per request, %d requests) → pipeline is %.1f×",
                seedRate,
                sample,
                pipelineRate / seedRate
            )
        )
        say(
            String(
                format:
                    "COPY:       %9.0f check-ins/s worth of final rows (%d rows in %.2f s) → pipeline is %.0f%% of it",
                copyRate,
                copy.rows,
                copy.seconds,
                100 * pipelineRate / copyRate
            )
        )
        say("verified:   \(verified)")
    }

    struct PipelineReport: Sendable {
        var counts: WorkloadCounts
        var elapsedMilliseconds: Int64
        /// When the first message of the measured workload was produced.
        var start: Date
    }

    struct WorkloadCounts: Sendable {
        var valid = 0
        var duplicates = 0
        var malformed = 0
    }

    /// Produces the workload while the consumers run, never more than `window` messages ahead of them.
    private static func produce(
        settings: CheckInWorkload.Settings,
        kafka: KafkaConfiguration,
        window: Int,
        pace: Int,
        handled: @escaping @Sendable () -> Int,
        latencies: LatencyRecorder,
        logger: Logger
    ) throws -> PipelineReport {
        let producer = try KafkaProducer(configuration: kafka, logger: logger)
        defer { producer.close() }
        let topic = TopicNames.standard.checkInRequests
        // Warm up: wait until the group has its partitions (one message for an unknown event).
        let warmUp = producer.produceAndWait(
            [
                OutgoingMessage(
                    topic: topic,
                    key: Array("999999:1".utf8),
                    value: Array(
                        #"{"request_id":"warm-up","event_id":999999,"member_id":1,"requested_at":"2026-01-01T00:00:00Z"}"#
                            .utf8
                    )
                )
            ],
            timeout: .seconds(30)
        )
        if case .failure(let error) = warmUp[0] { throw error }
        while handled() < 1 { usleep(10_000) }
        latencies.reset()

        let failures = Atomic<Int>(0)
        var workload = CheckInWorkload(settings)
        let start = Date()
        var sent = 0
        while let message = workload.next() {
            while sent - (handled() - 1) > window { usleep(2_000) }
            if pace > 0 {
                // Paced: message n leaves at start + n / pace, so latency is measured below capacity.
                let due = Double(sent) / Double(pace) - Date().timeIntervalSince(start)
                if due > 0.001 { usleep(UInt32(due * 1_000_000)) }
            }
            producer.produce(OutgoingMessage(topic: topic, key: message.key, value: message.value)) { result in
                if case .failure = result { failures.add(1, ordering: .relaxed) }
            }
            sent += 1
        }
        try producer.flush(timeout: .seconds(60))
        guard failures.load(ordering: .relaxed) == 0 else {
            throw BenchFailure("\(failures.load(ordering: .relaxed)) messages were not delivered to the mock cluster")
        }
        let deadline = Date().addingTimeInterval(1_800)
        while handled() - 1 < sent {
            guard Date() < deadline else {
                throw BenchFailure("consumers handled \(handled() - 1) of \(sent) in 30 min")
            }
            usleep(20_000)
        }
        let elapsed = latencies.lastCommitMilliseconds - Int64(start.timeIntervalSince1970 * 1_000)
        var counts = WorkloadCounts()
        counts.valid = workload.counts[.valid] ?? 0
        counts.duplicates = workload.counts[.duplicate] ?? 0
        counts.malformed = workload.counts[.malformed] ?? 0
        return PipelineReport(counts: counts, elapsedMilliseconds: elapsed, start: start)
    }

    /// Writes `count` past successes (log and history rows) of the workload's members in five other events, on
    /// days before the workload's, in time order as production would have, then analyzes and checkpoints so the
    /// run pays for neither.
    private static func preload(_ count: Int, members: Int, postgres: PostgresConfiguration, schema: String) throws
        -> Double
    {
        let connection = try PostgresConnection.connect(
            postgres,
            applicationName: "attendance-bench",
            searchPath: schema
        )
        defer { connection.close() }
        let start = Date()
        let policies = try DemoEvents.policies(
            ids: (1_001...1_005).map { $0 },
            startingAt: DemoEvents.firstDay(daysAgo: 400)
        )
        for policy in policies { _ = try EventCatalog.apply(policy, on: connection) }
        let days = (count + members - 1) / members
        try connection.execute(
            """
            INSERT INTO event_attendance_log (event_id, member_id, request_id, status, requested_at, attendance_date,
                channel, policy_version, source_topic, source_partition, source_offset, message_timestamp)
            SELECT 1001 + m % 5, m, 'preload-' || d || '-' || m, 'CHECK_IN', t, current_date - 400 + d, 'APP', 1,
                   'preload', 0, (d - 1) * $1::bigint + m, t
            FROM generate_series(1, $2::int) d
            CROSS JOIN generate_series(1, $1::int) m
            CROSS JOIN LATERAL (SELECT (current_date - 400 + d)::timestamptz + interval '9 hours' AS t) x
            WHERE (d - 1) * $1::bigint + m <= $3
            """,
            [Int64(members), days, Int64(count)]
        )
        try connection.execute(
            """
            INSERT INTO event_attendance_history (event_id, member_id, attendance_log_id, attendance_date,
                total_attendance_count, streak_attendance_count)
            SELECT event_id, member_id, id, attendance_date, attendance_date - (current_date - 400),
                   attendance_date - (current_date - 400)
            FROM event_attendance_log WHERE source_topic = 'preload' ORDER BY id
            """
        )
        // A history that grew over months has been vacuumed and checkpointed along the way. Without this, the run
        // would pay for the preload: autovacuum's first pass over the new rows (insert-triggered) and the
        // writeback of its dirty pages both land in the measured minutes.
        try connection.execute("VACUUM (ANALYZE) event_attendance_log, event_attendance_history")
        do {
            try connection.execute("CHECKPOINT")
        } catch {
            // CHECKPOINT needs superuser or the pg_checkpoint role (scripts/setup.sh grants it locally).
            say("bench: no CHECKPOINT after the preload (\(error)); the run pays for part of its writeback")
        }
        return Date().timeIntervalSince(start)
    }

    private static func runSeedFlow(settings: CheckInWorkload.Settings, sample: Int, postgres: PostgresConfiguration)
        throws
        -> Double
    {
        let connection = try PostgresConnection.connect(
            postgres,
            applicationName: "attendance-bench",
            searchPath: "bench_seed_flow"
        )
        defer { connection.close() }
        var flow = SeedFlow(connection: connection)
        var workload = CheckInWorkload(settings)
        let now = Timestamp.now()
        let start = Date()
        for offset in 0..<sample {
            guard let message = workload.next() else { break }
            try flow.process(key: message.key, value: message.value, messageTimestamp: now, offset: Int64(offset))
        }
        return Date().timeIntervalSince(start)
    }

    private static func copyCeiling(postgres: PostgresConfiguration, from source: String, to target: String) throws -> (
        rows: Int, seconds: Double
    ) {
        let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-bench")
        defer { connection.close() }
        // The run's own rows (not a preloaded history).
        let tables = [
            ("event_attendance_log", "source_topic <> 'preload'"), ("event_attendance_history", "event_id < 1001"),
            ("event_attendance_reward_log", "true"),
        ]
        var data: [(String, [UInt8])] = []
        var rows = 0
        for (table, condition) in tables {
            let query = "SELECT * FROM \(source).\(table) WHERE \(condition)"
            data.append((table, try connection.copyOut("COPY (\(query)) TO STDOUT (FORMAT binary)")))
            rows += try connection.execute("SELECT count(*) FROM (\(query)) x").int(0, 0) ?? 0
        }
        let start = Date()
        try connection.transaction { connection in
            for (table, bytes) in data {
                try connection.copyIn("COPY \(target).\(table) FROM STDIN (FORMAT binary)", data: bytes)
            }
        }
        return (rows, Date().timeIntervalSince(start))
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum BenchEnvironment {
    struct Facts: Sendable {
        var cpu: String
        var postgres: String
        var synchronousCommit: String
        var fsync: String
    }

    static func read(_ postgres: PostgresConfiguration) throws -> Facts {
        let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-bench")
        defer { connection.close() }
        let rows = try connection.execute(
            "SELECT split_part(version(), ' on ', 1), current_setting('synchronous_commit'), current_setting('fsync')"
        )
        return Facts(
            cpu: ProcessMemory.cpuModel(),
            postgres: rows.string(0, 0) ?? "PostgreSQL",
            synchronousCommit: rows.string(0, 1) ?? "?",
            fsync: rows.string(0, 2) ?? "?"
        )
    }
}

enum BenchVerification {
    /// Every valid request logged once, every duplicate and malformed message accounted for, nothing left unpublished.
    static func check(postgres: PostgresConfiguration, schema: String, expected: CheckInsBenchmark.WorkloadCounts)
        throws -> String
    {
        let connection = try PostgresConnection.connect(postgres, searchPath: schema)
        defer { connection.close() }
        let rows = try connection.execute(
            """
            SELECT (SELECT count(*) FROM event_attendance_log WHERE request_id <> 'warm-up' AND source_topic <> 'preload'),
                   (SELECT count(*) FROM event_attendance_history WHERE event_id < 1001),
                   (SELECT count(*) FROM event_attendance_reward_log),
                   (SELECT count(*) FROM outbox),
                   (SELECT count(*) FROM event_attendance_log WHERE status = 'CHECK_IN' AND source_topic <> 'preload')
            """
        )
        let logged = rows.int(0, 0) ?? -1
        let history = rows.int(0, 1) ?? -1
        let rewards = rows.int(0, 2) ?? -1
        let outbox = rows.int(0, 3) ?? -1
        let successes = rows.int(0, 4) ?? -1
        guard logged == expected.valid, history == successes, outbox == 0 else {
            throw BenchFailure(
                "counts do not add up: \(logged) log rows for \(expected.valid) valid requests, "
                    + "\(history) history rows for \(successes) successes, \(outbox) outbox rows left"
            )
        }
        return
            "\(logged) log rows = valid requests, \(history) history rows = successes, \(rewards) rewards, outbox drained"
    }
}
