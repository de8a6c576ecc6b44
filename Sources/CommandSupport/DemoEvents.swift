import Domain
import Foundation

/// Events for the embedded demo and the benchmarks: active now, started `days` days ago at local midnight
/// in Asia/Seoul, with a daily point reward, a repeating 7-day streak coupon and a one-off 5-day total bonus.
package enum DemoEvents {
    package static let timeZone = "Asia/Seoul"
    package static let seoulOffsetSeconds: Int64 = 9 * 3_600

    /// Local midnight (Asia/Seoul, no DST) `days` days before `now`.
    package static func firstDay(daysAgo days: Int, now: Timestamp = .now()) -> Timestamp {
        let localSeconds = now.microsecondsSinceEpoch / 1_000_000 + seoulOffsetSeconds
        let today = localSeconds.floorDivided(by: 86_400)
        return Timestamp(microsecondsSinceEpoch: ((today - Int64(days)) * 86_400 - seoulOffsetSeconds) * 1_000_000)
    }

    package static func policies(ids: [Int64], startingAt start: Timestamp, now: Timestamp = .now()) throws
        -> [EventPolicy]
    {
        let end = now.adding(seconds: 60 * 86_400)
        return try ids.map { id in
            let json = """
                {"id": \(id), "name": "Demo daily check-in \(id)", "status": "ACTIVE",
                 "starts_at": "\(start)", "ends_at": "\(end)", "timezone": "\(timeZone)",
                 "max_attendance_days": 60,
                 "daily_reward": {"type": "POINT", "point_amount": 10},
                 "bonus_rules": [
                   {"id": "streak7", "trigger": "STREAK", "count": 7, "repeat": true,
                    "reward": {"type": "COUPON", "coupon_group_id": "CG-DEMO-7"}},
                   {"id": "total5", "trigger": "TOTAL", "count": 5, "repeat": false,
                    "reward": {"type": "POINT", "point_amount": 500}}]}
                """
            return try EventPolicy.decode(json: Data(json.utf8))
        }
    }
}

extension Int64 {
    package func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
