import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    @Suite("malformed messages go to the DLQ and the partition goes on", .timeLimit(.minutes(5)))
    struct DeadLetters {
        @Test func badMessagesAreDeadLetteredWithTheirBytesAndTheNextRequestIsProcessed() async throws {
            try await Pipeline.with { pipeline in
                try await pipeline.blocking {
                    try pipeline.applyEvent(EventFixture(id: 80, dailyReward: #"{"type": "NONE"}"#).json)
                }
                let topic = pipeline.topics.checkInRequests
                let key = "80:7".bytes
                let origin = KafkaHeader(key: "x-origin", value: "upstream-a".bytes)
                let notJSON = "{\"request_id\": \"d-1\", \"event_id\": 80,".bytes
                let mismatch =
                    #"{"request_id": "d-2", "event_id": 80, "member_id": 8, "requested_at": "2026-03-01T09:00:00+09:00"}"#
                    .bytes
                let valid = CheckInFixture(
                    eventID: 80,
                    memberID: 7,
                    requestID: "d-3",
                    requestedAt: "2026-03-01T09:00:00+09:00"
                )
                let messages = [
                    OutgoingMessage(topic: topic, key: key, value: notJSON, headers: [origin]),
                    OutgoingMessage(topic: topic, key: key, value: mismatch, headers: [origin]),
                    valid.message(),
                ]

                let consumer = pipeline.checkInConsumer(group: "pipeline-dlq")
                let relay = pipeline.relay()
                let reports = try await withServices([consumer, relay]) {
                    try await pipeline.blocking {
                        let reports = try pipeline.produce(messages)
                        try pipeline.waitForLogRows(1, consumers: [consumer])
                        try pipeline.waitUntil(
                            "the relay published both dead letters",
                            detail: { "\(relay.statistics)" }
                        ) {
                            try relay.statistics.published >= 2 && pipeline.outboxPublished()
                        }
                        return reports
                    }
                }

                try await pipeline.blocking { () throws in
                    #expect(Set(reports.map(\.partition)).count == 1)
                    #expect(
                        try pipeline.rows(
                            "SELECT request_id, member_id::text, status, fail_reason, source_offset::text FROM event_attendance_log"
                        ) == [["d-3", "7", "CHECK_IN", nil, "\(reports[2].offset)"]]
                    )
                    #expect(try pipeline.count("event_attendance_history") == 1)
                    #expect(try pipeline.count("event_attendance_reward_log") == 0)
                    let snapshot = consumer.statistics.snapshot
                    #expect(snapshot.deadLettered == 2)
                    #expect(snapshot.logged == 1)
                    #expect(try pipeline.storedOffsets(group: "pipeline-dlq") == Pipeline.highWatermarks(reports))

                    let dead = try pipeline.read(pipeline.topics.checkInRequestsDLQ, count: 2)
                        .sorted { $0.offset < $1.offset }
                    for (letter, (original, reason)) in zip(dead, [(0, "NOT_JSON"), (1, "KEY_MISMATCH")]) {
                        #expect(letter.key == key)
                        #expect(letter.value == messages[original].value)
                        let headers = Dictionary(
                            letter.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) }
                        ) { first, _ in first }
                        #expect(letter.headers.first == origin)
                        #expect(headers["dlq.reason"] == reason)
                        #expect(headers["dlq.source.topic"] == topic)
                        #expect(headers["dlq.source.partition"] == "\(reports[original].partition)")
                        #expect(headers["dlq.source.offset"] == "\(reports[original].offset)")
                        #expect(headers["dlq.detail"]?.isEmpty == false)
                        let parsed = try #require(
                            DeadLetterHeaders(
                                parsing: letter.headers.map { MessageHeader(name: $0.key, value: $0.value) }
                            )
                        )
                        #expect(parsed.contract == DeadLetterHeaders.contractVersion)
                        #expect(parsed.reason.rawValue == reason)
                        #expect(parsed.lastFailureAt != nil)
                        #expect(parsed.attempts == nil)
                    }
                }
            }
        }
    }
}
