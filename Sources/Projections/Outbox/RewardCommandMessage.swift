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
        var json = JSONText()
        json.beginObject()
        json.field("schema_version", schemaVersion)
        json.field("idempotency_key", grant.idempotencyKey)
        json.field("event_id", eventID)
        json.field("member_id", memberID)
        json.field("attendance_date", date.description)
        json.field("kind", grant.kind.name)
        if case .bonus(let ruleID) = grant.kind {
            json.field("bonus_rule_id", ruleID)
        } else {
            json.field("bonus_rule_id", nil as String?)
        }
        json.key("reward")
        json.beginObject()
        switch grant.reward {
        case .point(let amount):
            json.field("type", "POINT")
            json.field("point_amount", amount)
        case .coupon(let groupID):
            json.field("type", "COUPON")
            json.field("coupon_group_id", groupID)
        case .none:
            json.field("type", "NONE")
        }
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
