import Testing

@testable import Domain

@Suite(.timeLimit(.minutes(1)))
struct RewardGrantTests {
    static let streak7 = BonusRule(
        id: "streak7",
        trigger: .streak,
        count: 7,
        repeats: true,
        reward: .coupon(groupID: "CG-7")
    )
    static let total15 = BonusRule(
        id: "total15",
        trigger: .total,
        count: 15,
        repeats: false,
        reward: .point(amount: 500)
    )

    @Test(
        "a repeating streak rule fires at every multiple",
        arguments: [(6, false), (7, true), (8, false), (13, false), (14, true), (21, true), (22, false), (0, false)]
    )
    func repeatingStreak(streak: Int, fires: Bool) {
        #expect(Self.streak7.fires(total: 100, streak: streak) == fires)
    }

    @Test(
        "a non-repeating total rule fires only at its count",
        arguments: [(14, false), (15, true), (16, false), (30, false)]
    )
    func singleTotal(total: Int, fires: Bool) {
        #expect(Self.total15.fires(total: total, streak: 15) == fires)
    }

    @Test("a zero count never fires (and never divides by zero)")
    func zeroCount() {
        let rule = BonusRule(id: "z", trigger: .total, count: 0, repeats: true, reward: .point(amount: 1))
        #expect(!rule.fires(total: 0, streak: 0))
        #expect(!rule.fires(total: 5, streak: 5))
    }

    @Test("daily first, then bonuses in rule order, with exact idempotency keys")
    func earnedGrants() {
        let policy = makePolicy(dailyReward: .point(amount: 10), bonusRules: [Self.streak7, Self.total15])
        let grants = RewardGrant.earned(
            policy: policy,
            memberID: 1001,
            snapshot: AttendanceSnapshot(date: day("2026-12-14"), total: 15, streak: 14)
        )
        #expect(
            grants == [
                RewardGrant(kind: .daily, reward: .point(amount: 10), idempotencyKey: "att:42:1001:2026-12-14:DAILY"),
                RewardGrant(
                    kind: .bonus(ruleID: "streak7"),
                    reward: .coupon(groupID: "CG-7"),
                    idempotencyKey: "att:42:1001:2026-12-14:BONUS:streak7"
                ),
                RewardGrant(
                    kind: .bonus(ruleID: "total15"),
                    reward: .point(amount: 500),
                    idempotencyKey: "att:42:1001:2026-12-14:BONUS:total15"
                ),
            ]
        )
        #expect(grants.map(\.kind.name) == ["DAILY", "BONUS", "BONUS"])
    }

    @Test("a NONE daily reward gives no daily grant")
    func noneDaily() {
        let policy = makePolicy(dailyReward: .none, bonusRules: [Self.streak7])
        let quiet = RewardGrant.earned(
            policy: policy,
            memberID: 7,
            snapshot: AttendanceSnapshot(date: day("2026-12-03"), total: 3, streak: 3)
        )
        #expect(quiet.isEmpty)
        let bonusOnly = RewardGrant.earned(
            policy: policy,
            memberID: 7,
            snapshot: AttendanceSnapshot(date: day("2026-12-07"), total: 7, streak: 7)
        )
        #expect(bonusOnly.map(\.idempotencyKey) == ["att:42:7:2026-12-07:BONUS:streak7"])
    }

    @Test("idempotency keys")
    func keys() {
        #expect(
            RewardGrant.idempotencyKey(eventID: 42, memberID: 1001, date: day("2027-01-01"), kind: .daily)
                == "att:42:1001:2027-01-01:DAILY"
        )
        #expect(
            RewardGrant.idempotencyKey(
                eventID: 9_223_372_036_854_775_807,
                memberID: 1,
                date: day("2028-02-29"),
                kind: .bonus(ruleID: "a.b-c_d")
            )
                == "att:9223372036854775807:1:2028-02-29:BONUS:a.b-c_d"
        )
    }

    @Test("a success's outcome carries the grants the policy earns")
    func decisionCarriesGrants() {
        let policy = makePolicy(dailyReward: .coupon(groupID: "CG-D"), bonusRules: [Self.streak7])
        let decision = CheckInRules.decide(
            CheckInRequest(
                eventID: 42,
                memberID: 5,
                requestID: "r",
                requestedAt: timestamp("2026-12-07T10:00:00+09:00")
            ),
            in: CheckInContext(
                policy: policy,
                messageTimestamp: timestamp("2026-12-07T01:00:00Z"),
                member: MemberAttendance(latest: AttendanceSnapshot(date: day("2026-12-06"), total: 6, streak: 6)),
                participantCount: 1
            )
        )
        guard case .checkedIn(let snapshot, let rewards) = decision.outcome else {
            Issue.record("expected a success, got \(decision.outcome)")
            return
        }
        #expect(snapshot.streak == 7)
        #expect(rewards.map(\.idempotencyKey) == ["att:42:5:2026-12-07:DAILY", "att:42:5:2026-12-07:BONUS:streak7"])
    }
}
