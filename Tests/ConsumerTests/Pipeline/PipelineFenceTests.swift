import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    @Suite("an offset fence after a failed attempt does not stall the partition", .timeLimit(.minutes(5)))
    struct FenceAfterFailure {
        static let event = EventFixture(id: 97, dailyReward: #"{"type": "POINT", "point_amount": 1}"#)

        static func request(day: Int) -> CheckInFixture {
            let date = AttendanceDate(year: 2026, month: 6, day: 1)!.adding(days: day - 1)
            return CheckInFixture(
                eventID: 97,
                memberID: 7,
                requestID: "f-\(day)",
                requestedAt: "\(date)T09:00:00+09:00"
            )
        }

        /// The realistic trigger: the connection drops during a COMMIT that the server completed. The consumer
        /// pauses fetching while it retries; the retry then finds the stored offset moved (the fence). It must
        /// resynchronise AND resume fetching, or the partition stalls until the next rebalance.
        @Test func theConsumerResumesFetchingAfterTheFence() async throws {
            try await Pipeline.with { pipeline in
                let group = "pipeline-fence"
                try await pipeline.blocking { try pipeline.applyEvent(Self.event.json) }
                let consumer = pipeline.checkInConsumer(group: group)
                try await withServices([consumer]) {
                    try await pipeline.blocking { () throws in
                        _ = try pipeline.produce([Self.request(day: 1).message()])
                        try pipeline.waitForLogRows(1, consumers: [consumer])

                        // Hold the offsets table so the next batch blocks inside its transaction.
                        let holder = try PostgresConnection.connect(
                            pipeline.postgres,
                            applicationName: "attendance-tests",
                            searchPath: pipeline.schema
                        )
                        defer { holder.close() }
                        let admin = try PostgresConnection.connect(
                            pipeline.postgres,
                            applicationName: "attendance-tests"
                        )
                        defer { admin.close() }
                        try holder.execute("BEGIN")
                        try holder.execute("LOCK TABLE consumer_offset IN EXCLUSIVE MODE")

                        let second = try pipeline.produce([Self.request(day: 2).message()])[0]
                        // Kill the blocked batch: the consumer pauses fetching and retries (and blocks again).
                        let firstWaiter = try Self.waitForBlockedConsumer(pipeline, admin: admin, other: nil)
                        try admin.execute("SELECT pg_terminate_backend($1)", [firstWaiter])
                        _ = try Self.waitForBlockedConsumer(pipeline, admin: admin, other: firstWaiter)

                        // "The server had committed that batch": the stored offset moves past the second message.
                        try holder.execute(
                            "UPDATE consumer_offset SET next_offset = $1 WHERE group_id = $2 AND partition = $3",
                            [second.offset + 1, group, second.partition]
                        )
                        try holder.execute("COMMIT")

                        // The retry meets the fence. A later message on the same partition must still be processed.
                        try pipeline.waitUntil(
                            "the consumer hit the offset fence",
                            detail: { Pipeline.describe([consumer]) }
                        ) { consumer.statistics.snapshot.lastError?.contains("moved under this consumer") == true }
                        _ = try pipeline.produce([Self.request(day: 3).message()])
                        try pipeline.waitUntil(
                            "the message after the fence is logged",
                            detail: { Pipeline.describe([consumer]) }
                        ) { try pipeline.count("event_attendance_log", where: "request_id = 'f-3'") == 1 }

                        #expect(
                            try pipeline.rows("SELECT request_id FROM event_attendance_log ORDER BY id") == [
                                ["f-1"], ["f-3"],
                            ]
                        )
                        #expect(try pipeline.storedOffsets(group: group)[second.partition] == second.offset + 2)
                    }
                }
            }
        }

        /// The pid of this test's consumer backend waiting for the offsets lock (not `other`).
        static func waitForBlockedConsumer(_ pipeline: Pipeline, admin: PostgresConnection, other: Int64?) throws
            -> Int64
        {
            var found: Int64?
            try pipeline.waitUntil("the consumer's batch waits for the offsets lock") {
                let rows = try admin.execute(
                    """
                    SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE NOT l.granted AND a.application_name = 'attendance-consumer'
                      AND l.relation = to_regclass($1)
                    """,
                    ["\(pipeline.schema).consumer_offset"]
                )
                found = (0..<rows.count).compactMap { rows.int64($0, 0) }.first { $0 != other }
                return found != nil
            }
            return found!
        }
    }
}
