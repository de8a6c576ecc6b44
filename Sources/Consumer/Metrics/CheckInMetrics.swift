import Domain
import Metrics
import Projections

/// The check-in consumer's metrics, through swift-metrics (the executable bootstraps the Prometheus backend; without
/// one they cost nothing). Made when a consumer is created, so after the bootstrap; the consumers of one process
/// share the series (same name and labels).
struct CheckInMetrics: Sendable {
    static let requests = "attendance_checkin_requests_total"
    static let batchSize = "attendance_checkin_batch_size_messages"
    static let batchDuration = "attendance_checkin_batch_duration_seconds"
    static let endToEndLatency = "attendance_checkin_end_to_end_latency_seconds"
    static let batchRetries = "attendance_checkin_batch_retries_total"
    static let rewardsEarned = "attendance_checkin_rewards_earned_total"

    private let checkIns: Counter
    private let failures: [FailReason: Counter]
    private let duplicates: Counter
    private let deadLettered: Counter
    private let rewards: Counter
    private let retries: Counter
    private let batchSize: Recorder
    private let batchDuration: Metrics.Timer
    private let endToEnd: Metrics.Timer

    init() {
        func requests(_ outcome: String, _ reason: String = "none") -> Counter {
            Counter(label: Self.requests, dimensions: [("outcome", outcome), ("fail_reason", reason)])
        }
        checkIns = requests("check_in")
        duplicates = requests("duplicate")
        deadLettered = requests("dead_lettered")
        var failures: [FailReason: Counter] = [:]
        for reason in FailReason.allCases { failures[reason] = requests("fail", reason.rawValue) }
        self.failures = failures
        rewards = Counter(label: Self.rewardsEarned)
        retries = Counter(label: Self.batchRetries)
        batchSize = Recorder(label: Self.batchSize, aggregate: true)
        batchDuration = Metrics.Timer(label: Self.batchDuration)
        endToEnd = Metrics.Timer(label: Self.endToEndLatency)
    }

    /// A committed batch: what it did, how long its transaction took (nil: not measured), and the Kafka timestamps
    /// of its messages (milliseconds since the epoch), each measured against `committedAt`.
    func record(
        _ result: CheckInBatchResult,
        messages: Int,
        duration: Duration?,
        messageTimestamps: [Int64],
        committedAt: Timestamp = .now()
    ) {
        checkIns.increment(by: Int64(result.successes))
        for (reason, count) in result.failures where count > 0 { failures[reason]?.increment(by: Int64(count)) }
        duplicates.increment(by: Int64(result.duplicates))
        deadLettered.increment(by: Int64(result.deadLettered))
        rewards.increment(by: Int64(result.rewardsEarned))
        batchSize.record(messages)
        if let duration { batchDuration.recordInterval(duration) }
        let now = committedAt.microsecondsSinceEpoch / 1_000
        for timestamp in messageTimestamps {
            endToEnd.recordMilliseconds(max(0, now - timestamp))
        }
    }

    func recordRetry() {
        retries.increment()
    }
}

extension Metrics.Timer {
    func recordInterval(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
