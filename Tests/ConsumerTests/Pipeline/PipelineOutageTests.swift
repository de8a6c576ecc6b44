import Consumer
import Domain
import Foundation
import Projections
import Synchronization
import Testing

extension PipelineTests {
    @Suite("Postgres outage: the consumer's backend is terminated mid-stream", .timeLimit(.minutes(5)))
    struct Outage {
        static let members = 100
        static let event = EventFixture(id: 95, dailyReward: #"{"type": "POINT", "point_amount": 3}"#)

        static func dayOfCheckIns(_ day: Int) -> [OutgoingMessage] {
            let date = AttendanceDate(year: 2026, month: 5, day: 1)!.adding(days: day - 1)
            return (1...Int64(members)).map { member in
                CheckInFixture(
                    eventID: 95,
                    memberID: member,
                    requestID: "o-\(member)-\(day)",
                    requestedAt: "\(date)T12:00:00+09:00"
                ).message()
            }
        }

        @Test func theConsumerReconnectsAndNothingIsLostOrDoubled() async throws {
            try await Pipeline.with { pipeline in
                let group = "pipeline-outage"
                try await pipeline.blocking { try pipeline.applyEvent(Self.event.json) }
                let consumer = pipeline.checkInConsumer(group: group)
                let outage = OutageLog()
                // The terminator needs a thread of its own: it runs while the test's thread produces.
                let terminator = ThreadExecutor(name: "pipeline-kill")
                defer { terminator.shutdown() }

                let reports = try await withServices([consumer]) {
                    async let terminations: Void = pipeline.blocking(on: terminator) {
                        try Self.terminateConsumerBackends(
                            pipeline,
                            times: 2,
                            consumer: consumer,
                            log: outage
                        )
                    }
                    // One day of check-ins per chunk, kept flowing until both outages happened (at least 4 days).
                    let produced = try await pipeline.blocking {
                        defer { outage.streamEnded.store(true, ordering: .releasing) }
                        var reports: [DeliveryReport] = []
                        for day in 1...25 {
                            if day > 4, outage.terminated.withLock(\.count) >= 2 { break }
                            try pipeline.waitUntil(
                                "the consumer caught up to one chunk behind",
                                detail: { Pipeline.describe([consumer]) }
                            ) {
                                consumer.statistics.snapshot.handled >= reports.count - Self.members
                            }
                            reports += try pipeline.produce(Self.dayOfCheckIns(day))
                        }
                        try pipeline.waitForLogRows(reports.count, consumers: [consumer])
                        return reports
                    }
                    try await terminations
                    return produced
                }

                try await pipeline.blocking { () throws in
                    let days = reports.count / Self.members
                    #expect(outage.terminated.withLock(\.count) == 2)
                    let snapshot = consumer.statistics.snapshot
                    #expect(snapshot.retries >= 1)
                    #expect(snapshot.deadLettered == 0)
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT count(*)::text, count(DISTINCT request_id)::text,
                                   count(*) FILTER (WHERE status = 'CHECK_IN')::text
                            FROM event_attendance_log
                            """
                        ) == [["\(reports.count)", "\(reports.count)", "\(reports.count)"]]
                    )
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT count(*)::text,
                                   count(*) FILTER (WHERE total_attendance_count = streak_attendance_count
                                       AND attendance_date = DATE '2026-05-01' + (total_attendance_count - 1))::text
                            FROM event_attendance_history
                            """
                        ) == [["\(reports.count)", "\(reports.count)"]]
                    )
                    #expect(
                        try pipeline.rows(
                            "SELECT count(*)::text, count(DISTINCT idempotency_key)::text FROM event_attendance_reward_log"
                        ) == [["\(reports.count)", "\(reports.count)"]]
                    )
                    #expect(
                        try pipeline.outboxCount(topic: "attendance.reward-commands.v1") == reports.count
                    )
                    #expect(try pipeline.outboxCount(topic: "attendance.events.v1") == reports.count)
                    #expect(try pipeline.storedOffsets(group: group) == Pipeline.highWatermarks(reports))
                    #expect(days >= 4)
                }
            }
        }

        /// Terminates, `times` times, the backend of this test's consumer while it holds locks in the test schema
        /// (i.e. mid-transaction), waiting for the consumer to log more rows between two terminations. Other
        /// processes' consumers on the same server are never touched: only backends locking this schema qualify.
        static func terminateConsumerBackends(
            _ pipeline: Pipeline,
            times: Int,
            consumer: CheckInConsumer,
            log: OutageLog
        ) throws {
            let admin = try PostgresConnection.connect(pipeline.postgres, applicationName: "attendance-tests")
            defer { admin.close() }
            let deadline = ContinuousClock.now + .seconds(60)
            var loggedAtLastKill = -1
            while log.terminated.withLock(\.count) < times, !log.streamEnded.load(ordering: .acquiring) {
                guard ContinuousClock.now < deadline else {
                    throw PipelineTestError(description: "no consumer transaction to interrupt within 60 s")
                }
                let logged = consumer.statistics.snapshot.logged
                guard logged > loggedAtLastKill else {
                    Thread.sleep(forTimeInterval: 0.005)
                    continue
                }
                let rows = try admin.execute(
                    """
                    SELECT DISTINCT a.pid
                    FROM pg_locks l
                    JOIN pg_class c ON c.oid = l.relation
                    JOIN pg_namespace n ON n.oid = c.relnamespace
                    JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE n.nspname = $1 AND a.application_name = 'attendance-consumer' AND a.pid <> pg_backend_pid()
                    """,
                    [pipeline.schema]
                )
                let previous = log.terminated.withLock { $0 }
                for row in 0..<rows.count {
                    guard let pid = rows.int(row, 0).map(Int32.init), !previous.contains(pid) else { continue }
                    if try admin.execute("SELECT pg_terminate_backend($1)", [Int(pid)]).bool(0, 0) == true {
                        log.terminated.withLock { $0.append(pid) }
                        loggedAtLastKill = logged
                        break
                    }
                }
                Thread.sleep(forTimeInterval: 0.002)
            }
        }
    }
}

/// What the outage test's terminator did, shared between its thread and the producing thread.
final class OutageLog: Sendable {
    /// Backend pids terminated so far.
    let terminated = Mutex<[Int32]>([])
    /// Set once the producer stopped producing, so the terminator gives up instead of waiting for its deadline.
    let streamEnded = Atomic<Bool>(false)
}
