import AsyncHTTPClient
import AttendanceAPI
import Consumer
import Domain
import Foundation
import Projections
import Testing

/// The read side over real HTTP, against the mock cluster and the real Postgres, with the consumer and the relay
/// running as in production (PRODUCT §9).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct APITests {
    static let event = EventFixture(
        id: 61,
        bonusRules: """
            [{"id": "streak2", "trigger": "STREAK", "count": 2, "repeat": true,
              "reward": {"type": "COUPON", "coupon_group_id": "CG-S2"}},
             {"id": "total3", "trigger": "TOTAL", "count": 3, "repeat": false,
              "reward": {"type": "POINT", "point_amount": 500}}]
            """
    )

    static var policy: EventPolicy { get throws { try EventPolicy.decode(json: Data(event.json.utf8)) } }

    /// 09:00 in Seoul `daysAgo` days before today there, as RFC 3339.
    static func seoulMorning(daysAgo: Int) throws -> (at: String, day: AttendanceDate) {
        let day = try policy.attendanceDate(of: .now()).adding(days: -daysAgo)
        return ("\(day)T09:00:00+09:00", day)
    }

    @Test func submitReadOutcomeMemberAndSummary() async throws {
        try await APIHarness.with { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let token = try await APIHarness.token()
            let today = try Self.policy.attendanceDate(of: .now())

            let submitted = try await api.submit(
                event: 61,
                #"{"member_id": 501, "request_id": "r-501-a", "channel": "APP"}"#,
                token: token,
                waitMilliseconds: 10_000
            )
            #expect(submitted.status == 200, "\(submitted.text)")
            let outcome = try submitted.json()
            #expect(outcome["status"] as? String == "CHECK_IN")
            #expect(outcome["attendance_date"] as? String == today.description)
            #expect(outcome["total_attendance_count"] as? Int == 1)
            #expect(outcome["streak_attendance_count"] as? Int == 1)
            let rewards = outcome["rewards"] as? [[String: Any]] ?? []
            #expect(rewards.count == 1)
            #expect(rewards.first?["kind"] as? String == "DAILY")
            #expect(rewards.first?["point_amount"] as? Int == 10)
            #expect(rewards.first?["idempotency_key"] as? String == "att:61:501:\(today):DAILY")

            let read = try await api.call(.GET, "/v1/events/61/check-ins/r-501-a", token: token)
            #expect(read.status == 200)
            #expect(try read.json()["request_id"] as? String == "r-501-a")
            #expect(try read.json()["member_id"] as? Int == 501)

            let member = try await api.call(.GET, "/v1/events/61/members/501/attendance", token: token)
            #expect(member.status == 200, "\(member.text)")
            let attendance = try member.json()
            #expect(attendance["total_attendance_count"] as? Int == 1)
            #expect(attendance["current_streak"] as? Int == 1)
            #expect(attendance["checked_in_today"] as? Bool == true)
            #expect(attendance["can_check_in"] as? Bool == false)
            #expect(attendance["today"] as? String == today.description)
            #expect((attendance["days"] as? [[String: Any]])?.map { $0["date"] as? String } == [today.description])
            let milestones = attendance["next_milestones"] as? [[String: Any]] ?? []
            #expect(milestones.map { $0["rule_id"] as? String } == ["streak2", "total3"])
            #expect(milestones.first?["successes_needed"] as? Int == 1)
            #expect((attendance["rewards"] as? [[String: Any]])?.count == 1)

            // A failure is an outcome too, and it is counted by reason.
            let again = try await api.submit(
                event: 61,
                #"{"member_id": 501, "request_id": "r-501-b"}"#,
                token: token,
                waitMilliseconds: 10_000
            )
            #expect(try again.json()["fail_reason"] as? String == "ALREADY_CHECKED_IN")
            #expect((try again.json()["rewards"] as? [Any])?.isEmpty == true)

            let summary = try await api.call(.GET, "/v1/events/61/summary?from=\(today)&to=\(today)", token: token)
            #expect(summary.status == 200, "\(summary.text)")
            let report = try summary.json()
            let days = report["days"] as? [[String: Any]] ?? []
            #expect(days.count == 1)
            #expect(days.first?["successes"] as? Int == 1)
            #expect(days.first?["new_participants"] as? Int == 1)
            #expect((report["fail_reasons"] as? [String: Int])?["ALREADY_CHECKED_IN"] == 1)
            #expect((report["participants"] as? [String: Any])?["count"] as? Int == 1)
            let groups = report["rewards"] as? [[String: Any]] ?? []
            #expect(groups.reduce(0) { $0 + ($1["point_sum"] as? Int ?? 0) } == 10)

            let csv = try await api.call(.GET, "/v1/events/61/summary?format=csv", token: token)
            #expect(csv.status == 200)
            #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
            #expect(csv.text.contains("day,\(today),,,CHECK_IN,1,,"))
            #expect(csv.text.contains("day,\(today),,,ALREADY_CHECKED_IN,1,,"))

            let missing = try await api.call(.GET, "/v1/events/999/members/501/attendance", token: token)
            #expect(missing.status == 404)
            #expect(try missing.problem() == "event-not-found")
        }
    }

    @Test func theSameRequestIDNeverCountsTwice() async throws {
        try await APIHarness.with { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let token = try await APIHarness.token()
            let body = #"{"member_id": 502, "request_id": "dup-502"}"#
            let replies = try await withThrowingTaskGroup(of: APIHarness.Reply.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await api.submit(event: 61, body, token: token, waitMilliseconds: 10_000) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let later = try await api.submit(event: 61, body, token: token, waitMilliseconds: 10_000)
            for reply in replies + [later] {
                #expect(reply.status == 200, "\(reply.text)")
                #expect(try reply.json()["status"] as? String == "CHECK_IN")
                #expect(try reply.json()["total_attendance_count"] as? Int == 1)
            }
            let processedAt = Set(try (replies + [later]).map { try $0.json()["processed_at"] as? String })
            #expect(processedAt.count == 1)
            try await api.pipeline.blocking { () throws in
                #expect(try api.pipeline.count("event_attendance_log", where: "request_id = 'dup-502'") == 1)
                #expect(try api.pipeline.count("event_attendance_history", where: "member_id = 502") == 1)
            }
            // The same request id for another member is a conflict, not a second check-in.
            let other = try await api.submit(event: 61, #"{"member_id": 503, "request_id": "dup-502"}"#, token: token)
            #expect(other.status == 409)
            #expect(try other.problem() == "request-id-reused")
        }
    }

    @Test func twoInstancesAndTwoConsumersAnswerEverySubmissionWhoeverProducedIt() async throws {
        try await APIHarness.with { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let token = try await APIHarness.token()
            // A second API instance and a second consumer in the same group, as behind a load balancer.
            let second = try await APIServer(configuration: api.server.configuration, logger: api.pipeline.logger)
            let consumer = api.pipeline.checkInConsumer(group: "api-tests")
            try await withServices([second, consumer]) {
                let port = try await second.listeningPort()
                let other = APIHarness(pipeline: api.pipeline, server: second, baseURL: "http://127.0.0.1:\(port)")
                try await other.waitUntilReady()
                // The second consumer's join rebalances the group; the submissions below go to the settled group
                // (on a loaded machine the mock's rebalance alone can take most of their 10 s wait).
                try await api.pipeline.blocking {
                    try api.pipeline.waitUntil("the second consumer has its partitions") {
                        consumer.statistics.snapshot.assignedPartitions > 0
                    }
                }
                let replies = try await withThrowingTaskGroup(of: (Int, APIHarness.Reply).self) { group in
                    for index in 0..<20 {
                        let instance = index.isMultiple(of: 2) ? api : other
                        group.addTask {
                            let body = #"{"member_id": \#(600 + index), "request_id": "two-\#(index)"}"#
                            return (
                                index,
                                try await instance.submit(event: 61, body, token: token, waitMilliseconds: 10_000)
                            )
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for (index, reply) in replies {
                    #expect(reply.status == 200, "submission \(index): \(reply.text)")
                    #expect(try reply.json()["member_id"] as? Int == 600 + index)
                }
                // A request an upstream service produced straight to Kafka: either instance answers its outcome.
                let upstream = CheckInFixture(eventID: 61, memberID: 650, requestID: "upstream-650", requestedAt: nil)
                try await api.pipeline.blocking { _ = try api.pipeline.produce([upstream.message()]) }
                let polled = try await other.call(
                    .GET,
                    "/v1/events/61/check-ins/upstream-650?wait_ms=20000",
                    token: token
                )
                #expect(polled.status == 200, "\(polled.text)")
                #expect(try polled.json()["fail_reason"] as? String == "INVALID_REQUEST")
            }
        }
    }

    @Test func aSubmissionKafkaCannotTakeIsA503ToRetry() async throws {
        try await APIHarness.with(pipelineRunning: false, kafkaProperties: ["message.timeout.ms": "1500"]) { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let token = try await APIHarness.token()
            for broker: Int32 in 1...3 { api.pipeline.cluster.setBrokerDown(broker) }
            let reply = try await api.submit(event: 61, #"{"member_id": 520, "request_id": "down-520"}"#, token: token)
            #expect(reply.status == 503, "\(reply.text)")
            #expect(try reply.problem() == "kafka-unavailable")
            #expect(reply.headers["retry-after"] != nil)
            for broker: Int32 in 1...3 { api.pipeline.cluster.setBrokerUp(broker) }
        }
    }

    @Test func aSubmissionThatTimesOutIsPolledToItsOutcome() async throws {
        try await APIHarness.with(pipelineRunning: false) { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let token = try await APIHarness.token()
            let pending = try await api.submit(
                event: 61,
                #"{"member_id": 504, "request_id": "slow-504"}"#,
                token: token,
                waitMilliseconds: 300
            )
            #expect(pending.status == 202, "\(pending.text)")
            #expect(pending.headers["location"] == "/v1/events/61/check-ins/slow-504")
            #expect(try pending.json()["status"] as? String == "PENDING")
            let notYet = try await api.call(.GET, "/v1/events/61/check-ins/slow-504", token: token)
            #expect(notYet.status == 404)
            #expect(try notYet.problem() == "outcome-not-found")

            // The consumer and the relay start late; a long poll on Location returns once the outcome is in.
            let consumer = api.pipeline.checkInConsumer(group: "api-late")
            let relay = api.pipeline.relay()
            try await withServices([consumer, relay]) {
                let polled = try await api.call(.GET, "/v1/events/61/check-ins/slow-504?wait_ms=30000", token: token)
                #expect(polled.status == 200, "\(polled.text)")
                #expect(try polled.json()["status"] as? String == "CHECK_IN")
            }
        }
    }

    @Test func theStreakIsCurrentOnlyUntilTheDayAfterYesterdayInThePolicyTimezone() async throws {
        try await APIHarness.with { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let token = try await APIHarness.token()
            // Member 505: the two days before today → streak 2, alive, today not done.
            // Member 506: three and two days ago → its streak of 2 ended yesterday, so it is broken now.
            let visits: [(Int64, Int)] = [(505, 2), (505, 1), (506, 3), (506, 2)]
            for (member, daysAgo) in visits {
                let at = try Self.seoulMorning(daysAgo: daysAgo).at
                let reply = try await api.submit(
                    event: 61,
                    #"{"member_id": \#(member), "request_id": "s-\#(member)-\#(daysAgo)", "requested_at": "\#(at)"}"#,
                    token: token,
                    waitMilliseconds: 10_000
                )
                #expect(try reply.json()["status"] as? String == "CHECK_IN", "\(reply.text)")
            }
            let alive = try await api.call(.GET, "/v1/events/61/members/505/attendance", token: token).json()
            #expect(alive["current_streak"] as? Int == 2)
            #expect(alive["checked_in_today"] as? Bool == false)
            #expect(alive["can_check_in"] as? Bool == true)
            let broken = try await api.call(.GET, "/v1/events/61/members/506/attendance", token: token).json()
            #expect(broken["current_streak"] as? Int == 0)
            #expect(broken["total_attendance_count"] as? Int == 2)
            #expect((broken["days"] as? [[String: Any]])?.last?["streak_attendance_count"] as? Int == 2)
        }
    }

    @Test func everyAuthenticationAndAuthorizationFailureIsDistinct() async throws {
        try await APIHarness.with { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let path = "/v1/events/61/members/507/attendance"
            let cases: [(String, String?, Int, String)] = [
                ("no token", nil, 401, "missing-token"),
                ("garbage", "not-a-jwt", 401, "malformed-token"),
                (
                    "bad signature",
                    try await APIHarness.token(secret: Array("another-secret-that-is-long-enough-too!!".utf8)), 401,
                    "invalid-signature"
                ),
                ("expired", try await APIHarness.token(expires: Date().addingTimeInterval(-60)), 401, "token-expired"),
                ("wrong audience", try await APIHarness.token(audience: "someone-else"), 401, "wrong-audience"),
                ("missing scope", try await APIHarness.token(scopes: ["reports:read"]), 403, "missing-scope"),
                ("another member", try await APIHarness.token(memberID: 508), 403, "other-member"),
            ]
            for (name, token, status, problem) in cases {
                let reply = try await api.call(.GET, path, token: token)
                #expect(reply.status == status, "\(name): \(reply.text)")
                #expect(try reply.problem() == problem, "\(name)")
                #expect(!reply.text.contains(APIHarness.issuer), "\(name): the answer names no configuration")
                if status == 401 { #expect(reply.headers["www-authenticate"]?.hasPrefix("Bearer") == true) }
            }
            let own = try await api.call(
                .GET,
                path,
                token: try await APIHarness.token(scopes: ["attendance:read"], memberID: 507)
            )
            #expect(own.status == 200, "\(own.text)")
            let submitForOther = try await api.submit(
                event: 61,
                #"{"member_id": 509, "request_id": "m-509"}"#,
                token: try await APIHarness.token(scopes: ["checkins:write"], memberID: 507)
            )
            #expect(submitForOther.status == 403)
            let reportWithoutScope = try await api.call(
                .GET,
                "/v1/events/61/summary",
                token: try await APIHarness.token(scopes: ["attendance:read"])
            )
            #expect(reportWithoutScope.status == 403)
            // Health and the document need no token.
            #expect(try await api.call(.GET, "/health/live", token: nil).status == 200)
            #expect(try await api.call(.GET, "/openapi.yaml", token: nil).text.hasPrefix("openapi: 3.1"))
        }
    }

    @Test func aClientPastItsRateLimitGets429WithRetryAfter() async throws {
        try await APIHarness.with(rateLimit: 1, rateBurst: 3, pipelineRunning: false) { api in
            let token = try await APIHarness.token(subject: "busy-client")
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 0..<5 {
                let reply = try await api.call(.GET, "/v1/events/61/members/1/attendance", token: token)
                statuses.append(reply.status)
                if reply.status == 429 {
                    retryAfter = reply.headers["retry-after"]
                    #expect(try reply.problem() == "rate-limited")
                }
            }
            #expect(statuses.prefix(3).allSatisfy { $0 != 429 })
            #expect(statuses.suffix(2) == [429, 429])
            #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true)
            // Another client has its own bucket.
            let other = try await api.call(
                .GET,
                "/v1/events/61/members/1/attendance",
                token: try await APIHarness.token(subject: "calm-client")
            )
            #expect(other.status != 429)
        }
    }

    @Test func badBodiesAre400ProblemsAndProduceNothing() async throws {
        try await APIHarness.with(pipelineRunning: false) { api in
            try await api.pipeline.blocking { try api.pipeline.applyEvent(Self.event.json) }
            let token = try await APIHarness.token()
            let bodies: [(String, String)] = [
                ("not JSON", "{member_id: 1"),
                ("not an object", "[1, 2]"),
                ("missing member", #"{"request_id": "x"}"#),
                ("wrong type", #"{"member_id": "510", "request_id": "x"}"#),
                ("fraction", #"{"member_id": 1.5, "request_id": "x"}"#),
                ("out of range", #"{"member_id": 9223372036854775808, "request_id": "x"}"#),
                ("zero member", #"{"member_id": 0, "request_id": "x"}"#),
                ("long request id", #"{"member_id": 510, "request_id": "\#(String(repeating: "r", count: 65))"}"#),
                ("control character", #"{"member_id": 510, "request_id": "a\u0001b"}"#),
                ("no offset", #"{"member_id": 510, "request_id": "x", "requested_at": "2026-12-01T09:00:00"}"#),
                (
                    "long channel",
                    #"{"member_id": 510, "request_id": "x", "channel": "\#(String(repeating: "c", count: 33))"}"#
                ),
                (
                    "oversized",
                    #"{"member_id": 510, "request_id": "x", "pad": "\#(String(repeating: "p", count: 20_000))"}"#
                ),
            ]
            for (name, body) in bodies {
                let reply = try await api.submit(event: 61, body, token: token)
                #expect(reply.status == 400, "\(name): \(reply.text)")
                #expect(["invalid-body", "body-too-large"].contains(try reply.problem()), "\(name)")
            }
            let badPath = try await api.submit(event: 0, #"{"member_id": 510, "request_id": "x"}"#, token: token)
            #expect(badPath.status == 400)
            try await api.pipeline.blocking {
                let probe = try KafkaTopicProbe(configuration: api.pipeline.kafka, logger: api.pipeline.logger)
                for partition in 0..<Int32(api.pipeline.checkInPartitions) {
                    let marks = try probe.watermarks(
                        topic: api.pipeline.topics.checkInRequests,
                        partition: partition,
                        timeout: .seconds(10)
                    )
                    #expect(marks.high == 0, "nothing was produced on partition \(partition)")
                }
            }
        }
    }
}
