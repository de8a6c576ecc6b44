import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    /// Real messages, published by the relay after real batches, against the JSON Schema files in `topics/`.
    @Suite("Analytics: published messages are valid against topics/ schemas", .timeLimit(.minutes(5)))
    struct AnalyticsSchemas {
        static let event = EventFixture(
            id: 51,
            bonusRules: """
                [{"id": "streak2", "trigger": "STREAK", "count": 2, "repeat": true,
                  "reward": {"type": "COUPON", "coupon_group_id": "CG-2"}},
                 {"id": "total3", "trigger": "TOTAL", "count": 3, "repeat": false,
                  "reward": {"type": "POINT", "point_amount": 300}}]
                """
        )

        static let traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

        /// Successes, re-taps, an unknown event, an invalid channel: every field of the facts is exercised.
        static let requests: [CheckInFixture] = {
            var requests: [CheckInFixture] = []
            for member in Int64(1)...4 {
                for day in 1...3 {
                    requests.append(
                        CheckInFixture(
                            eventID: 51,
                            memberID: member,
                            requestID: "a-\(member)-\(day)",
                            requestedAt: "2026-04-0\(day)T10:00:00+09:00"
                        )
                    )
                }
                requests.append(
                    CheckInFixture(
                        eventID: 51,
                        memberID: member,
                        requestID: "a-\(member)-again",
                        requestedAt: "2026-04-03T11:00:00+09:00"
                    )
                )
            }
            requests.append(
                CheckInFixture(
                    eventID: 999,
                    memberID: 1,
                    requestID: "a-nowhere",
                    requestedAt: "2026-04-01T10:00:00+09:00"
                )
            )
            requests.append(
                CheckInFixture(
                    eventID: 51,
                    memberID: 9,
                    requestID: "a-channel",
                    requestedAt: "2026-04-01T10:00:00+09:00",
                    channel: String(repeating: "x", count: 40)
                )
            )
            requests.append(CheckInFixture(eventID: 51, memberID: 9, requestID: "a-no-time", requestedAt: nil))
            return requests
        }()

        @Test func attendanceFactsAndRewardCommandsMatchTheirSchemasKeysAndTraceHeaders() async throws {
            try await Pipeline.with { pipeline in
                let facts = try JSONSchemaValidator(
                    topicSpec: Pipeline.repositoryRoot.appendingPathComponent("topics/attendance.events.v1.json")
                )
                let commands = try JSONSchemaValidator(
                    topicSpec: Pipeline.repositoryRoot.appendingPathComponent(
                        "topics/attendance.reward-commands.v1.json"
                    )
                )
                try await pipeline.blocking {
                    try pipeline.applyEvent(Self.event.json)
                    // Every other request carries a W3C trace context.
                    _ = try pipeline.produce(
                        Self.requests.enumerated().map { index, request in
                            let message = request.message()
                            return OutgoingMessage(
                                topic: message.topic,
                                key: message.key,
                                value: message.value,
                                headers: index % 2 == 0
                                    ? [KafkaHeader(key: "traceparent", value: Array(Self.traceParent.utf8))] : []
                            )
                        }
                    )
                }
                let consumer = pipeline.checkInConsumer(group: "analytics-schemas")
                let relay = pipeline.relay()
                let rewards = try await withServices([consumer, relay]) {
                    try await pipeline.blocking {
                        try pipeline.waitForLogRows(Self.requests.count, consumers: [consumer])
                        let rewards = try pipeline.count("event_attendance_reward_log")
                        try pipeline.waitUntil("the relay drained the outbox") {
                            try relay.statistics.published >= rewards + Self.requests.count
                                && pipeline.outboxPublished()
                        }
                        return rewards
                    }
                }
                try await pipeline.blocking {
                    let keyPattern = try NSRegularExpression(pattern: "^[1-9][0-9]{0,18}:[1-9][0-9]{0,18}$")
                    func check(_ messages: [KafkaMessage], _ validator: JSONSchemaValidator) -> Set<String> {
                        var traced = Set<String>()
                        for message in messages {
                            let key = String(decoding: message.key ?? [], as: UTF8.self)
                            #expect(keyPattern.firstMatch(in: key, range: NSRange(key.startIndex..., in: key)) != nil)
                            #expect(
                                validator.violations(of: message.value ?? []) == [],
                                "\(String(decoding: message.value ?? [], as: UTF8.self))"
                            )
                            let object =
                                try? JSONSerialization.jsonObject(with: Data(message.value ?? [])) as? [String: Any]
                            #expect(key == "\(object?["event_id"] as? Int ?? 0):\(object?["member_id"] as? Int ?? 0)")
                            if let header = message.headers.first(where: { $0.key == "traceparent" }) {
                                #expect(header.value == Array(Self.traceParent.utf8))
                                traced.insert(
                                    (object?["request_id"] as? String) ?? (object?["idempotency_key"] as? String) ?? ""
                                )
                            }
                        }
                        return traced
                    }
                    let factMessages = try pipeline.read(pipeline.topics.attendanceEvents, count: Self.requests.count)
                    let tracedFacts = check(factMessages, facts)
                    let expectedTraced = Set(
                        Self.requests.enumerated().filter { $0.offset % 2 == 0 }.map(\.element.requestID)
                    )
                    #expect(tracedFacts == expectedTraced)
                    let statuses = factMessages.compactMap {
                        (try? JSONSerialization.jsonObject(with: Data($0.value ?? [])) as? [String: Any])?[
                            "fail_reason"
                        ] as? String
                    }
                    #expect(Set(statuses) == ["ALREADY_CHECKED_IN", "EVENT_NOT_FOUND", "INVALID_REQUEST"])
                    #expect(rewards > 12)
                    let commandMessages = try pipeline.read(pipeline.topics.rewardCommands, count: rewards)
                    #expect(!check(commandMessages, commands).isEmpty)
                }
            }
        }
    }
}
