/// The settlement state machine of one reward, without I/O: given what an attempt returned, the transition to
/// make. ``RewardStore`` turns transitions into guarded UPDATEs (and outbox messages) in one transaction.
public struct RewardLifecycle: Sendable, Hashable {
    public private(set) var status: RewardStatus
    /// Attempts made, including the one just finished (a claim counts it before the call).
    public private(set) var attempts: Int
    /// `attempts` when an operator last re-drove the reward; the park limit counts from here.
    public private(set) var attemptsAtRedrive: Int

    public init(status: RewardStatus, attempts: Int, attemptsAtRedrive: Int = 0) {
        self.status = status
        self.attempts = attempts
        self.attemptsAtRedrive = attemptsAtRedrive
    }

    public enum Transition: Sendable, Hashable {
        /// → SUCCEEDED; publish a settlement.
        case succeed(transactionID: String)
        /// → FAILED; release the budget share; publish a settlement.
        case fail(reason: String)
        /// Stay PENDING, due again after `delay` (same idempotency key).
        case retry(after: Duration, reason: String)
        /// → PARKED; keep the budget share (an unknown outcome may have paid); publish a settlement and the DLQ copy.
        case park(reason: String)
        /// → BUDGET_EXCEEDED before any call; publish a settlement.
        case refuse(reason: String)
        /// Nothing to do: the reward is not pending (a late answer for a reward already settled).
        case ignore
    }

    /// The transition after an attempt returned `result`. `jitter` in 0...1 (random in production).
    public mutating func record(_ result: RewardCallResult, policy: RewardRetryPolicy, jitter: Double) -> Transition {
        guard status == .pending else { return .ignore }
        switch result {
        case .paid(let transactionID):
            status = .succeeded
            return .succeed(transactionID: transactionID)
        case .rejected(let reason):
            status = .failed
            return .fail(reason: reason)
        case .retryable(let reason, let retryAfter):
            return retryOrPark(reason: reason, retryAfter: retryAfter, policy: policy, jitter: jitter)
        case .unknown(let reason):
            return retryOrPark(reason: "outcome unknown: " + reason, retryAfter: nil, policy: policy, jitter: jitter)
        }
    }

    /// The event's budget cannot cover the reward: it is refused before any call.
    public mutating func refuseForBudget(_ reason: String) -> Transition {
        guard status == .pending else { return .ignore }
        status = .budgetExceeded
        return .refuse(reason: reason)
    }

    /// An operator's re-drive: a parked reward becomes pending with a fresh allowance of attempts. Anything else
    /// is left alone (so re-driving twice changes nothing).
    public mutating func redrive() -> Bool {
        guard status == .parked else { return false }
        status = .pending
        attemptsAtRedrive = attempts
        return true
    }

    private mutating func retryOrPark(
        reason: String,
        retryAfter: Duration?,
        policy: RewardRetryPolicy,
        jitter: Double
    ) -> Transition {
        let used = attempts - attemptsAtRedrive
        if used >= policy.maxAttempts {
            status = .parked
            return .park(reason: "gave up after \(used) attempts: \(reason)")
        }
        return .retry(after: policy.delay(afterAttempt: used, jitter: jitter, retryAfter: retryAfter), reason: reason)
    }
}
