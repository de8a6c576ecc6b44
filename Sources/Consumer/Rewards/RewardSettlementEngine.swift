import Domain
import Logging
import Projections

/// Settlement of claimed rewards in three steps, each usable on its own so the Kafka intake can overlap them:
/// ``claim(_:lane:stop:)`` the due ones (and reserve budgets) in one transaction, ``attempt(_:)`` the API for each,
/// ``record(_:lane:stop:)`` every attempt and transition in one transaction. ``settle(_:lane:stop:)`` runs the three
/// in sequence for the retry scheduler.
final class RewardSettlementEngine: Sendable {
    private let configuration: RewardSettler.Configuration
    private let client: RewardAPIClient
    private let breakers: RewardCircuitBreakers
    private let statistics: RewardSettlerStatistics
    private let logger: Logger
    private let metrics = RewardMetrics()

    init(
        configuration: RewardSettler.Configuration,
        client: RewardAPIClient,
        breakers: RewardCircuitBreakers,
        statistics: RewardSettlerStatistics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.client = client
        self.breakers = breakers
        self.statistics = statistics
        self.logger = logger
    }

    /// What became of one claimed reward's turn.
    enum Outcome: Sendable {
        case attempted(RewardAttemptRecord)
        /// The API's circuit is open: no call was made; the claim is given back.
        case notAttempted(ClaimedReward, retryAfter: Duration)
    }

    /// Settles `keys` (distinct rewards, any order among them). Returns once every claimed reward's attempt is
    /// durably recorded. Throws `CancellationError` when the task is cancelled mid-flight: nothing of the round is
    /// recorded then, and the claims' leases make those rewards due again (same keys, so nothing pays twice).
    func settle(_ keys: [String], lane: DatabaseLane, stop: StopSignal) async throws {
        let claimed = try await claim(keys, lane: lane, stop: stop)
        guard !claimed.isEmpty else { return }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self, returning: [Outcome].self) { group in
            var outcomes: [Outcome] = []
            outcomes.reserveCapacity(claimed.count)
            var running = 0
            for reward in claimed {
                if running >= configuration.maxInFlight, let outcome = try await group.next() {
                    outcomes.append(outcome)
                    running -= 1
                }
                group.addTask { try await self.attempt(reward) }
                running += 1
            }
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        try await record(outcomes, lane: lane, stop: stop)
    }

    /// Claims the pending, due rewards among `keys` (one transaction): each gets a lease and its attempt counted;
    /// budget shares are reserved, and rewards the budget refuses are settled as BUDGET_EXCEEDED. Returns the
    /// rewards to call the API for; keys not among them need nothing from this settler.
    func claim(_ keys: [String], lane: DatabaseLane, stop: StopSignal) async throws -> [ClaimedReward] {
        guard !keys.isEmpty else { return [] }
        let lease = configuration.lease
        let topics = configuration.topics
        let (claimed, refused) = try await lane.retrying("claim", stop: stop, statistics: statistics, logger: logger) {
            try RewardStore.claim(keys: keys, lease: lease, topics: topics, on: $0)
        }
        if refused > 0 {
            statistics.update { $0.budgetRefused += refused }
            metrics.recordRound(succeeded: 0, failed: 0, retried: 0, parked: 0, budgetRefused: refused)
        }
        return claimed
    }

    /// Records finished turns in one transaction: attempts with their transitions, and claims given back.
    func record(_ outcomes: [Outcome], lane: DatabaseLane, stop: StopSignal) async throws {
        guard !outcomes.isEmpty else { return }
        var attempts: [RewardAttemptRecord] = []
        var released: [ClaimedReward] = []
        var releaseDelay: Duration = .zero
        for outcome in outcomes {
            switch outcome {
            case .attempted(let record): attempts.append(record)
            case .notAttempted(let reward, let after):
                released.append(reward)
                releaseDelay = max(releaseDelay, after)
            }
        }
        let delay = releaseDelay
        let toRelease = released
        let toRecord = attempts
        let topics = configuration.topics
        let summary = try await lane.retrying("record", stop: stop, statistics: statistics, logger: logger) { db in
            try RewardStore.release(toRelease, delay: delay, on: db)
            return try RewardStore.record(toRecord, topics: topics, on: db)
        }
        metrics.recordRound(
            succeeded: summary.succeeded,
            failed: summary.failed,
            retried: summary.retried,
            parked: summary.parked,
            budgetRefused: 0
        )
        statistics.update {
            $0.attempts += attempts.count
            $0.circuitRejected += released.count
            $0.succeeded += summary.succeeded
            $0.failed += summary.failed
            $0.retried += summary.retried
            $0.parked += summary.parked
            $0.stale += summary.stale
        }
    }

    /// One call for `reward`, unless its API's circuit is open. Throws only `CancellationError`.
    func attempt(_ reward: ClaimedReward) async throws -> Outcome {
        let api = RewardAPIClient.api(for: reward)
        if case .reject(let retryAfter) = breakers.acquire(api) {
            return .notAttempted(reward, retryAfter: retryAfter)
        }
        let startedAt = Timestamp.now()
        let clock = ContinuousClock()
        let start = clock.now
        let answer = try await client.pay(reward)
        let latency = clock.now - start
        metrics.recordCall(api, latency: latency, result: answer.result)
        switch answer.result {
        case .paid, .rejected: breakers.record(api, success: true)
        case .retryable, .unknown: breakers.record(api, success: false)
        }
        var lifecycle = reward.lifecycle
        let transition = lifecycle.record(answer.result, policy: configuration.retry, jitter: Double.random(in: 0...1))
        return .attempted(
            RewardAttemptRecord(
                reward: reward,
                startedAt: startedAt,
                latency: latency,
                httpStatus: answer.httpStatus,
                result: answer.result,
                transition: transition
            )
        )
    }
}
