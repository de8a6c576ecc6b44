import Foundation
import Testing

@testable import Domain

/// `point_budget` and `coupon_budget`: optional payout caps of an event (issue 3).
@Suite(.timeLimit(.minutes(1)))
struct EventPolicyBudgetTests {
    @Test("budgets are optional and decode when present")
    func decode() throws {
        let none = try EventPolicy.decode(json: EventPolicyTests.example(setting: "point_budget", to: nil))
        #expect(none.pointBudget == nil && none.couponBudget == nil)
        let capped = try EventPolicy.decode(json: EventPolicyTests.example(setting: "point_budget", to: "50000"))
        #expect(capped.pointBudget == 50_000)
        let coupons = try EventPolicy.decode(json: EventPolicyTests.example(setting: "coupon_budget", to: "0"))
        #expect(coupons.couponBudget == 0)
    }

    @Test(
        "invalid budgets are refused naming the field",
        arguments: [
            ("point_budget", "-1", "must be 0 or greater"), ("coupon_budget", "-5", "must be 0 or greater"),
            ("point_budget", "\"100\"", "must be an integer"), ("coupon_budget", "1.5", "must be an integer"),
        ]
    )
    func invalid(key: String, value: String, message: String) throws {
        let error = #expect(throws: PolicyValidationError.self) {
            try EventPolicy.decode(json: EventPolicyTests.example(setting: key, to: value))
        }
        #expect(error?.problems.contains { $0.field == key && $0.message.contains(message) } == true)
    }

    @Test("canonical JSON carries budgets only when set, so existing policies keep their checksum")
    func canonical() throws {
        let plain = try EventPolicy.decode(json: EventPolicyTests.example(setting: "point_budget", to: nil))
        #expect(!String(decoding: plain.canonicalJSON(), as: UTF8.self).contains("budget"))
        let capped = try EventPolicy.decode(json: EventPolicyTests.example(setting: "coupon_budget", to: "7"))
        let text = String(decoding: capped.canonicalJSON(), as: UTF8.self)
        #expect(text.contains(#""coupon_budget":7,"daily_reward""#))
        #expect(try EventPolicy.decode(json: capped.canonicalJSON()) == capped)
    }

    @Test("the typed initializer applies the same rules")
    func typed() throws {
        #expect(throws: PolicyValidationError.self) {
            try EventPolicy(
                id: 1,
                name: "n",
                status: .active,
                startsAt: Timestamp(microsecondsSinceEpoch: 0),
                endsAt: Timestamp(microsecondsSinceEpoch: 1_000_000),
                timeZoneIdentifier: "UTC",
                pointBudget: -1
            )
        }
    }
}
