import Domain
import Projections

// The JSON bodies of the API, exactly as `Resources/openapi.yaml` describes them (snake_case keys, nulls
// written out where the document says `null` is allowed).

struct RewardBody: Encodable, Sendable {
    let type: String
    let point_amount: Int64?
    let coupon_group_id: String?

    init(_ spec: RewardSpec) {
        switch spec {
        case .point(let amount): (type, point_amount, coupon_group_id) = ("POINT", amount, nil)
        case .coupon(let group): (type, point_amount, coupon_group_id) = ("COUPON", nil, group)
        case .none: (type, point_amount, coupon_group_id) = ("NONE", nil, nil)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(point_amount, forKey: .point_amount)
        try container.encode(coupon_group_id, forKey: .coupon_group_id)
    }

    enum CodingKeys: String, CodingKey { case type, point_amount, coupon_group_id }
}

struct EarnedRewardBody: Encodable, Sendable {
    let record: RewardRecord

    enum CodingKeys: String, CodingKey {
        case idempotency_key, attendance_date, kind, bonus_rule_id, type, point_amount, coupon_group_id, status
        case attempts, transaction_id, last_error, settled_at
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.idempotencyKey, forKey: .idempotency_key)
        try container.encode(record.attendanceDate.description, forKey: .attendance_date)
        try container.encode(record.kind, forKey: .kind)
        try container.encode(record.bonusRuleID, forKey: .bonus_rule_id)
        try container.encode(record.type, forKey: .type)
        try container.encode(record.pointAmount, forKey: .point_amount)
        try container.encode(record.couponGroupID, forKey: .coupon_group_id)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.attempts, forKey: .attempts)
        try container.encode(record.transactionID, forKey: .transaction_id)
        try container.encode(record.lastError, forKey: .last_error)
        try container.encode(record.settledAt?.description, forKey: .settled_at)
    }
}

struct CheckInOutcomeBody: Encodable, Sendable {
    let record: CheckInOutcomeRecord

    enum CodingKeys: String, CodingKey {
        case event_id, member_id, request_id, status, fail_reason, attendance_date, total_attendance_count
        case streak_attendance_count, policy_version, requested_at, channel, processed_at, rewards
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.eventID, forKey: .event_id)
        try container.encode(record.memberID, forKey: .member_id)
        try container.encode(record.requestID, forKey: .request_id)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.failReason, forKey: .fail_reason)
        try container.encode(record.attendanceDate?.description, forKey: .attendance_date)
        try container.encode(record.total, forKey: .total_attendance_count)
        try container.encode(record.streak, forKey: .streak_attendance_count)
        try container.encode(record.policyVersion, forKey: .policy_version)
        try container.encode(record.requestedAt?.description, forKey: .requested_at)
        try container.encode(record.channel, forKey: .channel)
        try container.encode(record.processedAt.description, forKey: .processed_at)
        try container.encode(record.rewards.map(EarnedRewardBody.init), forKey: .rewards)
    }
}

struct PendingCheckInBody: Encodable, Sendable {
    let event_id: Int64
    let request_id: String
    let status = "PENDING"
    let location: String
}

struct MemberAttendanceBody: Encodable, Sendable {
    struct Day: Encodable, Sendable {
        let date: String
        let total_attendance_count: Int
        let streak_attendance_count: Int
    }

    struct Milestone: Encodable, Sendable {
        let rule_id: String
        let trigger: String
        let at: Int
        let successes_needed: Int
        let `repeat`: Bool
        let reward: RewardBody
    }

    let event_id: Int64
    let member_id: Int64
    let timezone: String
    let today: String
    let days: [Day]
    let total_attendance_count: Int
    let current_streak: Int
    let checked_in_today: Bool
    let can_check_in: Bool
    let max_attendance_days: Int?
    let next_milestones: [Milestone]
    let rewards: [EarnedRewardBody]

    init(policy: EventPolicy, memberID: Int64, record: MemberAttendanceRecord, now: Timestamp) {
        let standing = AttendanceStanding(policy: policy, latest: record.latest, now: now)
        event_id = policy.id
        member_id = memberID
        timezone = policy.timeZoneIdentifier
        today = standing.today.description
        days = record.days.map {
            Day(date: $0.date.description, total_attendance_count: $0.total, streak_attendance_count: $0.streak)
        }
        total_attendance_count = standing.total
        current_streak = standing.currentStreak
        checked_in_today = standing.checkedInToday
        can_check_in = standing.canCheckIn
        max_attendance_days = policy.maxAttendanceDays
        next_milestones = standing.nextMilestones.map {
            Milestone(
                rule_id: $0.ruleID,
                trigger: $0.trigger.rawValue,
                at: $0.at,
                successes_needed: $0.successesNeeded,
                repeat: $0.repeats,
                reward: RewardBody($0.reward)
            )
        }
        rewards = record.rewards.map(EarnedRewardBody.init)
    }

    enum CodingKeys: String, CodingKey {
        case event_id, member_id, timezone, today, days, total_attendance_count, current_streak, checked_in_today
        case can_check_in, max_attendance_days, next_milestones, rewards
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event_id, forKey: .event_id)
        try container.encode(member_id, forKey: .member_id)
        try container.encode(timezone, forKey: .timezone)
        try container.encode(today, forKey: .today)
        try container.encode(days, forKey: .days)
        try container.encode(total_attendance_count, forKey: .total_attendance_count)
        try container.encode(current_streak, forKey: .current_streak)
        try container.encode(checked_in_today, forKey: .checked_in_today)
        try container.encode(can_check_in, forKey: .can_check_in)
        try container.encode(max_attendance_days, forKey: .max_attendance_days)
        try container.encode(next_milestones, forKey: .next_milestones)
        try container.encode(rewards, forKey: .rewards)
    }
}
