import Consumer
import Projections
import Testing

@Suite("Reward settlement state machines (no I/O)", .timeLimit(.minutes(5)))
struct RewardLifecycleTests {
    let policy = RewardRetryPolicy(maxAttempts: 3, initialBackoff: .seconds(1), maximumBackoff: .seconds(10))

    @Test func paidSucceedsWithTheTransactionID() {
        var lifecycle = RewardLifecycle(status: .pending, attempts: 1)
        #expect(
            lifecycle.record(.paid(transactionID: "tx-1"), policy: policy, jitter: 0) == .succeed(transactionID: "tx-1")
        )
        #expect(lifecycle.status == .succeeded)
        // A late answer for a settled reward changes nothing.
        #expect(lifecycle.record(.rejected(reason: "late"), policy: policy, jitter: 0) == .ignore)
        #expect(lifecycle.status == .succeeded)
    }

    @Test func permanentRefusalFailsWithTheReason() {
        var lifecycle = RewardLifecycle(status: .pending, attempts: 1)
        #expect(
            lifecycle.record(.rejected(reason: "HTTP 403: no"), policy: policy, jitter: 0)
                == .fail(reason: "HTTP 403: no")
        )
        #expect(lifecycle.status == .failed)
    }

    @Test(arguments: [
        RewardCallResult.retryable(reason: "HTTP 503", retryAfter: nil),
        RewardCallResult.unknown(reason: "deadline exceeded"),
    ])
    func transientFailuresRetryThenPark(result: RewardCallResult) {
        var first = RewardLifecycle(status: .pending, attempts: 1)
        guard case .retry(let delay, _) = first.record(result, policy: policy, jitter: 1) else {
            Issue.record("expected a retry")
            return
        }
        #expect(delay == .seconds(1))
        #expect(first.status == .pending)
        var last = RewardLifecycle(status: .pending, attempts: 3)
        guard case .park(let reason) = last.record(result, policy: policy, jitter: 0) else {
            Issue.record("expected parking after maxAttempts")
            return
        }
        #expect(reason.contains("3 attempts"))
        #expect(last.status == .parked)
    }

    @Test func aRedriveGivesAFreshAllowanceOnceAndOnlyToParkedRewards() {
        var lifecycle = RewardLifecycle(status: .parked, attempts: 3)
        let first = lifecycle.redrive()
        #expect(first)
        #expect(lifecycle.status == .pending)
        let second = lifecycle.redrive()
        #expect(!second)  // idempotent: it is pending now
        var next = RewardLifecycle(status: .pending, attempts: 4, attemptsAtRedrive: 3)
        guard case .retry = next.record(.unknown(reason: "timeout"), policy: policy, jitter: 0) else {
            Issue.record("the first attempt after a re-drive must not park")
            return
        }
        var settled = RewardLifecycle(status: .succeeded, attempts: 1)
        let redriven = settled.redrive()
        #expect(!redriven)
    }

    @Test func budgetRefusalIsFinal() {
        var lifecycle = RewardLifecycle(status: .pending, attempts: 0)
        #expect(lifecycle.refuseForBudget("used up") == .refuse(reason: "used up"))
        #expect(lifecycle.status == .budgetExceeded)
        #expect(lifecycle.refuseForBudget("again") == .ignore)
    }

    @Test func statusTransitionsAreGuarded() {
        #expect(RewardStatus.pending.canMove(to: .succeeded))
        #expect(RewardStatus.parked.canMove(to: .pending))
        #expect(!RewardStatus.succeeded.canMove(to: .pending))
        #expect(!RewardStatus.failed.canMove(to: .succeeded))
        #expect(!RewardStatus.parked.canMove(to: .succeeded))
    }

    /// (attempt, jitter, expected delay) with initial 1 s, maximum 10 s: ceiling doubles, jitter picks [c/2, c].
    @Test(arguments: [
        (1, 0.0, Duration.milliseconds(500)), (1, 1.0, .seconds(1)), (2, 1.0, .seconds(2)), (3, 0.5, .seconds(3)),
        (4, 1.0, .seconds(8)), (5, 1.0, .seconds(10)), (40, 1.0, .seconds(10)),
    ])
    func backoffIsExponentialWithJitterAndCapped(attempt: Int, jitter: Double, expected: Duration) {
        #expect(policy.delay(afterAttempt: attempt, jitter: jitter) == expected)
    }

    @Test func retryAfterIsHonouredWhenLonger() {
        #expect(policy.delay(afterAttempt: 1, jitter: 1, retryAfter: .seconds(4)) == .seconds(4))
        #expect(policy.delay(afterAttempt: 1, jitter: 1, retryAfter: .seconds(60)) == .seconds(10))
    }

    @Test func circuitOpensAfterConsecutiveFailuresProbesAndCloses() {
        var breaker = CircuitBreaker(
            configuration: .init(failureThreshold: 3, openDuration: .seconds(5), halfOpenProbes: 1)
        )
        let t0 = ContinuousClock.now
        #expect(breaker.record(success: false, now: t0) == nil)
        #expect(breaker.record(success: true, now: t0) == nil)  // a success resets the count
        #expect(breaker.record(success: false, now: t0) == nil)
        #expect(breaker.record(success: false, now: t0) == nil)
        #expect(breaker.record(success: false, now: t0) == .opened)
        #expect(breaker.acquire(now: t0 + .seconds(1)).0 == .reject(retryAfter: .seconds(4)))
        #expect(breaker.acquire(now: t0 + .seconds(5)) == (.call, .halfOpened))
        #expect(breaker.acquire(now: t0 + .seconds(5)).0 == .reject(retryAfter: .seconds(5)))  // one probe at a time
        #expect(breaker.record(success: false, now: t0 + .seconds(6)) == .opened)
        #expect(breaker.acquire(now: t0 + .seconds(11)) == (.call, .halfOpened))
        #expect(breaker.record(success: true, now: t0 + .seconds(11)) == .closed)
        #expect(breaker.acquire(now: t0 + .seconds(11)).0 == .call)
        #expect(breaker.state == .closed(consecutiveFailures: 0))
    }
}
