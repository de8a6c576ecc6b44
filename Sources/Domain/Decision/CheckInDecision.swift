/// A decided request, ready to be written as a log row (and, on success, a history row).
public struct CheckInDecision: Hashable, Sendable {
    public let outcome: CheckInOutcome
    /// The request's day in the event's time zone; `nil` when there is no event or no usable `requested_at`.
    public let attendanceDate: AttendanceDate?

    public init(outcome: CheckInOutcome, attendanceDate: AttendanceDate?) {
        self.outcome = outcome
        self.attendanceDate = attendanceDate
    }
}
