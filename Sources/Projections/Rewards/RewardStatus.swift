/// Where a reward stands in settlement (the `status` column of `event_attendance_reward_log`).
///
///     PENDING ──► SUCCEEDED | FAILED | BUDGET_EXCEEDED | PARKED
///     PARKED  ──► PENDING   (an operator re-drives it)
public enum RewardStatus: String, Sendable, CaseIterable, Hashable {
    /// Earned and not settled yet: waiting for its first attempt, a retry, or the end of an attempt's lease.
    case pending = "PENDING"
    /// Paid: the API returned a transaction id.
    case succeeded = "SUCCEEDED"
    /// Refused permanently by the API (a 4xx other than 429); never paid.
    case failed = "FAILED"
    /// Refused by the event's point or coupon budget before any call; never paid.
    case budgetExceeded = "BUDGET_EXCEEDED"
    /// Gave up after the configured attempts; waits for an operator (`attendance rewards retry`).
    case parked = "PARKED"

    /// No settler changes it any more (a parked reward changes only by an operator's hand).
    public var isFinal: Bool { self != .pending }

    /// The transitions the settler and the operator commands may make; the store's guarded UPDATEs mirror them.
    public func canMove(to next: RewardStatus) -> Bool {
        switch (self, next) {
        case (.pending, .succeeded), (.pending, .failed), (.pending, .budgetExceeded), (.pending, .parked),
            (.pending, .pending), (.parked, .pending):
            true
        default:
            false
        }
    }
}
