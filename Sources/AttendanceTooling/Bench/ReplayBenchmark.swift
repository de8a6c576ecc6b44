import ArgumentParser
import CommandSupport
import Domain
import Foundation
import Projections

struct ReplayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract:
            "Rebuild event_attendance_history from a generated log and report rows/s, RSS and the diff and swap times.",
        discussion: """
            Generates the log in SQL (generate_series, not through Kafka) in schema bench_replay (dropped and recreated): \
            members checking in on consecutive days with a missed day every sixth, so streaks break. Then: rebuild \
            (rows/s, RSS sampled during the run), swap into the empty live table, rebuild again and diff (must be identical).
            """
    )

    @OptionGroup var database: DatabaseURLOptions
    @OptionGroup var migrationsFolder: MigrationsFolderOptions

    @Option(help: "CHECK_IN log rows to generate.") var rows = 1_000_000
    @Option(help: "Events the rows are spread over.") var events = 5
    @Option(help: "Successes per member.") var days = 20
    @Option(name: .customLong("chunk-size"), help: "Log rows per rebuild chunk.") var chunkSize = 20_000

    func run() async throws {
        let postgres = try database.requireDatabase()
        let migrations = migrationsFolder.migrationsURL()
        let schema = "bench_replay"
        let (rows, events, days, chunkSize) = (rows, events, days, chunkSize)
        let environment = try await Blocking.run("bench-env") { try BenchEnvironment.read(postgres) }
        say("bench replay: \(rows) log rows, \(events) events, \(days) days per member, chunks of \(chunkSize)")

        let setupSeconds = try await Blocking.run("bench-setup") { () throws -> Double in
            try Setup.drop(schema: schema, postgres: postgres)
            _ = try Setup.migrate(postgres: postgres, schema: schema, directory: migrations, publishes: false)
            let firstDay = DemoEvents.firstDay(daysAgo: days * 2)
            let policies = try DemoEvents.policies(ids: (1...Int64(events)).map { $0 }, startingAt: firstDay)
            _ = try Setup.apply(policies, postgres: postgres, schema: schema)
            let started = ContinuousClock.now
            let connection = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-bench",
                searchPath: schema
            )
            defer { connection.close() }
            try Self.generateLog(rows: rows, events: events, days: days, firstDay: firstDay, on: connection)
            try connection.execute("VACUUM ANALYZE event_attendance_log")
            return (ContinuousClock.now - started).seconds
        }
        say(String(format: "setup: log generated in SQL in %.1f s", setupSeconds))

        let report = try await Blocking.run("bench-replay") { () throws -> [String] in
            let reader = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-bench-read",
                searchPath: schema
            )
            let writer = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-bench",
                searchPath: schema
            )
            defer {
                reader.close()
                writer.close()
            }
            var configuration = HistoryRebuild.Configuration()
            configuration.chunkSize = chunkSize
            let rebuild = HistoryRebuild(configuration: configuration, reader: reader, writer: writer)
            var samples: [(Double, Double)] = []
            var nextSample = 0.1
            let baseline = ProcessMemory.residentMiB()
            let started = ContinuousClock.now
            let outcome = try rebuild.rebuild(resume: false) { progress in
                if progress.fraction >= nextSample {
                    samples.append((progress.fraction, ProcessMemory.residentMiB()))
                    nextSample += 0.3
                }
            }
            let rebuildSeconds = (ContinuousClock.now - started).seconds
            guard case .completed(let counts) = outcome else { throw BenchFailure("the rebuild did not complete") }
            guard counts.replayed == Int64(rows), counts.written == Int64(rows) else {
                throw BenchFailure("rebuilt \(counts.written) of \(counts.replayed) rows, expected \(rows)")
            }
            let swapStarted = ContinuousClock.now
            let swapped = try rebuild.swap()
            let swapSeconds = (ContinuousClock.now - swapStarted).seconds
            guard swapped.missing == Int64(rows) else {
                throw BenchFailure("the swap inserted \(swapped.missing) rows")
            }
            _ = try rebuild.rebuild(resume: false)
            let diffStarted = ContinuousClock.now
            let diff = try rebuild.diff()
            let diffSeconds = (ContinuousClock.now - diffStarted).seconds
            guard diff.isIdentical, diff.identical == Int64(rows) else {
                throw BenchFailure("the diff after the swap is not identical")
            }

            let rss = samples.map { String(format: "%.0f%% %.1f", $0.0 * 100, $0.1) }.joined(separator: ", ")
            return [
                String(
                    format: "rebuild:   %.0f rows/s  (%d log rows → %d history rows in %.2f s)",
                    Double(rows) / rebuildSeconds,
                    rows,
                    counts.written,
                    rebuildSeconds
                ),
                String(format: "RSS:       %.1f MiB before the rebuild; during it (MiB at progress): ", baseline) + rss,
                String(format: "peak RSS:  %.1f MiB (whole process)", ProcessMemory.peakResidentMiB()),
                String(
                    format: "swap:      %.2f s into the empty live table (%d rows inserted, one transaction)",
                    swapSeconds,
                    swapped.missing
                ),
                String(
                    format: "diff:      %.2f s after a second rebuild: identical (%d rows)",
                    diffSeconds,
                    diff.identical
                ),
            ]
        }
        say(
            "setup: \(environment.cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
                + String(format: "%.0f GiB; ", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)
                + "\(environment.postgres); synchronous_commit=\(environment.synchronousCommit), fsync=\(environment.fsync)"
        )
        for line in report { say(line) }
    }

    /// `rows` CHECK_IN rows: member m of event e succeeds on `days` days from `firstDay`, skipping every sixth day.
    static func generateLog(rows: Int, events: Int, days: Int, firstDay: Timestamp, on connection: PostgresConnection)
        throws
    {
        try connection.execute(
            """
            INSERT INTO event_attendance_log (event_id, member_id, request_id, status, requested_at, attendance_date,
                policy_version, source_topic, source_partition, source_offset, message_timestamp)
            SELECT e.id, g.member, 'bench-' || g.i, 'CHECK_IN', g.at,
                   (g.at AT TIME ZONE e.timezone)::date, e.policy_version, 'attendance.check-in-requests.v1',
                   (g.i % 12)::int, g.i / 12, g.at
            FROM (
                SELECT i, 1 + (i % $2) AS event, 1 + (i / $2) % ($1 / ($2 * $3)) AS member,
                       $4::timestamptz + ((i / ($1 / $3)) + (i / ($1 / $3)) / 5) * interval '1 day' + interval '12 hours' AS at
                FROM generate_series(0::bigint, $1 - 1) AS s(i)
            ) g
            JOIN event e ON e.id = g.event
            ORDER BY g.i
            """,
            [Int64(rows), Int64(events), Int64(days), firstDay.description]
        )
    }
}

extension ProcessMemory {
    /// Current resident set size (VmRSS) of this process, in MiB.
    static func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0") ?? 0) / 1_024
    }
}
