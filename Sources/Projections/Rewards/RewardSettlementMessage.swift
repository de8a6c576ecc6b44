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
        var pointAmount: Int64?
        var couponGroupID: String?
        switch reward.payout {
        case .points(let amount): pointAmount = amount
        case .coupon(let groupID): couponGroupID = groupID
        }
        return RewardCommandMessage.payload(
            idempotencyKey: reward.idempotencyKey,
            eventID: reward.eventID,
            memberID: reward.memberID,
            attendanceDate: reward.attendanceDate,
            kind: reward.kind,
            bonusRuleID: reward.bonusRuleID,
            rewardType: reward.rewardType,
            pointAmount: pointAmount,
            couponGroupID: couponGroupID,
            attendanceLogID: attendanceLogID,
            createdAt: createdAt
        )
    }
}
