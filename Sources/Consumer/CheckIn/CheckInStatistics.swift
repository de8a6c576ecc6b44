import Domain
import Projections
import Synchronization

/// Running totals of a check-in consumer, read by the live summary, status and benchmarks.
public final class CheckInStatistics: Sendable {
    public struct Snapshot: Sendable {
        public var batches = 0
        public var logged = 0
        public var successes = 0
        public var failures: [FailReason: Int] = [:]
        public var duplicates = 0
        public var deadLettered = 0
        public var rewardsEarned = 0
        public var skippedBelowOffset = 0
        public var retries = 0
        public var lag: [PartitionKey: Int64] = [:]
        public var lastError: String?
        /// Partitions assigned to this consumer (refreshed about every second).
        public var assignedPartitions = 0
        /// When the last batch was committed; nil before the first one.
        public var lastBatchAt: ContinuousClock.Instant?

        public init() {}

        /// Every message the consumer has settled one way or another.
        public var handled: Int { logged + duplicates + deadLettered }

        /// The totals of several consumers of one group (lag per partition: each partition has one owner).
        public static func combined(_ snapshots: [Snapshot]) -> Snapshot {
            var total = Snapshot()
            for snapshot in snapshots {
                total.batches += snapshot.batches
                total.logged += snapshot.logged
                total.successes += snapshot.successes
                for (reason, count) in snapshot.failures { total.failures[reason, default: 0] += count }
                total.duplicates += snapshot.duplicates
                total.deadLettered += snapshot.deadLettered
                total.rewardsEarned += snapshot.rewardsEarned
                total.skippedBelowOffset += snapshot.skippedBelowOffset
                total.retries += snapshot.retries
                total.lag.merge(snapshot.lag) { _, new in new }
                total.lastError = snapshot.lastError ?? total.lastError
                total.assignedPartitions += snapshot.assignedPartitions
                total.lastBatchAt = [total.lastBatchAt, snapshot.lastBatchAt].compactMap { $0 }.max()
            }
            return total
        }
    }

    private let state = Mutex(Snapshot())
    private let metrics = CheckInMetrics()

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    /// A committed batch of `messages`; `duration` is its transaction's time when measured.
    func record(_ result: CheckInBatchResult, messages: Int, duration: Duration?, messageTimestamps: [Int64]) {
        metrics.record(result, messages: messages, duration: duration, messageTimestamps: messageTimestamps)
        state.withLock { totals in
            totals.lastBatchAt = .now
            totals.batches += 1
            totals.logged += result.logged
            totals.successes += result.successes
            for (reason, count) in result.failures { totals.failures[reason, default: 0] += count }
            totals.duplicates += result.duplicates
            totals.deadLettered += result.deadLettered
            totals.rewardsEarned += result.rewardsEarned
            totals.skippedBelowOffset += result.skippedBelowOffset
        }
    }

    func recordRetry(_ error: any Error) {
        metrics.recordRetry()
        state.withLock {
            $0.retries += 1
            $0.lastError = "\(error)"
        }
    }

    func recordLag(_ lag: [PartitionKey: Int64], assignedPartitions: Int) {
        state.withLock {
            $0.lag = lag
            $0.assignedPartitions = assignedPartitions
        }
    }
}
