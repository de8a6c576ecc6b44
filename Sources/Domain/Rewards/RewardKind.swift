/// Why a reward was granted: the daily reward, or a bonus rule.
public enum RewardKind: Hashable, Sendable {
    case daily
    case bonus(ruleID: String)

    /// `DAILY` or `BONUS`, as in idempotency keys and reward logs.
    public var name: String {
        switch self {
        case .daily: "DAILY"
        case .bonus: "BONUS"
        }
    }
}
