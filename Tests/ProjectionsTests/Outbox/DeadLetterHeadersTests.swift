import Domain
import Projections
import Testing

@Suite("Dead-letter headers: one contract, old names still read", .timeLimit(.minutes(1)))
struct DeadLetterHeadersTests {
    static func headers(_ pairs: [(String, String)]) -> [MessageHeader] {
        pairs.map { MessageHeader(name: $0.0, value: Array($0.1.utf8)) }
    }

    static func text(_ headers: [MessageHeader]) -> [String: String] {
        Dictionary(headers.map { ($0.name, String(decoding: $0.value ?? [], as: UTF8.self)) }) { _, last in last }
    }

    @Test func everyHeaderIsWrittenAndReadBack() throws {
        let first = try #require(Timestamp(rfc3339: "2026-12-01T00:00:00Z"))
        let last = try #require(Timestamp(rfc3339: "2026-12-01T00:05:00.250000Z"))
        let written = DeadLetterHeaders(
            reason: .rewardParked,
            detail: "gave up after 8 attempts: HTTP 503",
            source: SourcePosition(topic: "attendance.reward-commands.v1", partition: 2, offset: 17),
            attempts: 8,
            firstFailureAt: first,
            lastFailureAt: last
        )
        #expect(
            Self.text(written.headers) == [
                "dlq.contract": "1", "dlq.reason": "REWARD_PARKED", "dlq.detail": "gave up after 8 attempts: HTTP 503",
                "dlq.source.topic": "attendance.reward-commands.v1", "dlq.source.partition": "2",
                "dlq.source.offset": "17", "dlq.attempts": "8", "dlq.first_failure_at": "2026-12-01T00:00:00.000000Z",
                "dlq.last_failure_at": "2026-12-01T00:05:00.250000Z",
            ]
        )
        #expect(DeadLetterHeaders(parsing: written.headers) == written)
    }

    @Test func headersThatDoNotApplyAreLeftOut() {
        let written = DeadLetterHeaders(reason: .unprocessable, detail: "refused")
        #expect(written.headers.map(\.name) == ["dlq.contract", "dlq.reason", "dlq.detail"])
    }

    @Test func originalHeadersComeFirstAndTheLastOfANameCounts() {
        let original = Self.headers([("traceparent", "00-abc"), ("dlq.reason", "SPOOFED")])
        let written = DeadLetterHeaders(reason: .init(rawValue: "NOT_JSON"), detail: "not JSON")
        let all = written.appended(to: original)
        #expect(Array(all.prefix(2)) == original)
        #expect(DeadLetterHeaders(parsing: all)?.reason.rawValue == "NOT_JSON")
    }

    @Test func aMessageWithoutAReasonIsNotADeadLetter() {
        #expect(DeadLetterHeaders(parsing: Self.headers([("traceparent", "00-abc")])) == nil)
    }

    @Test func checkInDeadLettersFromBeforeTheContractReadAsBefore() throws {
        let parsed = try #require(
            DeadLetterHeaders(
                parsing: Self.headers([
                    ("dlq.reason", "KEY_MISMATCH"), ("dlq.detail", "member_id 2 differs from the key"),
                    ("dlq.source.topic", "attendance.check-in-requests.v1"), ("dlq.source.partition", "3"),
                    ("dlq.source.offset", "41"),
                ])
            )
        )
        #expect(parsed.contract == 0)
        #expect(parsed.reason.rawValue == "KEY_MISMATCH")
        #expect(parsed.detail == "member_id 2 differs from the key")
        #expect(parsed.source == SourcePosition(topic: "attendance.check-in-requests.v1", partition: 3, offset: 41))
        #expect(parsed.lastFailureAt == nil)
    }

    @Test func rewardCommandDeadLettersFromBeforeTheContractGetACodeAndASplitSource() throws {
        let parsed = try #require(
            DeadLetterHeaders(
                parsing: Self.headers([
                    ("dlq.reason", "not a reward command"), ("dlq.source", "attendance.reward-commands.v1/2/17"),
                ])
            )
        )
        #expect(parsed.contract == 0)
        #expect(parsed.reason == .notARewardCommand)
        #expect(parsed.detail == "not a reward command")
        #expect(parsed.source == SourcePosition(topic: "attendance.reward-commands.v1", partition: 2, offset: 17))
    }

    @Test func parkedRewardsFromBeforeTheContractMoveTheirErrorToTheDetail() throws {
        let parsed = try #require(
            DeadLetterHeaders(
                parsing: Self.headers([
                    ("dlq.reason", "gave up after 8 attempts: HTTP 503"), ("dlq.attempts", "8"),
                    ("dlq.parked_at", "2026-12-01T00:05:00.000000Z"),
                ])
            )
        )
        #expect(parsed.contract == 0)
        #expect(parsed.reason == .rewardParked)
        #expect(parsed.detail == "gave up after 8 attempts: HTTP 503")
        #expect(parsed.attempts == 8)
        #expect(parsed.lastFailureAt == Timestamp(rfc3339: "2026-12-01T00:05:00Z"))
        #expect(parsed.source == nil)
    }
}
