import Testing

@testable import Consumer

/// The fields read from hot messages with the bounded reader: a reward command's key, a fact's request id.
@Suite(.timeLimit(.minutes(1)))
struct HotMessageFieldsTests {
    @Test func rewardCommandKeyIsReadOnlyFromAnObjectWithAnAttendanceKey() {
        let command = #"{"schema_version":1,"idempotency_key":"att:42:1001:2027-01-01:daily","member_id":1001}"#
        #expect(RewardCommandIntake.idempotencyKey(Array(command.utf8)) == "att:42:1001:2027-01-01:daily")
        #expect(RewardCommandIntake.idempotencyKey(Array(#"{"idempotency_key":"other:1"}"#.utf8)) == nil)
        #expect(RewardCommandIntake.idempotencyKey(Array(#"{"idempotency_key":7}"#.utf8)) == nil)
        #expect(RewardCommandIntake.idempotencyKey(Array(#"["att:1"]"#.utf8)) == nil)
        #expect(RewardCommandIntake.idempotencyKey(Array("not json".utf8)) == nil)
        #expect(RewardCommandIntake.idempotencyKey(nil) == nil)
        let long = "att:" + String(repeating: "x", count: 252)
        #expect(RewardCommandIntake.idempotencyKey(Array(#"{"idempotency_key":"\#(long)"}"#.utf8)) == nil)
    }

    @Test func factRequestIDIsReadFromTheFact() {
        let fact = #"{"schema_version":1,"event_id":2,"member_id":7,"request_id":"r-\"1\"","outcome":"SUCCESS"}"#
        #expect(OutcomeFeed.requestID(ofFact: Array(fact.utf8)) == #"r-"1""#)
        #expect(OutcomeFeed.requestID(ofFact: Array(#"{"request_id":null}"#.utf8)) == nil)
        #expect(OutcomeFeed.requestID(ofFact: Array("{".utf8)) == nil)
    }
}
