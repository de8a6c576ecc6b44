/// A member's attendance in an event as of one moment, as the read side shows it (PRODUCT §9): the day it is
/// in the policy timezone, total, the streak that is still alive, whether today is done, and the bonus
/// milestones ahead.
///
/// The history row keeps the streak *at the moment of each success*; a streak is only current while the member
/// can still extend it: its last success is today or yesterday. Anything older is broken, so the current streak
/// is 0 (and the next success starts again at 1).
public struct AttendanceStanding: Hashable, Sendable {
    /// Today in the policy timezone.
    public let today: AttendanceDate
    public let total: Int
    /// The streak as of `today`: the last success's streak if it was today or yesterday, else 0.
    public let currentStreak: Int
    public let checkedInToday: Bool
    /// Whether another success is possible at all: the event is active, not over, and the member is under
    /// `max_attendance_days`.
    public let canCheckIn: Bool
    /// The next firing of each bonus rule that can still be reached, nearest first.
    public let nextMilestones: [Milestone]

    /// The next time a bonus rule fires for this member.
    public struct Milestone: Hashable, Sendable {
        public let ruleID: String
        public let trigger: BonusTrigger
        /// The total (or streak) at which it fires.
        public let at: Int
        /// Successes still needed (consecutive days for a streak rule), counting today's if not yet done.
        public let successesNeeded: Int
        public let reward: RewardSpec
        public let repeats: Bool
    }

    public init(policy: EventPolicy, latest: AttendanceSnapshot?, now: Timestamp) {
        let today = policy.attendanceDate(of: now)
        self.today = today
        let total = latest?.total ?? 0
        let alive = latest.map { $0.date >= today.adding(days: -1) } ?? false
        let currentStreak = alive ? (latest?.streak ?? 0) : 0
        let checkedInToday = latest?.date == today
        self.total = total
        self.currentStreak = currentStreak
        self.checkedInToday = checkedInToday
        let lastDay = policy.attendanceDate(of: policy.endsAt.adding(seconds: -1))
        let remainingDays = max(0, lastDay.daysSinceEpoch - today.daysSinceEpoch + (checkedInToday ? 0 : 1))
        let remainingSuccesses = min(remainingDays, policy.maxAttendanceDays.map { max(0, $0 - total) } ?? .max)
        self.canCheckIn =
            policy.status == .active && now < policy.endsAt && !checkedInToday
            && (policy.maxAttendanceDays.map { total < $0 } ?? true)
        var milestones: [Milestone] = []
        for rule in policy.bonusRules where rule.count > 0 && rule.reward != .none {
            let value = rule.trigger == .streak ? currentStreak : total
            let target: Int
            if value < rule.count {
                target = rule.count
            } else if rule.repeats {
                target = (value / rule.count + 1) * rule.count
            } else {
                continue
            }
            let needed = target - value
            // A streak must be built from consecutive days the event still has; a total from successes the limit allows.
            guard policy.status != .ended, needed <= remainingSuccesses else { continue }
            milestones.append(
                Milestone(
                    ruleID: rule.id,
                    trigger: rule.trigger,
                    at: target,
                    successesNeeded: needed,
                    reward: rule.reward,
                    repeats: rule.repeats
                )
            )
        }
        self.nextMilestones = milestones.sorted { ($0.successesNeeded, $0.ruleID) < ($1.successesNeeded, $1.ruleID) }
    }
}
