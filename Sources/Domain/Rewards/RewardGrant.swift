/// One reward a success earned; becomes a reward command (PRODUCT §4).
public struct RewardGrant: Hashable, Sendable {
    public let kind: RewardKind
    /// Never ``RewardSpec/none``.
    public let reward: RewardSpec
    /// Deterministic, so a redelivered or replayed success can never pay twice.
    public let idempotencyKey: String

    public init(kind: RewardKind, reward: RewardSpec, idempotencyKey: String) {
        self.kind = kind
        self.reward = reward
        self.idempotencyKey = idempotencyKey
    }

    /// `att:{event_id}:{member_id}:{attendance_date}:DAILY` or `att:…:BONUS:{rule_id}`.
    public static func idempotencyKey(eventID: Int64, memberID: Int64, date: AttendanceDate, kind: RewardKind) -> String
    {
        let base = "att:\(eventID):\(memberID):\(date):\(kind.name)"
        switch kind {
        case .daily: return base
        case .bonus(let ruleID): return base + ":" + ruleID
        }
    }

    /// The daily reward (unless NONE), then each bonus rule that fires, in the policy's rule order.
    public static func earned(policy: EventPolicy, memberID: Int64, snapshot: AttendanceSnapshot) -> [RewardGrant] {
        func grant(_ kind: RewardKind, _ reward: RewardSpec) -> RewardGrant {
            let key = idempotencyKey(eventID: policy.id, memberID: memberID, date: snapshot.date, kind: kind)
            return RewardGrant(kind: kind, reward: reward, idempotencyKey: key)
        }
        var grants: [RewardGrant] = []
        if policy.dailyReward != .none {
            grants.append(grant(.daily, policy.dailyReward))
        }
        for rule in policy.bonusRules
        where rule.reward != .none && rule.fires(total: snapshot.total, streak: snapshot.streak) {
            grants.append(grant(.bonus(ruleID: rule.id), rule.reward))
        }
        return grants
    }
}
