import Foundation
import Testing

@testable import Domain

@Suite(.timeLimit(.minutes(1)))
struct EventPolicyTests {
    @Test("the example of PRODUCT §2 decodes")
    func productExample() throws {
        let policy = try EventPolicy.decode(json: Data(productExamplePolicyJSON.utf8))
        #expect(policy.id == 42)
        #expect(policy.name == "Winter daily check-in")
        #expect(policy.status == .active)
        #expect(policy.startsAt == timestamp("2026-11-30T15:00:00Z"))
        #expect(policy.endsAt == timestamp("2026-12-31T15:00:00Z"))
        #expect(policy.timeZoneIdentifier == "Asia/Seoul")
        #expect(policy.timeZone.identifier == "Asia/Seoul")
        #expect(policy.maxAttendanceDays == 20)
        #expect(policy.maxParticipants == 100_000)
        #expect(policy.dailyReward == .point(amount: 10))
        #expect(
            policy.bonusRules == [
                BonusRule(
                    id: "streak7",
                    trigger: .streak,
                    count: 7,
                    repeats: true,
                    reward: .coupon(groupID: "CG-WINTER-7")
                ),
                BonusRule(id: "total15", trigger: .total, count: 15, repeats: false, reward: .point(amount: 500)),
            ]
        )
    }

    @Test("optional fields may be absent or null")
    func optionalFields() throws {
        let minimal = """
            {"id":1,"name":"n","status":"PAUSED","starts_at":"2026-01-01T00:00:00Z",
             "ends_at":"2026-02-01T00:00:00Z","timezone":"UTC","max_participants":null,"daily_reward":null}
            """
        let policy = try EventPolicy.decode(json: Data(minimal.utf8))
        #expect(policy.maxAttendanceDays == nil)
        #expect(policy.maxParticipants == nil)
        #expect(policy.dailyReward == .none)
        #expect(policy.bonusRules.isEmpty)
        #expect(policy.status == .paused)
    }

    /// Replaces one top-level field of the PRODUCT example (or removes it when `value` is nil).
    static func example(setting key: String, to value: String?) -> Data {
        var object = try! JSONSerialization.jsonObject(with: Data(productExamplePolicyJSON.utf8)) as! [String: Any]
        object[key] = nil
        var text = String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        if let value {
            text.removeLast()
            text += ",\"\(key)\":\(value)}"
        }
        return Data(text.utf8)
    }

    @Test(
        "each rule violation names its field",
        arguments: [
            ("id", nil, "id", "is required"),
            ("id", "0", "id", "must be greater than 0"),
            ("id", "-5", "id", "must be greater than 0"),
            ("id", "1.5", "id", "must be an integer"),
            ("id", "\"42\"", "id", "must be an integer"),
            ("id", "true", "id", "must be an integer"),
            ("id", "9223372036854775808", "id", "must be at most 9223372036854775807"),
            ("name", "\"\"", "name", "must not be empty"),
            ("name", "\"   \"", "name", "must not be empty"),
            ("name", "\"\(String(repeating: "가", count: 201))\"", "name", "must be at most 200 characters"),
            ("name", "7", "name", "must be a string"),
            ("status", "\"RUNNING\"", "status", "must be one of ACTIVE, PAUSED, ENDED"),
            ("status", "\"active\"", "status", "must be one of ACTIVE, PAUSED, ENDED"),
            (
                "starts_at", "\"2026-12-01T00:00:00\"", "starts_at",
                "must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T00:00:00+09:00"
            ),
            ("ends_at", "\"2026-12-01T00:00:00+09:00\"", "ends_at", "must be after starts_at"),
            ("ends_at", "\"2026-11-01T00:00:00+09:00\"", "ends_at", "must be after starts_at"),
            ("timezone", "\"KST\"", "timezone", "must be an IANA time zone name such as Asia/Seoul or UTC"),
            ("timezone", "\"EST\"", "timezone", "must be an IANA time zone name such as Asia/Seoul or UTC"),
            ("timezone", "\"Mars/Olympus\"", "timezone", "must be an IANA time zone name such as Asia/Seoul or UTC"),
            ("timezone", "\"asia/seoul\"", "timezone", "must be an IANA time zone name such as Asia/Seoul or UTC"),
            ("max_attendance_days", "0", "max_attendance_days", "must be greater than 0"),
            ("max_participants", "\"100\"", "max_participants", "must be an integer"),
            ("max_participants", "2.0", "max_participants", "must be an integer"),
            ("daily_reward", "\"POINT\"", "daily_reward", "must be an object"),
            ("daily_reward", "{\"type\":\"POINT\"}", "daily_reward.point_amount", "is required"),
            (
                "daily_reward", "{\"type\":\"POINT\",\"point_amount\":0}", "daily_reward.point_amount",
                "must be greater than 0"
            ),
            (
                "daily_reward", "{\"type\":\"POINT\",\"point_amount\":10,\"coupon_group_id\":\"CG\"}",
                "daily_reward.coupon_group_id", "is not allowed for type POINT"
            ),
            ("daily_reward", "{\"type\":\"COUPON\"}", "daily_reward.coupon_group_id", "is required"),
            (
                "daily_reward", "{\"type\":\"COUPON\",\"coupon_group_id\":\"\"}", "daily_reward.coupon_group_id",
                "must not be empty"
            ),
            (
                "daily_reward", "{\"type\":\"COUPON\",\"coupon_group_id\":\"\(String(repeating: "C", count: 65))\"}",
                "daily_reward.coupon_group_id", "must be at most 64 characters"
            ),
            (
                "daily_reward", "{\"type\":\"COUPON\",\"coupon_group_id\":\"CG\",\"point_amount\":5}",
                "daily_reward.point_amount", "is not allowed for type COUPON"
            ),
            (
                "daily_reward", "{\"type\":\"NONE\",\"point_amount\":5}", "daily_reward.point_amount",
                "is not allowed for type NONE"
            ),
            ("daily_reward", "{\"type\":\"CASH\"}", "daily_reward.type", "must be one of POINT, COUPON, NONE"),
            ("daily_reward", "{\"type\":\"NONE\",\"amount\":5}", "daily_reward.amount", "unknown field"),
            ("bonus_rules", "{}", "bonus_rules", "must be an array"),
            ("bonus_rules", "[7]", "bonus_rules[0]", "must be an object"),
            (
                "bonus_rules", rule(id: "\"has space\""), "bonus_rules[0].id",
                "must be 1–64 characters of A-Z, a-z, 0-9, '_', '.', '-'"
            ),
            (
                "bonus_rules", rule(id: "\"\""), "bonus_rules[0].id",
                "must be 1–64 characters of A-Z, a-z, 0-9, '_', '.', '-'"
            ),
            (
                "bonus_rules", rule(id: "\"\(String(repeating: "a", count: 65))\""), "bonus_rules[0].id",
                "must be 1–64 characters of A-Z, a-z, 0-9, '_', '.', '-'"
            ),
            ("bonus_rules", rule(trigger: "\"DAILY\""), "bonus_rules[0].trigger", "must be one of STREAK, TOTAL"),
            ("bonus_rules", rule(count: "0"), "bonus_rules[0].count", "must be at least 1"),
            ("bonus_rules", rule(count: "1.5"), "bonus_rules[0].count", "must be an integer"),
            ("bonus_rules", rule(repeats: "1"), "bonus_rules[0].repeat", "must be true or false"),
            ("bonus_rules", rule(repeats: "\"yes\""), "bonus_rules[0].repeat", "must be true or false"),
            (
                "bonus_rules", rule(reward: "{\"type\":\"NONE\"}"), "bonus_rules[0].reward.type",
                "must be POINT or COUPON (NONE is not allowed here)"
            ),
            ("bonus_rules", rule(reward: nil), "bonus_rules[0].reward", "is required"),
            (
                "bonus_rules",
                "[\(rule(id: "\"a\"").dropFirst().dropLast()),\(rule(id: "\"a\"").dropFirst().dropLast())]",
                "bonus_rules[1].id", "duplicates bonus_rules[0].id"
            ),
            ("colour", "\"blue\"", "colour", "unknown field"),
        ] as [(String, String?, String, String)]
    )
    func violations(key: String, value: String?, field: String, message: String) throws {
        let error = try #require(throws: PolicyValidationError.self) {
            try EventPolicy.decode(json: Self.example(setting: key, to: value))
        }
        #expect(error.problems == [PolicyValidationError.Problem(field: field, message: message)])
    }

    static func rule(
        id: String = "\"r1\"",
        trigger: String = "\"STREAK\"",
        count: String = "3",
        repeats: String = "false",
        reward: String? = "{\"type\":\"POINT\",\"point_amount\":5}"
    ) -> String {
        let rewardMember = reward.map { ",\"reward\":\($0)" } ?? ""
        return "[{\"id\":\(id),\"trigger\":\(trigger),\"count\":\(count),\"repeat\":\(repeats)\(rewardMember)}]"
    }

    @Test("all problems are reported at once, in a readable description")
    func severalProblems() throws {
        let file = """
            {"id": -1, "name": "", "status": "ACTIVE", "starts_at": "2027-01-01T00:00:00+09:00",
             "ends_at": "2026-12-01T00:00:00+09:00", "timezone": "KST", "max_participant": 5,
             "bonus_rules": [{"id": "x", "trigger": "TOTAL", "count": 1,
                              "reward": {"type": "POINT", "point_amount": 0}}],
             "name": "again"}
            """
        let error = try #require(throws: PolicyValidationError.self) { try EventPolicy.decode(json: Data(file.utf8)) }
        #expect(
            Set(error.problems.map(\.description)) == [
                "max_participant: unknown field",
                "name: appears more than once",
                "id: must be greater than 0",
                "name: must not be empty",
                "ends_at: must be after starts_at",
                "timezone: must be an IANA time zone name such as Asia/Seoul or UTC",
                "bonus_rules[0].reward.point_amount: must be greater than 0",
            ]
        )
        #expect(error.description.split(separator: "\n").count == 7)
    }

    @Test(
        "documents that are not a JSON object are refused as a whole",
        arguments: ["", "[1]", "{\"id\":", "nul", "{} {}"]
    )
    func notAnObject(text: String) throws {
        let error = try #require(throws: PolicyValidationError.self) { try EventPolicy.decode(json: Data(text.utf8)) }
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.field == "(file)")
    }

    @Test("canonical JSON is stable, sorted, compact and round-trips")
    func canonicalJSON() throws {
        let policy = try EventPolicy.decode(json: Data(productExamplePolicyJSON.utf8))
        let canonical = policy.canonicalJSON()
        #expect(
            String(decoding: canonical, as: UTF8.self)
                == #"{"bonus_rules":[{"count":7,"id":"streak7","repeat":true,"reward":{"coupon_group_id":"CG-WINTER-7","type":"COUPON"},"trigger":"STREAK"},{"count":15,"id":"total15","repeat":false,"reward":{"point_amount":500,"type":"POINT"},"trigger":"TOTAL"}],"daily_reward":{"point_amount":10,"type":"POINT"},"ends_at":"2026-12-31T15:00:00.000000Z","id":42,"max_attendance_days":20,"max_participants":100000,"name":"Winter daily check-in","starts_at":"2026-11-30T15:00:00.000000Z","status":"ACTIVE","timezone":"Asia/Seoul"}"#
        )
        let decodedAgain = try EventPolicy.decode(json: canonical)
        #expect(decodedAgain == policy)
        #expect(decodedAgain.canonicalJSON() == canonical)

        // Same meaning, different spelling: same bytes.
        let reordered = """
            {"timezone":"Asia/Seoul","bonus_rules":[{"reward":{"coupon_group_id":"CG-WINTER-7","type":"COUPON"},
             "repeat":true,"count":7,"trigger":"STREAK","id":"streak7"},{"id":"total15","trigger":"TOTAL","count":15,
             "reward":{"type":"POINT","point_amount":500}}],"id":42,"name":"Winter daily check-in","status":"ACTIVE",
             "starts_at":"2026-11-30T15:00:00Z","ends_at":"2027-01-01T00:00:00.000+09:00","max_attendance_days":20,
             "max_participants":100000,"daily_reward":{"type":"POINT","point_amount":10}}
            """
        #expect(try EventPolicy.decode(json: Data(reordered.utf8)).canonicalJSON() == canonical)
    }

    @Test("canonical JSON escapes strings and writes absent values explicitly")
    func canonicalEscaping() throws {
        let policy = try EventPolicy(
            id: 7,
            name: "Quote \" backslash \\ tab \t bell \u{07} 한글",
            status: .ended,
            startsAt: timestamp("2026-01-01T00:00:00Z"),
            endsAt: timestamp("2026-01-02T00:00:00Z"),
            timeZoneIdentifier: "UTC"
        )
        let text = String(decoding: policy.canonicalJSON(), as: UTF8.self)
        #expect(text.contains(#""name":"Quote \" backslash \\ tab \t bell \u0007 한글""#))
        #expect(text.contains(#""daily_reward":{"type":"NONE"}"#))
        #expect(text.contains(#""max_attendance_days":null,"max_participants":null"#))
        #expect(try EventPolicy.decode(json: policy.canonicalJSON()) == policy)
    }

    @Test("escapes in the file are decoded, including surrogate pairs")
    func escapes() throws {
        let file = Self.example(setting: "name", to: #""Caf\u00e9 \ud83d\ude00 \"quoted\" \/""#)
        #expect(try EventPolicy.decode(json: file).name == "Café 😀 \"quoted\" /")
        let lone = Self.example(setting: "name", to: #""\udc00""#)
        let error = try #require(throws: PolicyValidationError.self) { try EventPolicy.decode(json: lone) }
        #expect(error.problems.map(\.field) == ["(file)"])
    }

    @Test("the typed initializer applies the same rules")
    func typedInitializer() throws {
        let error = try #require(throws: PolicyValidationError.self) {
            try EventPolicy(
                id: 0,
                name: "ok",
                status: .active,
                startsAt: timestamp("2026-01-01T00:00:00Z"),
                endsAt: timestamp("2026-01-02T00:00:00Z"),
                timeZoneIdentifier: "Asia/Seoul",
                maxParticipants: -1,
                bonusRules: [
                    BonusRule(id: "a", trigger: .total, count: 0, reward: .none),
                    BonusRule(id: "a", trigger: .total, count: 2, reward: .coupon(groupID: "CG")),
                ]
            )
        }
        #expect(
            error.problems.map(\.description) == [
                "id: must be greater than 0",
                "max_participants: must be greater than 0",
                "bonus_rules[0].count: must be at least 1",
                "bonus_rules[0].reward.type: must be POINT or COUPON (NONE is not allowed here)",
                "bonus_rules[1].id: duplicates bonus_rules[0].id",
            ]
        )
    }
}
