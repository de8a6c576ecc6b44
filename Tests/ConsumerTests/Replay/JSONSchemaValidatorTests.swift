import Foundation
import Testing

@testable import Domain

/// The validator itself: it must reject what the schemas forbid, or the tests that use it prove nothing.
@Suite("Analytics: the test-only JSON Schema validator", .timeLimit(.minutes(5)))
struct JSONSchemaValidatorTests {
    static let topics = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("topics")

    static func validator(_ topic: String) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(topicSpec: topics.appendingPathComponent("\(topic).json"))
    }

    static let validEvent = """
        {"schema_version": 1, "request_id": "r-1", "event_id": 42, "member_id": 1001, "attendance_date": "2026-03-01",
         "status": "CHECK_IN", "fail_reason": null, "total_attendance_count": 3, "streak_attendance_count": 2,
         "policy_version": 1, "processed_at": "2026-03-01T09:00:00.123456Z"}
        """

    static let validCommand = """
        {"schema_version": 1, "idempotency_key": "att:42:1001:2026-03-01:BONUS:streak3", "event_id": 42,
         "member_id": 1001, "attendance_date": "2026-03-01", "kind": "BONUS", "bonus_rule_id": "streak3",
         "reward": {"type": "COUPON", "coupon_group_id": "CG-3"}, "attendance_log_id": 7,
         "created_at": "2026-03-01T09:00:00Z"}
        """

    @Test func validMessagesPass() throws {
        #expect(try Self.validator("attendance.events.v1").violations(of: Array(Self.validEvent.utf8)) == [])
        #expect(try Self.validator("attendance.reward-commands.v1").violations(of: Array(Self.validCommand.utf8)) == [])
    }

    /// (replace this, with that) in a valid message, and the violation that must follow.
    static let eventBreakages: [(String, String, String)] = [
        (#""schema_version": 1"#, #""schema_version": 2"#, "$.schema_version: not the constant value"),
        (#""event_id": 42"#, #""event_id": 0"#, "$.event_id: less than 1"),
        (#""event_id": 42"#, #""event_id": "42""#, "$.event_id: expected integer, got a string"),
        (#""member_id": 1001"#, #""member_id": 1001.5"#, "$.member_id: expected integer, got a non-integer number"),
        (#""status": "CHECK_IN""#, #""status": "OK""#, "$.status: not one of the enumerated values"),
        (#""fail_reason": null"#, #""fail_reason": "TIRED""#, "$.fail_reason: not one of the enumerated values"),
        (#""attendance_date": "2026-03-01""#, #""attendance_date": "2026-02-30""#, "$.attendance_date: not a date"),
        (
            #""processed_at": "2026-03-01T09:00:00.123456Z""#, #""processed_at": "2026-03-01 09:00""#,
            "$.processed_at: not an RFC 3339 date-time"
        ),
        (#""request_id": "r-1", "#, "", "$: missing required request_id"),
        (#""policy_version": 1"#, #""policy_version": 1, "extra": true"#, "$.extra: additional property not allowed"),
        (
            #""total_attendance_count": 3"#, #""total_attendance_count": true"#,
            "$.total_attendance_count: expected integer or null, got a boolean"
        ),
    ]

    @Test(arguments: eventBreakages)
    func brokenAnalyticsFactsAreRejected(_ breakage: (String, String, String)) throws {
        let broken = Self.validEvent.replacingOccurrences(of: breakage.0, with: breakage.1)
        #expect(broken != Self.validEvent)
        #expect(try Self.validator("attendance.events.v1").violations(of: Array(broken.utf8)).contains(breakage.2))
    }

    static let commandBreakages: [(String, String, String)] = [
        (
            #""coupon_group_id": "CG-3""#, #""coupon_group_id": """#,
            "$.reward: matches 0 of the oneOf alternatives, not exactly one"
        ),
        (
            #""coupon_group_id": "CG-3""#, #""coupon_group_id": "CG-3", "point_amount": 5"#,
            "$.reward: matches 0 of the oneOf alternatives, not exactly one"
        ),
        (
            #""idempotency_key": "att:42:1001:2026-03-01:BONUS:streak3""#, #""idempotency_key": "att:42:1001:DAILY""#,
            "$.idempotency_key: does not match ^att:[0-9]+:[0-9]+:[0-9]{4}-[0-9]{2}-[0-9]{2}:(DAILY|BONUS:[A-Za-z0-9_.-]{1,64})$"
        ),
    ]

    @Test(arguments: commandBreakages)
    func brokenRewardCommandsAreRejected(_ breakage: (String, String, String)) throws {
        let broken = Self.validCommand.replacingOccurrences(of: breakage.0, with: breakage.1)
        #expect(broken != Self.validCommand)
        #expect(
            try Self.validator("attendance.reward-commands.v1").violations(of: Array(broken.utf8)).contains(breakage.2)
        )
    }

    @Test func unsupportedKeywordsAndLengthsAreReported() {
        let schema = try! JSONReader.parseDocument(
            Array(#"{"type": "string", "maxLength": 3, "uniqueItems": true}"#.utf8)
        )
        let violations = JSONSchemaValidator(schema: schema).violations(of: Array(#""abcd""#.utf8))
        #expect(violations == ["$: unsupported schema keyword uniqueItems", "$: longer than 3"])
    }
}
