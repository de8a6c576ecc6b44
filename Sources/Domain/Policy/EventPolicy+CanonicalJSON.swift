import Foundation

extension EventPolicy {
    /// The policy as stable JSON: keys sorted, no whitespace, every field written (absent limits as
    /// `null`, no daily reward as `{"type":"NONE"}`, `repeat` always spelled out), instants in UTC
    /// (``Timestamp/description``).
    ///
    /// Two files that mean the same policy produce the same bytes, so applying an unchanged file
    /// creates no new version; `decode(json: canonicalJSON()) == self`.
    public func canonicalJSON() -> Data {
        var json = JSONText()
        json.beginObject()
        json.key("bonus_rules")
        json.beginArray()
        for rule in bonusRules {
            json.beginObject()
            json.field("count", rule.count)
            json.field("id", rule.id)
            json.field("repeat", rule.repeats)
            json.key("reward")
            Self.write(rule.reward, to: &json)
            json.field("trigger", rule.trigger.rawValue)
            json.endObject()
        }
        json.endArray()
        // Budgets are written only when set, so a policy without them keeps the bytes (and checksum) it had
        // before budgets existed: re-applying an unchanged file still creates no new version.
        if let couponBudget {
            json.field("coupon_budget", couponBudget)
        }
        json.key("daily_reward")
        Self.write(dailyReward, to: &json)
        json.field("ends_at", endsAt.description)
        json.field("id", id)
        json.field("max_attendance_days", maxAttendanceDays)
        json.field("max_participants", maxParticipants)
        json.field("name", name)
        if let pointBudget {
            json.field("point_budget", pointBudget)
        }
        json.field("starts_at", startsAt.description)
        json.field("status", status.rawValue)
        json.field("timezone", timeZoneIdentifier)
        json.endObject()
        return Data(json.utf8)
    }

    /// Keys in sorted order: `coupon_group_id` < `point_amount` < `type`.
    private static func write(_ reward: RewardSpec, to json: inout JSONText) {
        json.beginObject()
        switch reward {
        case .point(let amount):
            json.field("point_amount", amount)
        case .coupon(let groupID):
            json.field("coupon_group_id", groupID)
        case .none:
            break
        }
        json.field("type", reward.typeName)
        json.endObject()
    }
}
