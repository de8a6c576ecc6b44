import Foundation
import Testing

@testable import Domain

/// What the member-facing read shows as of now: the streak is alive only while its last success is today or
/// yesterday *in the policy timezone*, and the milestones ahead follow the rules (PRODUCT §2, §9).
@Suite(.timeLimit(.minutes(1)))
struct AttendanceStandingTests {
    static func policy(
        timezone: String = "Asia/Seoul",
        endsAt: String = "2027-01-01T00:00:00+09:00",
        status: String = "ACTIVE",
        maxDays: Int? = nil,
        rules: String = """
        [{"id": "streak3", "trigger": "STREAK", "count": 3, "repeat": true,
          "reward": {"type": "COUPON", "coupon_group_id": "CG-3"}},
         {"id": "total5", "trigger": "TOTAL", "count": 5, "repeat": false,
          "reward": {"type": "POINT", "point_amount": 500}}]
        """
    ) throws -> EventPolicy {
        let limit = maxDays.map { #", "max_attendance_days": \#($0)"# } ?? ""
        return try EventPolicy.decode(
            json: Data(
                """
                {"id": 1, "name": "n", "status": "\(status)", "starts_at": "2026-01-01T00:00:00+09:00",
                 "ends_at": "\(endsAt)", "timezone": "\(timezone)", "daily_reward": {"type": "NONE"},
                 "bonus_rules": \(rules)\(limit)}
                """.utf8
            )
        )
    }

    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }
    static func day(_ text: String) -> AttendanceDate { AttendanceDate(iso: text)! }

    /// (last success day, its streak, now) → current streak, checked in today.
    @Test(
        "the streak as of now in the policy timezone",
        arguments: [
            ("2026-12-03", 4, "2026-12-03T10:00:00+09:00", 4, true),  // today
            ("2026-12-02", 4, "2026-12-03T23:59:59+09:00", 4, false),  // yesterday, last second of today
            ("2026-12-02", 4, "2026-12-04T00:00:00+09:00", 0, false),  // midnight in Seoul: broken
            ("2026-12-02", 4, "2026-12-03T14:59:59Z", 4, false),  // 23:59:59 in Seoul, written in UTC
            ("2026-12-02", 4, "2026-12-03T15:00:00Z", 0, false),  // 00:00 in Seoul, still the 3rd in UTC
            ("2026-11-30", 9, "2026-12-03T09:00:00+09:00", 0, false),  // long gone
        ]
    )
    func currentStreak(last: String, streak: Int, now: String, current: Int, today: Bool) throws {
        let standing = AttendanceStanding(
            policy: try Self.policy(),
            latest: AttendanceSnapshot(date: Self.day(last), total: 10, streak: streak),
            now: Self.at(now)
        )
        #expect(standing.currentStreak == current)
        #expect(standing.checkedInToday == today)
        #expect(standing.total == 10)
    }

    @Test("days follow daylight saving time where the policy has it")
    func daylightSaving() throws {
        // New York left DST on 2026-11-01: 2026-11-02 00:30 local is 05:30Z (it would be 04:30Z in summer time).
        let policy = try Self.policy(timezone: "America/New_York", endsAt: "2027-01-01T00:00:00Z")
        let standing = AttendanceStanding(
            policy: policy,
            latest: AttendanceSnapshot(date: Self.day("2026-11-01"), total: 2, streak: 2),
            now: Self.at("2026-11-02T05:30:00Z")
        )
        #expect(standing.today == Self.day("2026-11-02"))
        #expect(standing.currentStreak == 2)
        let dayAfter = AttendanceStanding(policy: policy, latest: standing.latest, now: Self.at("2026-11-03T05:00:00Z"))
        #expect(dayAfter.today == Self.day("2026-11-03"))
        #expect(dayAfter.currentStreak == 0)
    }

    @Test("a member with no success yet")
    func newcomer() throws {
        let standing = AttendanceStanding(
            policy: try Self.policy(),
            latest: nil,
            now: Self.at("2026-12-03T10:00:00+09:00")
        )
        #expect(standing.total == 0)
        #expect(standing.currentStreak == 0)
        #expect(!standing.checkedInToday)
        #expect(standing.canCheckIn)
        #expect(standing.nextMilestones.map(\.ruleID) == ["streak3", "total5"])
        #expect(standing.nextMilestones.map(\.successesNeeded) == [3, 5])
    }

    @Test("milestones: repeating rules come round again, one-off rules once, nearest first")
    func milestones() throws {
        let now = Self.at("2026-12-03T10:00:00+09:00")
        // Streak 3 today (streak3 just fired; it repeats at 6), total 5 (total5 fired once and never again).
        let standing = AttendanceStanding(
            policy: try Self.policy(),
            latest: AttendanceSnapshot(date: Self.day("2026-12-03"), total: 5, streak: 3),
            now: now
        )
        #expect(standing.nextMilestones.count == 1)
        #expect(standing.nextMilestones.first?.ruleID == "streak3")
        #expect(standing.nextMilestones.first?.at == 6)
        #expect(standing.nextMilestones.first?.successesNeeded == 3)
        #expect(standing.nextMilestones.first?.reward == .coupon(groupID: "CG-3"))
        #expect(!standing.canCheckIn)
    }

    @Test("milestones the event's end or the attendance limit puts out of reach are not shown")
    func unreachable() throws {
        // Two days left (the 30th and the 31st): a streak of 3 cannot be reached, a total of 5 from 4 can.
        let nearEnd = try Self.policy(endsAt: "2027-01-01T00:00:00+09:00")
        let standing = AttendanceStanding(
            policy: nearEnd,
            latest: AttendanceSnapshot(date: Self.day("2026-12-28"), total: 4, streak: 1),
            now: Self.at("2026-12-30T08:00:00+09:00")
        )
        #expect(standing.nextMilestones.map(\.ruleID) == ["total5"])
        // A limit of 4 attendance days reached: nothing more can be earned, and no check-in is possible.
        let limited = AttendanceStanding(
            policy: try Self.policy(maxDays: 4),
            latest: AttendanceSnapshot(date: Self.day("2026-12-01"), total: 4, streak: 1),
            now: Self.at("2026-12-03T08:00:00+09:00")
        )
        #expect(limited.nextMilestones.isEmpty)
        #expect(!limited.canCheckIn)
        // A paused event cannot be checked into, but its milestones are still ahead.
        let paused = AttendanceStanding(
            policy: try Self.policy(status: "PAUSED"),
            latest: nil,
            now: Self.at("2026-12-03T08:00:00+09:00")
        )
        #expect(!paused.canCheckIn)
        #expect(paused.nextMilestones.count == 2)
    }

    @Test("leap day: Feb 29 and Mar 1 are consecutive days")
    func leapDay() throws {
        let policy = try Self.policy(endsAt: "2029-01-01T00:00:00+09:00")
        let standing = AttendanceStanding(
            policy: policy,
            latest: AttendanceSnapshot(date: Self.day("2028-02-29"), total: 2, streak: 2),
            now: Self.at("2028-03-01T12:00:00+09:00")
        )
        #expect(standing.currentStreak == 2)
    }
}

extension AttendanceStanding {
    /// The snapshot a test built it from, for chaining (only what the tests need).
    fileprivate var latest: AttendanceSnapshot? {
        total == 0
            ? nil
            : AttendanceSnapshot(date: today.adding(days: checkedInToday ? 0 : -1), total: total, streak: currentStreak)
    }
}
