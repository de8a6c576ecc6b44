import Foundation

@testable import Domain

/// The example policy of PRODUCT §2.
let productExamplePolicyJSON = """
    {"id": 42, "name": "Winter daily check-in", "status": "ACTIVE",
     "starts_at": "2026-12-01T00:00:00+09:00", "ends_at": "2027-01-01T00:00:00+09:00",
     "timezone": "Asia/Seoul", "max_attendance_days": 20, "max_participants": 100000,
     "daily_reward": {"type": "POINT", "point_amount": 10},
     "bonus_rules": [
       {"id": "streak7", "trigger": "STREAK", "count": 7, "repeat": true,
        "reward": {"type": "COUPON", "coupon_group_id": "CG-WINTER-7"}},
       {"id": "total15", "trigger": "TOTAL", "count": 15, "repeat": false,
        "reward": {"type": "POINT", "point_amount": 500}}]}
    """

func timestamp(_ text: String) -> Timestamp {
    guard let timestamp = Timestamp(rfc3339: text) else { fatalError("bad fixture timestamp \(text)") }
    return timestamp
}

func day(_ text: String) -> AttendanceDate {
    guard let date = AttendanceDate(iso: text) else { fatalError("bad fixture date \(text)") }
    return date
}

/// A valid policy with overridable parts; fixture values are known-good, so failures are test bugs.
func makePolicy(
    id: Int64 = 42,
    status: EventStatus = .active,
    startsAt: String = "2026-01-01T00:00:00+09:00",
    endsAt: String = "2028-01-01T00:00:00+09:00",
    timeZone: String = "Asia/Seoul",
    maxAttendanceDays: Int? = nil,
    maxParticipants: Int? = nil,
    dailyReward: RewardSpec = .point(amount: 10),
    bonusRules: [BonusRule] = []
) -> EventPolicy {
    do {
        return try EventPolicy(
            id: id,
            name: "Test event",
            status: status,
            startsAt: timestamp(startsAt),
            endsAt: timestamp(endsAt),
            timeZoneIdentifier: timeZone,
            maxAttendanceDays: maxAttendanceDays,
            maxParticipants: maxParticipants,
            dailyReward: dailyReward,
            bonusRules: bonusRules
        )
    } catch {
        fatalError("fixture policy is invalid: \(error)")
    }
}
