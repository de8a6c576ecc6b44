import Foundation

extension EventPolicy {
    /// The policy as stable JSON: keys sorted, no whitespace, every field written (absent limits as
    /// `null`, no daily reward as `{"type":"NONE"}`, `repeat` always spelled out), instants in UTC
    /// (``Timestamp/description``).
    ///
    /// Two files that mean the same policy produce the same bytes, so applying an unchanged file
    /// creates no new version; `decode(json: canonicalJSON()) == self`.
    public func canonicalJSON() -> Data {
        var writer = JSONWriter()
        writer.raw("{")
        writer.key("bonus_rules")
        writer.raw("[")
        for (index, rule) in bonusRules.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.raw("{")
            writer.key("count")
            writer.integer(rule.count)
            writer.raw(",")
            writer.key("id")
            writer.string(rule.id)
            writer.raw(",")
            writer.key("repeat")
            writer.bool(rule.repeats)
            writer.raw(",")
            writer.key("reward")
            Self.write(rule.reward, to: &writer)
            writer.raw(",")
            writer.key("trigger")
            writer.string(rule.trigger.rawValue)
            writer.raw("}")
        }
        writer.raw("],")
        // Budgets are written only when set, so a policy without them keeps the bytes (and checksum) it had
        // before budgets existed: re-applying an unchanged file still creates no new version.
        if let couponBudget {
            writer.key("coupon_budget")
            writer.integer(couponBudget)
            writer.raw(",")
        }
        writer.key("daily_reward")
        Self.write(dailyReward, to: &writer)
        writer.raw(",")
        writer.key("ends_at")
        writer.string(endsAt.description)
        writer.raw(",")
        writer.key("id")
        writer.integer(id)
        writer.raw(",")
        writer.key("max_attendance_days")
        writer.optionalInteger(maxAttendanceDays)
        writer.raw(",")
        writer.key("max_participants")
        writer.optionalInteger(maxParticipants)
        writer.raw(",")
        writer.key("name")
        writer.string(name)
        writer.raw(",")
        if let pointBudget {
            writer.key("point_budget")
            writer.integer(pointBudget)
            writer.raw(",")
        }
        writer.key("starts_at")
        writer.string(startsAt.description)
        writer.raw(",")
        writer.key("status")
        writer.string(status.rawValue)
        writer.raw(",")
        writer.key("timezone")
        writer.string(timeZoneIdentifier)
        writer.raw("}")
        return Data(writer.text.utf8)
    }

    /// Keys in sorted order: `coupon_group_id` < `point_amount` < `type`.
    private static func write(_ reward: RewardSpec, to writer: inout JSONWriter) {
        writer.raw("{")
        switch reward {
        case .point(let amount):
            writer.key("point_amount")
            writer.integer(amount)
            writer.raw(",")
        case .coupon(let groupID):
            writer.key("coupon_group_id")
            writer.string(groupID)
            writer.raw(",")
        case .none:
            break
        }
        writer.key("type")
        writer.string(reward.typeName)
        writer.raw("}")
    }
}
