/// A member's counters as of one successful day: what an `event_attendance_history` row holds.
public struct AttendanceSnapshot: Hashable, Sendable {
    public let date: AttendanceDate
    /// Successes in the event up to and including ``date``.
    public let total: Int
    /// Consecutive days ending at ``date``.
    public let streak: Int

    public init(date: AttendanceDate, total: Int, streak: Int) {
        self.date = date
        self.total = total
        self.streak = streak
    }
}
