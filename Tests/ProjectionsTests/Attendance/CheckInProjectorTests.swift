import Domain
import Foundation
import Testing

@testable import Projections

/// The batch goes without looking up which requests are logged already; the log's unique key catches one that
/// is, and the batch is written again with the look-up. Nothing is written twice, nothing of the batch is lost,
/// and the rows written by COPY link to each other.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CheckInProjectorTests {
    static let event = ReplayFixture.rewardedEvent
    static let topic = TopicNames.standard.checkInRequests

    static func envelope(member: Int64, requestID: String, partition: Int32, offset: Int64) -> CheckInEnvelope {
        let at = Timestamp(microsecondsSinceEpoch: 1_772_366_400 * 1_000_000)  // 2026-03-01T12:00:00Z
        let json = """
            {"request_id": "\(requestID)", "event_id": \(event), "member_id": \(member), "requested_at": "\(at)"}
            """
        return CheckInEnvelope(
            position: SourcePosition(topic: topic, partition: partition, offset: offset),
            key: Array("\(event):\(member)".utf8),
            value: Array(json.utf8),
            headers: [],
            timestamp: at
        )
    }

    static func partition(_ number: Int32) -> PartitionKey { PartitionKey(topic: topic, partition: number) }

    static func withFixture(_ body: (ReplayFixture) throws -> Void) async throws {
        try await TestDatabase.withSchema { schema in
            let fixture = try ReplayFixture(schema: schema)
            defer { fixture.close() }
            try fixture.apply(ReplayFixture.event(event, timezone: "UTC", rewarded: true))
            try body(fixture)
        }
    }

    @Test func aRequestLoggedByAnEarlierBatchCountsAsADuplicateAndTheRestIsWritten() async throws {
        try await Self.withFixture { fixture in
            let first = try fixture.projector.process(
                [Self.envelope(member: 1, requestID: "a", partition: 0, offset: 0)],
                expected: [Self.partition(0): nil]
            )
            #expect(first.successes == 1)
            let second = try fixture.projector.process(
                [
                    Self.envelope(member: 1, requestID: "a", partition: 0, offset: 1),
                    Self.envelope(member: 2, requestID: "b", partition: 0, offset: 2),
                ],
                expected: [Self.partition(0): 1]
            )
            #expect(second.duplicates == 1)
            #expect(second.successes == 1)
            #expect(second.logged == 1)
            #expect(second.nextOffsets == [Self.partition(0): 3])
            #expect(try fixture.count("event_attendance_log") == 2)
            #expect(try fixture.count("event_attendance_history") == 2)
            #expect(
                try fixture.rows("SELECT next_offset FROM consumer_offset WHERE partition = 0") == [["3"]]
            )
        }
    }

    /// The same request under two member keys lands on two partitions, which two consumers own.
    @Test func aRequestLoggedByAnotherConsumerUnderAnotherPartitionIsADuplicate() async throws {
        try await Self.withFixture { fixture in
            let other = CheckInProjector(
                configuration: .init(groupID: "replay-tests"),
                connection: try fixture.schema.connect()
            )
            defer { other.connection.close() }
            _ = try fixture.projector.process(
                [Self.envelope(member: 1, requestID: "shared", partition: 0, offset: 0)],
                expected: [Self.partition(0): nil]
            )
            let result = try other.process(
                [
                    Self.envelope(member: 3, requestID: "shared", partition: 1, offset: 0),
                    Self.envelope(member: 4, requestID: "own", partition: 1, offset: 1),
                ],
                expected: [Self.partition(1): nil]
            )
            #expect(result.duplicates == 1)
            #expect(result.successes == 1)
            #expect(try fixture.rows("SELECT member_id FROM event_attendance_log ORDER BY id") == [["1"], ["4"]])
        }
    }

    /// After batches kept meeting logged requests, the next one looks them up first: its logged request is a
    /// duplicate, its new one is written, in one attempt.
    @Test func aBatchStartsWithTheLookUpAfterBatchesKeptMeetingLoggedRequests() async throws {
        try await Self.withFixture { fixture in
            _ = try fixture.projector.process(
                [Self.envelope(member: 1, requestID: "old", partition: 0, offset: 0)],
                expected: [Self.partition(0): nil]
            )
            var offset: Int64 = 1
            for round in 0..<4 {
                #expect(fixture.projector.looksUpLoggedRequests == (round == 3))
                let result = try fixture.projector.process(
                    [
                        Self.envelope(member: 1, requestID: "old", partition: 0, offset: offset),
                        Self.envelope(
                            member: Int64(10 + round),
                            requestID: "new\(round)",
                            partition: 0,
                            offset: offset + 1
                        ),
                    ],
                    expected: [Self.partition(0): offset]
                )
                #expect(result.duplicates == 1)
                #expect(result.successes == 1)
                offset += 2
            }
            #expect(try fixture.count("event_attendance_log") == 5)
            #expect(try fixture.rows("SELECT next_offset FROM consumer_offset WHERE partition = 0") == [["9"]])
        }
    }

    /// Ids are taken before the rows are copied: every history row points at its own request's log row, every
    /// reward at its history row, and ids follow the batch's order.
    @Test func copiedRowsLinkToEachOther() async throws {
        try await Self.withFixture { fixture in
            let envelopes = (0..<20).map {
                Self.envelope(member: Int64($0 % 7 + 1), requestID: "r\($0)", partition: 0, offset: Int64($0))
            }
            let result = try fixture.projector.process(envelopes, expected: [Self.partition(0): nil])
            #expect(result.logged == 20)
            #expect(result.successes == 7)
            #expect(
                try fixture.rows("SELECT request_id FROM event_attendance_log ORDER BY id").map { $0[0] }
                    == (0..<20).map { "r\($0)" }
            )
            let unlinked = try fixture.rows(
                """
                SELECT count(*) FILTER (WHERE l.status <> 'CHECK_IN' OR l.member_id <> h.member_id
                                          OR l.attendance_date <> h.attendance_date),
                       count(*)
                FROM event_attendance_history h JOIN event_attendance_log l ON l.id = h.attendance_log_id
                """
            )
            #expect(unlinked == [["0", "7"]])
            let rewards = try fixture.rows(
                """
                SELECT count(*) FILTER (WHERE r.member_id <> h.member_id OR r.attendance_date <> h.attendance_date),
                       count(*)
                FROM event_attendance_reward_log r JOIN event_attendance_history h ON h.id = r.attendance_history_id
                """
            )
            #expect(rewards == [["0", "7"]])
        }
    }

    /// One logged request now and then does not turn the look-up on; a producer re-sending old requests batch after
    /// batch does, and the look-up goes off again a few batches after they stop.
    @Test func theLookUpFollowsHowOftenBatchesMeetLoggedRequests() {
        var lookups = ProcessedRequestLookups()
        #expect(!lookups.isOn)
        for _ in 0..<20 {
            lookups.batchDone(metLoggedRequest: true)
            #expect(!lookups.isOn)
            for _ in 0..<4 { lookups.batchDone(metLoggedRequest: false) }
        }
        lookups = ProcessedRequestLookups()
        var batchesUntilOn = 0
        while !lookups.isOn {
            lookups.batchDone(metLoggedRequest: true)
            batchesUntilOn += 1
        }
        #expect(batchesUntilOn == 3)
        for _ in 0..<10 { lookups.batchDone(metLoggedRequest: true) }
        var batchesUntilOff = 0
        while lookups.isOn {
            lookups.batchDone(metLoggedRequest: false)
            batchesUntilOff += 1
        }
        #expect((5...15).contains(batchesUntilOff))
    }
}
