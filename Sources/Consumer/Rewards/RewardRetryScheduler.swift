import Logging
import Projections

/// Re-drives due rewards from the reward log: retries whose backoff ended, attempts whose lease ran out (their
/// settler died mid-call) and operator re-drives. Any number of settlers may run it: claims skip locked rows.
struct RewardRetryScheduler: Sendable {
    let configuration: RewardSettler.Configuration
    let engine: RewardSettlementEngine
    let statistics: RewardSettlerStatistics
    let stop: StopSignal
    let logger: Logger

    func run() async throws {
        let lane = DatabaseLane.settlement("reward-scheduler", configuration: configuration)
        defer { lane.shutdown() }
        let limit = configuration.schedulerBatch
        let grace = configuration.unclaimedGrace
        while !stop.isStopped, !Task.isCancelled {
            let keys: [String]
            do {
                keys = try await lane.run { try RewardStore.due(limit: limit, grace: grace, on: $0) }
            } catch {
                try Task.checkCancellation()
                statistics.recordError(error)
                logger.error("reward scheduler cannot read due rewards", metadata: ["error": "\(error)"])
                try await sleep(.seconds(1))
                continue
            }
            if keys.isEmpty {
                try await sleep(configuration.schedulerInterval)
                continue
            }
            try await engine.settle(Array(Set(keys)), lane: lane, stop: stop)
        }
    }

    private func sleep(_ duration: Duration) async throws {
        // In short steps so a stop request is honoured promptly.
        let deadline = ContinuousClock.now + duration
        while !stop.isStopped, ContinuousClock.now < deadline {
            try await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
        }
    }
}
