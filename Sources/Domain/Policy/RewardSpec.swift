/// What a success (or a bonus rule) pays.
///
/// In a policy file: `{"type":"POINT","point_amount":10}`, `{"type":"COUPON","coupon_group_id":"CG-7"}`
/// or `{"type":"NONE"}`.
public enum RewardSpec: Hashable, Sendable {
    case point(amount: Int64)
    case coupon(groupID: String)
    case none

    /// The `type` string of the policy file.
    public var typeName: String {
        switch self {
        case .point: "POINT"
        case .coupon: "COUPON"
        case .none: "NONE"
        }
    }
}
