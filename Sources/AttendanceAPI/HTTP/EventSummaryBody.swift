import Domain
import Projections

/// The event summary (PRODUCT §9) as JSON and as one CSV table for spreadsheets and settlement.
struct EventSummaryBody: Encodable, Sendable {
    struct Event: Encodable, Sendable {
        let id: Int64
        let name: String
        let status: String
        let timezone: String
        let starts_at: String
        let ends_at: String
        let policy_version: Int
    }

    struct Participants: Encodable, Sendable {
        let count: Int64
        let cap: Int?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(count, forKey: .count)
            try container.encode(cap, forKey: .cap)
        }

        enum CodingKeys: String, CodingKey { case count, cap }
    }

    struct Day: Encodable, Sendable {
        let date: String
        let successes: Int64
        let new_participants: Int64
        let failures: [String: Int64]
    }

    struct RewardGroup: Encodable, Sendable {
        let kind: String
        let type: String
        let status: String
        let count: Int64
        let point_sum: Int64
    }

    struct Budget: Encodable, Sendable {
        let reserved: Int64
        let cap: Int64?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(reserved, forKey: .reserved)
            try container.encode(cap, forKey: .cap)
        }

        enum CodingKeys: String, CodingKey { case reserved, cap }
    }

    struct Budgets: Encodable, Sendable {
        let points: Budget
        let coupons: Budget
    }

    let event: Event
    let from: String
    let to: String
    let participants: Participants
    let days: [Day]
    let fail_reasons: [String: Int64]
    let rewards: [RewardGroup]
    let budget: Budgets

    init(policy: VersionedPolicy, from: AttendanceDate, to: AttendanceDate, record: EventSummaryRecord) {
        let p = policy.policy
        event = Event(
            id: p.id,
            name: p.name,
            status: p.status.rawValue,
            timezone: p.timeZoneIdentifier,
            starts_at: p.startsAt.description,
            ends_at: p.endsAt.description,
            policy_version: policy.version
        )
        self.from = from.description
        self.to = to.description
        participants = Participants(count: record.participants, cap: p.maxParticipants)
        days = record.days.map {
            Day(
                date: $0.date.description,
                successes: $0.successes,
                new_participants: $0.newParticipants,
                failures: $0.failures
            )
        }
        var reasons: [String: Int64] = [:]
        for day in record.days {
            for (reason, count) in day.failures { reasons[reason, default: 0] += count }
        }
        fail_reasons = reasons
        rewards = record.rewards.map {
            RewardGroup(kind: $0.kind, type: $0.type, status: $0.status, count: $0.count, point_sum: $0.pointSum)
        }
        budget = Budgets(
            points: Budget(reserved: record.pointsReserved, cap: p.pointBudget),
            coupons: Budget(reserved: record.couponsReserved, cap: p.couponBudget)
        )
    }

    /// One table, one record per line: `record` says what a line counts.
    ///
    ///     record,attendance_date,reward_kind,reward_type,outcome,count,point_sum,cap
    ///     day,2026-12-01,,,CHECK_IN,812,,
    ///     day,2026-12-01,,,NEW_PARTICIPANT,40,,
    ///     day,2026-12-01,,,ALREADY_CHECKED_IN,12,,
    ///     reward,,DAILY,POINT,SUCCEEDED,800,8000,
    ///     participants,,,,,1234,,100000
    ///     budget,,,POINT,RESERVED,,8000,50000
    var csv: String {
        var lines = ["record,attendance_date,reward_kind,reward_type,outcome,count,point_sum,cap"]
        for day in days {
            lines.append("day,\(day.date),,,CHECK_IN,\(day.successes),,")
            lines.append("day,\(day.date),,,NEW_PARTICIPANT,\(day.new_participants),,")
            for (reason, count) in day.failures.sorted(by: { $0.key < $1.key }) {
                lines.append("day,\(day.date),,,\(reason),\(count),,")
            }
        }
        for group in rewards {
            lines.append("reward,,\(group.kind),\(group.type),\(group.status),\(group.count),\(group.point_sum),")
        }
        lines.append("participants,,,,,\(participants.count),,\(participants.cap.map(String.init) ?? "")")
        lines.append("budget,,,POINT,RESERVED,,\(budget.points.reserved),\(budget.points.cap.map(String.init) ?? "")")
        lines.append(
            "budget,,,COUPON,RESERVED,\(budget.coupons.reserved),,\(budget.coupons.cap.map(String.init) ?? "")"
        )
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
