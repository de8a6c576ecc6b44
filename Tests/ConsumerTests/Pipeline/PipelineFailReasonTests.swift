import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    @Suite("every fail reason of PRODUCT §3, end to end", .timeLimit(.minutes(5)))
    struct FailReasons {
        /// January 2026 in Seoul, at most 2 days per member and 1 participant.
        static let capped = EventFixture(
            id: 61,
            startsAt: "2026-01-01T00:00:00+09:00",
            endsAt: "2026-02-01T00:00:00+09:00",
            maxAttendanceDays: 2,
            maxParticipants: 1
        )
        static let paused = EventFixture(id: 62, status: "PAUSED", dailyReward: #"{"type": "NONE"}"#)

        /// Request id, event, member, requested_at, channel, message timestamp → expected status, reason,
        /// attendance day and policy version. One member's requests share a key, so they are decided in this order.
        struct Case {
            var request: CheckInFixture
            var status = "FAIL"
            var reason: String?
            var day: String?
            var version: String? = "1"
        }

        static let firstMember: [Case] = [
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-01", requestedAt: "2026-01-05T09:00:00+09:00"),
                status: "CHECK_IN",
                day: "2026-01-05"
            ),
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-02", requestedAt: "2026-01-06T09:00:00+09:00"),
                status: "CHECK_IN",
                day: "2026-01-06"
            ),
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-03", requestedAt: "2026-01-06T20:00:00+09:00"),
                reason: "ALREADY_CHECKED_IN",
                day: "2026-01-06"
            ),
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-04", requestedAt: "2026-01-04T09:00:00+09:00"),
                reason: "OUT_OF_ORDER",
                day: "2026-01-04"
            ),
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-05", requestedAt: "2026-01-07T09:00:00+09:00"),
                reason: "ATTENDANCE_LIMIT_REACHED",
                day: "2026-01-07"
            ),
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-06", requestedAt: "2025-12-31T23:59:59+09:00"),
                reason: "EVENT_NOT_STARTED",
                day: "2025-12-31"
            ),
            // ends_at itself is already outside the event.
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-07", requestedAt: "2026-02-01T00:00:00+09:00"),
                reason: "EVENT_ENDED",
                day: "2026-02-01"
            ),
            Case(
                request: .init(eventID: 61, memberID: 1, requestID: "f-08", requestedAt: "2026-01-08T09:00:00"),
                reason: "INVALID_REQUEST"
            ),
            Case(
                request: .init(
                    eventID: 61,
                    memberID: 1,
                    requestID: "f-09",
                    requestedAt: "2026-01-09T09:00:00+09:00",
                    channel: String(repeating: "c", count: 33)
                ),
                reason: "INVALID_REQUEST",
                day: "2026-01-09"
            ),
            // 5 minutes and 1 second after the message timestamp: in the future.
            Case(
                request: .init(
                    eventID: 61,
                    memberID: 1,
                    requestID: "f-10",
                    requestedAt: "2026-01-10T09:00:00+09:00",
                    timestampMilliseconds: Timestamp.milliseconds("2026-01-10T08:54:59+09:00")
                ),
                reason: "REQUESTED_AT_IN_FUTURE",
                day: "2026-01-10"
            ),
            // Exactly 5 minutes is tolerated, so the next check decides.
            Case(
                request: .init(
                    eventID: 61,
                    memberID: 1,
                    requestID: "f-11",
                    requestedAt: "2026-01-11T09:00:00+09:00",
                    timestampMilliseconds: Timestamp.milliseconds("2026-01-11T08:55:00+09:00")
                ),
                reason: "ATTENDANCE_LIMIT_REACHED",
                day: "2026-01-11"
            ),
            Case(
                request: .init(eventID: 62, memberID: 1, requestID: "g-01", requestedAt: "2026-03-01T09:00:00+09:00"),
                reason: "EVENT_NOT_ACTIVE",
                day: "2026-03-01"
            ),
            Case(
                request: .init(eventID: 63, memberID: 1, requestID: "g-02", requestedAt: "2026-03-01T09:00:00+09:00"),
                reason: "EVENT_NOT_FOUND",
                version: nil
            ),
        ]
        /// Produced once member 1 succeeded: the one participant place is taken.
        static let secondMember = Case(
            request: .init(eventID: 61, memberID: 2, requestID: "p-01", requestedAt: "2026-01-05T09:00:00+09:00"),
            reason: "PARTICIPANT_LIMIT_REACHED",
            day: "2026-01-05"
        )
        /// Produced after event 62 was applied again as ACTIVE: decided by policy version 2.
        static let afterResume = Case(
            request: .init(eventID: 62, memberID: 1, requestID: "g-03", requestedAt: "2026-03-02T09:00:00+09:00"),
            status: "CHECK_IN",
            day: "2026-03-02",
            version: "2"
        )

        @Test func eachReasonGivesOneFailRowAndNoHistory() async throws {
            try await Pipeline.with { pipeline in
                try await pipeline.blocking {
                    try pipeline.applyEvent(Self.capped.json)
                    try pipeline.applyEvent(Self.paused.json)
                }
                let consumer = pipeline.checkInConsumer(group: "pipeline-fail-reasons")
                try await withServices([consumer]) {
                    try await pipeline.blocking {
                        _ = try pipeline.produce(Self.firstMember.map { $0.request.message() })
                        try pipeline.waitForLogRows(Self.firstMember.count, consumers: [consumer])
                        _ = try pipeline.produce([Self.secondMember.request.message()])
                        try pipeline.waitForLogRows(Self.firstMember.count + 1, consumers: [consumer])
                        var resumed = Self.paused
                        resumed.status = "ACTIVE"
                        #expect(try pipeline.applyEvent(resumed.json) == .updated(version: 2))
                        _ = try pipeline.produce([Self.afterResume.request.message()])
                        try pipeline.waitForLogRows(Self.firstMember.count + 2, consumers: [consumer])
                    }
                }

                try await pipeline.blocking {
                    let all = Self.firstMember + [Self.secondMember, Self.afterResume]
                    let log = try pipeline.rows(
                        """
                        SELECT request_id, event_id::text, member_id::text, status, fail_reason,
                               to_char(attendance_date, 'YYYY-MM-DD'), policy_version::text
                        FROM event_attendance_log ORDER BY request_id
                        """
                    )
                    let expected: [[String?]] = all.map {
                        [
                            $0.request.requestID, "\($0.request.eventID)", "\($0.request.memberID)", $0.status,
                            $0.reason, $0.day, $0.version,
                        ]
                    }.sorted { ($0[0] ?? "") < ($1[0] ?? "") }
                    #expect(log == expected)

                    // Only the three successes reached history, each from its own log row.
                    let history = try pipeline.rows(
                        """
                        SELECT l.request_id, h.event_id::text, h.member_id::text,
                               to_char(h.attendance_date, 'YYYY-MM-DD'),
                               h.total_attendance_count::text, h.streak_attendance_count::text
                        FROM event_attendance_history h JOIN event_attendance_log l ON l.id = h.attendance_log_id
                        ORDER BY l.request_id
                        """
                    )
                    #expect(
                        history == [
                            ["f-01", "61", "1", "2026-01-05", "1", "1"],
                            ["f-02", "61", "1", "2026-01-06", "2", "2"],
                            ["g-03", "62", "1", "2026-03-02", "1", "1"],
                        ]
                    )
                    // Event 62 pays nothing (NONE); event 61 pays its daily reward for the two successes only.
                    #expect(
                        try pipeline.rows("SELECT idempotency_key FROM event_attendance_reward_log ORDER BY 1") == [
                            ["att:61:1:2026-01-05:DAILY"], ["att:61:1:2026-01-06:DAILY"],
                        ]
                    )
                    #expect(try pipeline.outboxCount(topic: "attendance.reward-commands.v1") == 2)
                    // One analytics fact per processed request.
                    #expect(
                        try pipeline.outboxCount(topic: "attendance.events.v1")
                            == pipeline.count("event_attendance_log")
                    )
                    #expect(
                        try pipeline.rows("SELECT participants::text FROM event_participant_count WHERE event_id = 61")
                            == [["1"]]
                    )

                    var failures: [FailReason: Int] = [:]
                    for reason in all.compactMap(\.reason) { failures[FailReason(rawValue: reason)!, default: 0] += 1 }
                    let snapshot = consumer.statistics.snapshot
                    #expect(snapshot.failures == failures)
                    #expect(Set(failures.keys) == Set(FailReason.allCases))
                    #expect(snapshot.successes == 3)
                    #expect(snapshot.logged == all.count)
                    #expect(snapshot.deadLettered == 0)
                }
            }
        }
    }
}
