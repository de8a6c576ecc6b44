import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    @Suite("two consumers in one group, rebalancing mid-stream", .timeLimit(.minutes(5)))
    struct Rebalance {
        static let members = 500
        static let days = 12
        static let chunk = 250
        static let event = EventFixture(
            id: 70,
            dailyReward: #"{"type": "POINT", "point_amount": 1}"#,
            bonusRules: """
                [{"id": "streak7", "trigger": "STREAK", "count": 7, "repeat": true,
                  "reward": {"type": "COUPON", "coupon_group_id": "CG-7"}}]
                """
        )

        /// Day `day` (1-based, consecutive from 2026-03-01) of every member.
        static func dayOfCheckIns(_ day: Int) -> [OutgoingMessage] {
            let date = AttendanceDate(year: 2026, month: 3, day: 1)!.adding(days: day - 1)
            return (1...Int64(members)).map { member in
                CheckInFixture(
                    eventID: 70,
                    memberID: member,
                    requestID: "r-\(member)-\(day)",
                    requestedAt: "\(date)T12:00:00+09:00"
                ).message()
            }
        }

        @Test func everyRequestIsProcessedOnceAcrossTheRebalance() async throws {
            try await Pipeline.with { pipeline in
                let group = "pipeline-rebalance"
                try await pipeline.blocking { try pipeline.applyEvent(Self.event.json) }
                let first = pipeline.checkInConsumer(group: group)
                let second = pipeline.checkInConsumer(group: group)
                let consumers = [first, second]
                let handled = { @Sendable in first.statistics.snapshot.handled + second.statistics.snapshot.handled }
                let total = Self.members * Self.days

                let reports = try await withServices([first]) {
                    // The first half while only the first consumer is in the group.
                    let firstHalf = try await pipeline.blocking {
                        try pipeline.produce((1...(Self.days / 2)).flatMap(Self.dayOfCheckIns))
                    }
                    // The second consumer joins while the first one is still working through it.
                    return try await withServices([second]) {
                        try await pipeline.blocking {
                            var reports = firstHalf
                            let secondHalf = ((Self.days / 2 + 1)...Self.days).flatMap(Self.dayOfCheckIns)
                            for start in stride(from: 0, to: secondHalf.count, by: Self.chunk) {
                                // Keep the stream flowing but bounded, so the rebalance happens while it flows…
                                try pipeline.waitUntil("the consumers caught up to one chunk behind") {
                                    handled() >= reports.count - 2 * Self.chunk
                                }
                                // …and hold the last chunks back until the second consumer has taken part.
                                if start >= secondHalf.count - 2 * Self.chunk {
                                    try pipeline.waitUntil(
                                        "the second consumer processed a batch",
                                        detail: { Pipeline.describe(consumers) }
                                    ) { second.statistics.snapshot.batches > 0 }
                                }
                                reports += try pipeline.produce(
                                    Array(secondHalf[start..<min(start + Self.chunk, secondHalf.count)])
                                )
                            }
                            try pipeline.waitForLogRows(total, consumers: consumers, timeout: .seconds(60))
                            try pipeline.waitUntil(
                                "every message was handled",
                                detail: { Pipeline.describe(consumers) }
                            ) {
                                handled() >= total
                            }
                            return reports
                        }
                    }
                }

                try await pipeline.blocking { () throws in
                    #expect(reports.count == total)
                    let a = first.statistics.snapshot
                    let b = second.statistics.snapshot
                    #expect(a.logged > 0 && b.logged > 0)
                    #expect(a.logged + b.logged == total)
                    #expect(a.successes + b.successes == total)
                    #expect(a.duplicates + b.duplicates == 0)
                    #expect(a.deadLettered + b.deadLettered == 0)
                    #expect(a.failures.isEmpty && b.failures.isEmpty)
                    #expect(a.rewardsEarned + b.rewardsEarned == total + Self.members)

                    #expect(
                        try pipeline.rows(
                            """
                            SELECT count(*)::text, count(DISTINCT request_id)::text,
                                   count(*) FILTER (WHERE status = 'CHECK_IN')::text
                            FROM event_attendance_log
                            """
                        ) == [["\(total)", "\(total)", "\(total)"]]
                    )
                    // What one consumer would have written: every member, every day, total = streak = day number.
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT count(*)::text,
                                   count(*) FILTER (WHERE total_attendance_count = streak_attendance_count
                                       AND attendance_date = DATE '2026-03-01' + (total_attendance_count - 1))::text,
                                   count(DISTINCT member_id)::text
                            FROM event_attendance_history
                            """
                        ) == [["\(total)", "\(total)", "\(Self.members)"]]
                    )
                    #expect(
                        try pipeline.rows(
                            """
                            SELECT count(*)::text,
                                   count(*) FILTER (WHERE reward_kind = 'DAILY')::text,
                                   count(*) FILTER (WHERE reward_kind = 'BONUS' AND bonus_rule_id = 'streak7'
                                                      AND attendance_date = DATE '2026-03-07')::text
                            FROM event_attendance_reward_log
                            """
                        ) == [["\(total + Self.members)", "\(total)", "\(Self.members)"]]
                    )
                    #expect(
                        try pipeline.outboxCount(topic: "attendance.reward-commands.v1") == total
                            + Self.members
                    )
                    #expect(
                        try pipeline.outboxCount(topic: "attendance.events.v1")
                            == pipeline.count("event_attendance_log")
                    )
                    #expect(
                        try pipeline.rows("SELECT participants::text FROM event_participant_count") == [
                            ["\(Self.members)"]
                        ]
                    )
                    let watermarks = Pipeline.highWatermarks(reports)
                    #expect(watermarks.count == pipeline.checkInPartitions)
                    #expect(try pipeline.storedOffsets(group: group) == watermarks)
                }
            }
        }
    }
}
