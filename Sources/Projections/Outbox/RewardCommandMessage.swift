import Domain

/// The `attendance.reward-commands.v1` value (schema in `topics/`).
public enum RewardCommandMessage {
    public static let schemaVersion: Int64 = 1

    public static func payload(
        grant: RewardGrant,
        eventID: Int64,
        memberID: Int64,
        date: AttendanceDate,
        attendanceLogID: Int64,
        createdAt: Timestamp
    ) -> [UInt8] {
        var ruleID: String?
        if case .bonus(let id) = grant.kind { ruleID = id }
        var reward: (type: String, pointAmount: Int64?, couponGroupID: String?)
        switch grant.reward {
        case .point(let amount): reward = ("POINT", amount, nil)
        case .coupon(let groupID): reward = ("COUPON", nil, groupID)
        case .none: reward = ("NONE", nil, nil)
        }
        return payload(
            idempotencyKey: grant.idempotencyKey,
            eventID: eventID,
            memberID: memberID,
            attendanceDate: date.description,
            kind: grant.kind.name,
            bonusRuleID: ruleID,
            rewardType: reward.type,
            pointAmount: reward.pointAmount,
            couponGroupID: reward.couponGroupID,
            attendanceLogID: attendanceLogID,
            createdAt: createdAt
        )
    }

    /// The one place the command's JSON is written: at check-in time from the grant, and again by settlement when
    /// it re-publishes a parked command from the reward log.
    public static func payload(
        idempotencyKey: String,
        eventID: Int64,
        memberID: Int64,
        attendanceDate: String,
        kind: String,
        bonusRuleID: String?,
        rewardType: String,
        pointAmount: Int64?,
        couponGroupID: String?,
        attendanceLogID: Int64,
        createdAt: Timestamp
    ) -> [UInt8] {
        var json = JSONText()
        json.beginObject()
        json.field("schema_version", schemaVersion)
        json.field("idempotency_key", idempotencyKey)
        json.field("event_id", eventID)
        json.field("member_id", memberID)
        json.field("attendance_date", attendanceDate)
        json.field("kind", kind)
        json.field("bonus_rule_id", bonusRuleID)
        json.key("reward")
        json.beginObject()
        json.field("type", rewardType)
        if let pointAmount { json.field("point_amount", pointAmount) }
        if let couponGroupID { json.field("coupon_group_id", couponGroupID) }
        json.endObject()
        json.field("attendance_log_id", attendanceLogID)
        json.field("created_at", createdAt.description)
        json.endObject()
        return json.utf8
    }

    /// `{event_id}:{member_id}`, as PRODUCT §1 keys every attendance topic.
    public static func key(eventID: Int64, memberID: Int64) -> [UInt8] {
        Array("\(eventID):\(memberID)".utf8)
    }
}
