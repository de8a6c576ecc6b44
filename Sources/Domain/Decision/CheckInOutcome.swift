/// The result of one request: a success with its counters and rewards, or a failure.
public enum CheckInOutcome: Hashable, Sendable {
    case checkedIn(AttendanceSnapshot, rewards: [RewardGrant])
    /// `detail` explains the reason for people reading logs; it is not part of the contract.
    case failed(FailReason, detail: String?)

    public var failReason: FailReason? {
        if case .failed(let reason, _) = self { return reason }
        return nil
    }
}
