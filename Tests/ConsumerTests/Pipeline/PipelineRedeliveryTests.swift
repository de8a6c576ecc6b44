import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    @Suite("redelivery, and a crash between the database commit and the Kafka commit", .timeLimit(.minutes(5)))
    struct Redelivery {
        static let event = EventFixture(id: 90, dailyReward: #"{"type": "POINT", "point_amount": 5}"#)

        static func request(member: Int64, day: Int) -> CheckInFixture {
            CheckInFixture(
                eventID: 90,
                memberID: member,
                requestID: "c-\(member)-\(day)",
                requestedAt: "2026-04-0\(day)T12:00:00+09:00"
            )
        }

        @Test func theSameRequestTwiceIsLoggedOnce() async throws {
            try await Pipeline.with { pipeline in
                try await pipeline.blocking { try pipeline.applyEvent(Self.event.json) }
                let consumer = pipeline.checkInConsumer(group: "pipeline-redelivery")
                let original = Self.request(member: 1, day: 1)
                // An upstream retry of the same attempt, with a different requested_at: still the same attempt.
                let retried = CheckInFixture(
                    eventID: 90,
                    memberID: 1,
                    requestID: original.requestID,
                    requestedAt: "2026-04-02T12:00:00+09:00"
                )
                let reports = try await withServices([consumer]) {
                    try await pipeline.blocking {
                        var reports = try pipeline.produce([original.message(), original.message()])
                        try pipeline.waitUntil("both copies were handled", detail: { Pipeline.describe([consumer]) }) {
                            consumer.statistics.snapshot.handled >= 2
                        }
                        reports += try pipeline.produce([retried.message(), Self.request(member: 1, day: 3).message()])
                        try pipeline.waitUntil(
                            "all four messages were handled",
                            detail: { Pipeline.describe([consumer]) }
                        ) {
                            consumer.statistics.snapshot.handled >= 4
                        }
                        return reports
                    }
                }
                try await pipeline.blocking { () throws in
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT request_id, status, to_char(attendance_date, 'YYYY-MM-DD'), source_offset::text
                            FROM event_attendance_log ORDER BY source_offset
                            """
                        ) == [
                            ["c-1-1", "CHECK_IN", "2026-04-01", "\(reports[0].offset)"],
                            ["c-1-3", "CHECK_IN", "2026-04-03", "\(reports[3].offset)"],
                        ]
                    )
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT to_char(attendance_date, 'YYYY-MM-DD'), total_attendance_count::text,
                                   streak_attendance_count::text
                            FROM event_attendance_history ORDER BY attendance_date
                            """
                        ) == [["2026-04-01", "1", "1"], ["2026-04-03", "2", "1"]]
                    )
                    #expect(
                        try pipeline.rows("SELECT idempotency_key FROM event_attendance_reward_log ORDER BY 1") == [
                            ["att:90:1:2026-04-01:DAILY"], ["att:90:1:2026-04-03:DAILY"],
                        ]
                    )
                    #expect(try pipeline.outboxCount(topic: "attendance.reward-commands.v1") == 2)
                    #expect(
                        try pipeline.outboxCount(topic: "attendance.events.v1")
                            == pipeline.count("event_attendance_log")
                    )
                    let snapshot = consumer.statistics.snapshot
                    #expect(snapshot.logged == 2)
                    #expect(snapshot.duplicates == 2)
                    #expect(
                        try pipeline.storedOffsets(group: "pipeline-redelivery") == Pipeline.highWatermarks(reports)
                    )
                }
            }
        }

        @Test func aRestartAfterKafkaForgotItsOffsetsResumesFromThePostgresOffsets() async throws {
            try await Pipeline.with { pipeline in
                let group = "pipeline-crash"
                try await pipeline.blocking { try pipeline.applyEvent(Self.event.json) }

                // 1. A first consumer processes day 1 of members 1–20 and stops.
                let first = pipeline.checkInConsumer(group: group)
                let firstReports = try await withServices([first]) {
                    try await pipeline.blocking {
                        let reports = try pipeline.produce((1...20).map { Self.request(member: $0, day: 1).message() })
                        try pipeline.waitForLogRows(20, consumers: [first])
                        return reports
                    }
                }
                #expect(first.statistics.snapshot.logged == 20)

                // 2. "Killed after the database commit, before the Kafka commit": Kafka's committed offsets go back
                // to 0 for every partition, while Postgres keeps the real progress.
                try await pipeline.blocking { () throws in
                    #expect(try pipeline.storedOffsets(group: group) == Pipeline.highWatermarks(firstReports))
                    try Self.resetKafkaOffsetsToZero(pipeline, group: group)
                    // Without the Postgres offsets, the group would now start over.
                    #expect(try Self.firstOffsetFromCommittedOffsets(pipeline, group: group) == 0)
                }

                // 3. A new consumer in the same group resumes from Postgres: nothing is read twice, and what is
                // produced after the restart is processed.
                let second = pipeline.checkInConsumer(group: group)
                let secondReports = try await withServices([second]) {
                    try await pipeline.blocking {
                        let reports = try pipeline.produce(
                            (1...20).map { Self.request(member: $0, day: 2).message() }
                                + (21...25).map { Self.request(member: $0, day: 1).message() }
                        )
                        try pipeline.waitForLogRows(45, consumers: [second], timeout: .seconds(60))
                        return reports
                    }
                }

                try await pipeline.blocking { () throws in
                    let snapshot = second.statistics.snapshot
                    #expect(snapshot.logged == 25)
                    #expect(snapshot.duplicates == 0)
                    #expect(snapshot.skippedBelowOffset == 0)
                    #expect(try pipeline.count("event_attendance_log") == 45)
                    #expect(try pipeline.count("event_attendance_log", where: "status = 'CHECK_IN'") == 45)
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT count(*)::text, count(DISTINCT (member_id, attendance_date))::text,
                                   count(*) FILTER (WHERE attendance_date = DATE '2026-04-02'
                                                      AND total_attendance_count = 2
                                                      AND streak_attendance_count = 2)::text,
                                   count(*) FILTER (WHERE attendance_date = DATE '2026-04-01'
                                                      AND total_attendance_count = 1
                                                      AND streak_attendance_count = 1)::text
                            FROM event_attendance_history
                            """
                        ) == [["45", "45", "20", "25"]]
                    )
                    #expect(try pipeline.count("event_attendance_reward_log") == 45)
                    #expect(try pipeline.outboxCount(topic: "attendance.reward-commands.v1") == 45)
                    #expect(try pipeline.outboxCount(topic: "attendance.events.v1") == 45)
                    #expect(
                        try pipeline.storedOffsets(group: group)
                            == Pipeline.highWatermarks(firstReports + secondReports)
                    )
                }
            }
        }

        /// The offset of the first message a plain member of `group` (starting from Kafka's committed offsets) gets.
        static func firstOffsetFromCommittedOffsets(_ pipeline: Pipeline, group: String) throws -> Int64? {
            let consumer = try KafkaConsumer(
                configuration: pipeline.kafka,
                groupID: group,
                rebalanceListener: nil,
                logger: pipeline.logger
            )
            defer { consumer.close() }
            try consumer.subscribe([pipeline.topics.checkInRequests])
            return try TestSupport.consume(consumer, count: 1, timeout: .seconds(60)).first?.offset
        }

        /// Joins `group` with a plain consumer, commits offset 0 for every check-in partition and leaves.
        static func resetKafkaOffsetsToZero(_ pipeline: Pipeline, group: String) throws {
            let recorder = AssignmentRecorder()
            let consumer = try KafkaConsumer(
                configuration: pipeline.kafka,
                groupID: group,
                rebalanceListener: recorder,
                logger: pipeline.logger
            )
            defer { consumer.close() }
            try consumer.subscribe([pipeline.topics.checkInRequests])
            // Joining a group that members just left can take several rebalance rounds on the mock.
            let deadline = ContinuousClock.now + .seconds(60)
            while recorder.assigned.withLock(\.count) < pipeline.checkInPartitions {
                guard ContinuousClock.now < deadline else {
                    throw PipelineTestError(
                        description: "the offset-resetting consumer was never assigned every partition"
                    )
                }
                _ = try consumer.poll(timeout: .milliseconds(100))
            }
            var zero: [TopicPartition: Int64] = [:]
            for partition in 0..<Int32(pipeline.checkInPartitions) {
                zero[TopicPartition(topic: pipeline.topics.checkInRequests, partition: partition)] = 0
            }
            try consumer.commit(zero, asynchronously: false)
        }
    }
}
