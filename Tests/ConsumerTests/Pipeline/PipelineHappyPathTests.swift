import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    @Suite("produce → consume → exact rows → reward commands", .timeLimit(.minutes(5)))
    struct HappyPath {
        static let event = EventFixture(
            id: 42,
            bonusRules: """
                [{"id": "streak3", "trigger": "STREAK", "count": 3, "repeat": true,
                  "reward": {"type": "COUPON", "coupon_group_id": "CG-S3"}},
                 {"id": "total4", "trigger": "TOTAL", "count": 4, "repeat": false,
                  "reward": {"type": "POINT", "point_amount": 500}}]
                """
        )

        /// One success per row: member, requested_at, the attendance day in Asia/Seoul, total, streak.
        static let visits: [(member: Int64, requestedAt: String, day: String, total: Int, streak: Int)] = [
            (1001, "2026-03-01T09:00:00+09:00", "2026-03-01", 1, 1),
            (1001, "2026-03-02T08:00:00+09:00", "2026-03-02", 2, 2),
            (1001, "2026-03-03T07:00:00+09:00", "2026-03-03", 3, 3),
            (1001, "2026-03-04T23:59:59+09:00", "2026-03-04", 4, 4),
            (1002, "2026-03-01T10:00:00+09:00", "2026-03-01", 1, 1),
            (1002, "2026-03-02T10:00:00+09:00", "2026-03-02", 2, 2),
            (1002, "2026-03-04T10:00:00+09:00", "2026-03-04", 3, 1),  // 03-03 missed: the streak restarts
            (1002, "2026-03-05T10:00:00+09:00", "2026-03-05", 4, 2),
            (1003, "2026-02-28T15:30:00Z", "2026-03-01", 1, 1),  // 00:30 on 03-01 in Seoul
        ]

        /// Every reward, per member in the order it is earned: key, kind, bonus rule, type, points, coupon group.
        static let rewards:
            [(key: String, kind: String, rule: String?, type: String, points: String?, coupon: String?)] = [
                ("att:42:1001:2026-03-01:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1001:2026-03-02:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1001:2026-03-03:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1001:2026-03-03:BONUS:streak3", "BONUS", "streak3", "COUPON", nil, "CG-S3"),
                ("att:42:1001:2026-03-04:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1001:2026-03-04:BONUS:total4", "BONUS", "total4", "POINT", "500", nil),
                ("att:42:1002:2026-03-01:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1002:2026-03-02:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1002:2026-03-04:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1002:2026-03-05:DAILY", "DAILY", nil, "POINT", "10", nil),
                ("att:42:1002:2026-03-05:BONUS:total4", "BONUS", "total4", "POINT", "500", nil),
                ("att:42:1003:2026-03-01:DAILY", "DAILY", nil, "POINT", "10", nil),
            ]

        @Test func successesBecomeExactLogHistoryAndRewardRowsAndTheRelayPublishesTheCommands() async throws {
            try await Pipeline.with { pipeline in
                let requests = Self.visits.enumerated().map { index, visit in
                    CheckInFixture(
                        eventID: 42,
                        memberID: visit.member,
                        requestID: "req-\(visit.member)-\(index)",
                        requestedAt: visit.requestedAt
                    )
                }
                let reports = try await pipeline.blocking {
                    #expect(try pipeline.applyEvent(Self.event.json) == .created(version: 1))
                    return try pipeline.produce(requests.map { $0.message() })
                }
                let consumer = pipeline.checkInConsumer(group: "pipeline-happy")
                let relay = pipeline.relay()
                try await withServices([consumer, relay]) {
                    try await pipeline.blocking {
                        try pipeline.waitForLogRows(requests.count, consumers: [consumer])
                        try pipeline.waitUntil(
                            "the relay published every reward command",
                            detail: { "relay: \(relay.statistics)" }
                        ) {
                            try relay.statistics.published >= Self.rewards.count + requests.count
                                && pipeline.outboxPublished()
                        }
                    }
                }

                try await pipeline.blocking {
                    // The log: one CHECK_IN row per request, at the partition and offset it was produced to.
                    let log = try pipeline.rows(
                        """
                        SELECT request_id, event_id::text, member_id::text, status, fail_reason,
                               to_char(attendance_date, 'YYYY-MM-DD'), policy_version::text, channel,
                               (extract(epoch FROM requested_at) * 1000)::bigint::text,
                               source_topic, source_partition::text, source_offset::text
                        FROM event_attendance_log ORDER BY request_id
                        """
                    )
                    let expectedLog: [[String?]] = zip(requests, zip(Self.visits, reports)).map { request, pair in
                        let (visit, report) = pair
                        return [
                            request.requestID, "42", "\(visit.member)", "CHECK_IN", nil, visit.day, "1", "APP",
                            "\(Timestamp.milliseconds(visit.requestedAt))", pipeline.topics.checkInRequests,
                            "\(report.partition)", "\(report.offset)",
                        ]
                    }.sorted { ($0[0] ?? "") < ($1[0] ?? "") }
                    #expect(log == expectedLog)
                    // Keys land where a Java producer would put them.
                    for (request, report) in zip(requests, reports) {
                        #expect(report.partition == javaPartition(forKey: request.key, partitions: 12))
                    }

                    // History: total and streak per member-day, linked to the success's log row.
                    let history = try pipeline.rows(
                        """
                        SELECT h.member_id::text, to_char(h.attendance_date, 'YYYY-MM-DD'),
                               h.total_attendance_count::text, h.streak_attendance_count::text, l.request_id
                        FROM event_attendance_history h JOIN event_attendance_log l ON l.id = h.attendance_log_id
                        WHERE h.event_id = 42 AND l.member_id = h.member_id
                        ORDER BY h.member_id, h.attendance_date
                        """
                    )
                    let expectedHistory: [[String?]] = zip(requests, Self.visits).map { request, visit in
                        ["\(visit.member)", visit.day, "\(visit.total)", "\(visit.streak)", request.requestID]
                    }
                    #expect(history == expectedHistory)

                    // Reward snapshot: one PENDING row per reward, attached to the history row of its member-day.
                    let rewardRows = try pipeline.rows(
                        """
                        SELECT r.idempotency_key, r.reward_kind, r.bonus_rule_id, r.reward_type, r.point_amount::text,
                               r.coupon_group_id, r.status,
                               (h.member_id = r.member_id AND h.attendance_date = r.attendance_date)::text
                        FROM event_attendance_reward_log r
                        JOIN event_attendance_history h ON h.id = r.attendance_history_id
                        ORDER BY r.idempotency_key
                        """
                    )
                    let expectedRewards: [[String?]] = Self.rewards.map {
                        [$0.key, $0.kind, $0.rule, $0.type, $0.points, $0.coupon, "PENDING", "true"]
                    }.sorted { ($0[0] ?? "") < ($1[0] ?? "") }
                    #expect(rewardRows == expectedRewards)
                    #expect(try pipeline.count("outbox") == 0)
                    // Reward commands plus one analytics fact per processed request.
                    #expect(relay.statistics.published == Self.rewards.count + requests.count)
                    #expect(relay.statistics.failedDeliveries == 0)

                    let snapshot = consumer.statistics.snapshot
                    #expect(snapshot.logged == requests.count)
                    #expect(snapshot.successes == requests.count)
                    #expect(snapshot.failures.isEmpty)
                    #expect(snapshot.rewardsEarned == Self.rewards.count)
                    #expect(snapshot.duplicates == 0 && snapshot.deadLettered == 0)
                    #expect(try pipeline.storedOffsets(group: "pipeline-happy") == Pipeline.highWatermarks(reports))

                    try Self.checkRewardCommands(pipeline)
                }
            }
        }

        /// The commands on `attendance.reward-commands.v1`: one per reward, keyed `{event}:{member}`, in earning
        /// order per key, with the schema's fields.
        static func checkRewardCommands(_ pipeline: Pipeline) throws {
            let logIDs = Dictionary(
                uniqueKeysWithValues: try pipeline.rows(
                    """
                    SELECT member_id::text || ':' || to_char(attendance_date, 'YYYY-MM-DD'), id::text
                    FROM event_attendance_log WHERE status = 'CHECK_IN'
                    """
                ).map { ($0[0] ?? "", $0[1] ?? "") }
            )
            let messages = try pipeline.read(pipeline.topics.rewardCommands, count: rewards.count)
            var keysByMessageKey: [String: [String]] = [:]
            for message in messages {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(message.value ?? [])) as? [String: Any]
                )
                let key = try #require(object["idempotency_key"] as? String)
                let expected = try #require(rewards.first { $0.key == key })
                let member = try #require(object["member_id"] as? Int)
                let date = try #require(object["attendance_date"] as? String)
                #expect(String(decoding: message.key ?? [], as: UTF8.self) == "42:\(member)")
                #expect(key == "att:42:\(member):\(date):\(expected.kind)" + (expected.rule.map { ":\($0)" } ?? ""))
                #expect(object["schema_version"] as? Int == 1)
                #expect(object["event_id"] as? Int == 42)
                #expect(object["kind"] as? String == expected.kind)
                #expect((object["bonus_rule_id"] as? String) == expected.rule)
                #expect(object["bonus_rule_id"] != nil)
                let reward = try #require(object["reward"] as? [String: Any])
                #expect(reward["type"] as? String == expected.type)
                #expect((reward["point_amount"] as? Int).map(String.init) == expected.points)
                #expect(reward["coupon_group_id"] as? String == expected.coupon)
                #expect((object["attendance_log_id"] as? Int).map(String.init) == logIDs["\(member):\(date)"])
                #expect((object["created_at"] as? String).flatMap(Timestamp.init(rfc3339:)) != nil)
                keysByMessageKey[String(decoding: message.key ?? [], as: UTF8.self), default: []].append(key)
            }
            let expectedByMessageKey = Dictionary(grouping: rewards.map(\.key)) { key in
                key.split(separator: ":")[1...2].joined(separator: ":")
            }
            #expect(keysByMessageKey == expectedByMessageKey)
        }
    }
}
