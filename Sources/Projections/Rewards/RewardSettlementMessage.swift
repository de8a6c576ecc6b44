import Domain

/// The `attendance.reward-settlements.v1` value (schema in `topics/`): one per final outcome of a reward.
public enum RewardSettlementMessage {
    public static let schemaVersion: Int64 = 1

    public static func payload(
        reward: ClaimedReward,
        status: RewardStatus,
        transactionID: String?,
        reason: String?,
        attempts: Int,
        settledAt: Timestamp
    ) -> [UInt8] {
        var json = JSONText()
        json.beginObject()
        json.field("schema_version", schemaVersion)
        json.field("idempotency_key", reward.idempotencyKey)
        json.field("event_id", reward.eventID)
        json.field("member_id", reward.memberID)
        json.field("attendance_date", reward.attendanceDate)
        json.field("kind", reward.kind)
        json.field("reward_type", reward.rewardType)
        json.field("status", status.rawValue)
        json.field("transaction_id", transactionID)
        json.field("reason", reason)
        json.field("attempts", attempts)
        json.field("settled_at", settledAt.description)
        json.endObject()
        return json.utf8
    }

    /// The reward command as it was published on `attendance.reward-commands.v1`, rebuilt from the reward log.
    public static func commandPayload(reward: ClaimedReward, attendanceLogID: Int64, createdAt: Timestamp) -> [UInt8] {
        var json = JSONText()
        json.beginObject()
        json.field("schema_version", RewardCommandMessage.schemaVersion)
        json.field("idempotency_key", reward.idempotencyKey)
        json.field("event_id", reward.eventID)
        json.field("member_id", reward.memberID)
        json.field("attendance_date", reward.attendanceDate)
        json.field("kind", reward.kind)
        json.field("bonus_rule_id", reward.bonusRuleID)
        json.key("reward")
        json.beginObject()
        switch reward.payout {
        case .points(let amount):
            json.field("type", "POINT")
            json.field("point_amount", amount)
        case .coupon(let groupID):
            json.field("type", "COUPON")
            json.field("coupon_group_id", groupID)
        }
        json.endObject()
        json.field("attendance_log_id", attendanceLogID)
        json.field("created_at", createdAt.description)
        json.endObject()
        return json.utf8
    }
}
