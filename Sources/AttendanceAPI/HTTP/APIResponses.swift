import Domain
import Projections

// The JSON bodies of the API, exactly as `Resources/openapi.yaml` describes them (snake_case keys, nulls
// written out where the document says `null` is allowed).
//
// The outcome and member-attendance bodies are the hot reads, written with `JSONText` (the writer of the published
// messages): `JSONEncoder` took over a third of the server's CPU on member reads, through its generic boxing of
// every field. The rarer bodies (summary, pending, problems) use `Codable`.

protocol JSONBody: Sendable {
    func write(to json: inout JSONText)
}

extension JSONBody {
    var jsonBytes: [UInt8] {
        var json = JSONText(reservingCapacity: 2_048)
        write(to: &json)
        return json.utf8
    }
}

struct RewardBody: JSONBody {
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

    func write(to json: inout JSONText) {
        json.beginObject()
        json.field("type", type)
        json.field("point_amount", point_amount)
        json.field("coupon_group_id", coupon_group_id)
        json.endObject()
    }
}

struct EarnedRewardBody: JSONBody {
    let record: RewardRecord

    func write(to json: inout JSONText) {
        json.beginObject()
        json.field("idempotency_key", record.idempotencyKey)
        json.field("attendance_date", record.attendanceDate.description)
        json.field("kind", record.kind)
        json.field("bonus_rule_id", record.bonusRuleID)
        json.field("type", record.type)
        json.field("point_amount", record.pointAmount)
        json.field("coupon_group_id", record.couponGroupID)
        json.field("status", record.status)
        json.field("attempts", record.attempts)
        json.field("transaction_id", record.transactionID)
        json.field("last_error", record.lastError)
        json.field("settled_at", record.settledAt?.description)
        json.endObject()
    }
}

struct CheckInOutcomeBody: JSONBody {
    let record: CheckInOutcomeRecord

    func write(to json: inout JSONText) {
        json.beginObject()
        json.field("event_id", record.eventID)
        json.field("member_id", record.memberID)
        json.field("request_id", record.requestID)
        json.field("status", record.status)
        json.field("fail_reason", record.failReason)
        json.field("attendance_date", record.attendanceDate?.description)
        json.field("total_attendance_count", record.total)
        json.field("streak_attendance_count", record.streak)
        json.field("policy_version", record.policyVersion)
        json.field("requested_at", record.requestedAt?.description)
        json.field("channel", record.channel)
        json.field("processed_at", record.processedAt.description)
        json.key("rewards")
        json.beginArray()
        for reward in record.rewards { EarnedRewardBody(record: reward).write(to: &json) }
        json.endArray()
        json.endObject()
    }
}

struct PendingCheckInBody: Encodable, Sendable {
    let event_id: Int64
    let request_id: String
    let status = "PENDING"
    let location: String
}

struct MemberAttendanceBody: JSONBody {
    struct Day: Sendable {
        let date: String
        let total_attendance_count: Int
        let streak_attendance_count: Int
    }

    struct Milestone: Sendable {
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

    func write(to json: inout JSONText) {
        json.beginObject()
        json.field("event_id", event_id)
        json.field("member_id", member_id)
        json.field("timezone", timezone)
        json.field("today", today)
        json.key("days")
        json.beginArray()
        for day in days {
            json.beginObject()
            json.field("date", day.date)
            json.field("total_attendance_count", day.total_attendance_count)
            json.field("streak_attendance_count", day.streak_attendance_count)
            json.endObject()
        }
        json.endArray()
        json.field("total_attendance_count", total_attendance_count)
        json.field("current_streak", current_streak)
        json.key("checked_in_today")
        json.value(checked_in_today)
        json.key("can_check_in")
        json.value(can_check_in)
        json.field("max_attendance_days", max_attendance_days)
        json.key("next_milestones")
        json.beginArray()
        for milestone in next_milestones {
            json.beginObject()
            json.field("rule_id", milestone.rule_id)
            json.field("trigger", milestone.trigger)
            json.field("at", milestone.at)
            json.field("successes_needed", milestone.successes_needed)
            json.key("repeat")
            json.value(milestone.repeat)
            json.key("reward")
            milestone.reward.write(to: &json)
            json.endObject()
        }
        json.endArray()
        json.key("rewards")
        json.beginArray()
        for reward in rewards { reward.write(to: &json) }
        json.endArray()
        json.endObject()
    }
}
