import Domain

/// What one batch did, for the consumer's bookkeeping, metrics and the live summary.
public struct CheckInBatchResult: Sendable {
    /// Log rows written (one per processed request).
    public var logged = 0
    public var successes = 0
    public var failures: [FailReason: Int] = [:]
    /// Requests whose (event_id, request_id) was already processed: redeliveries, upstream retries.
    public var duplicates = 0
    /// Messages without a usable event_id, member_id or request_id, sent to the DLQ.
    public var deadLettered = 0
    public var rewardsEarned = 0
    /// Messages below the stored offset (already processed before a crash or rebalance): skipped.
    public var skippedBelowOffset = 0
    /// The new stored next offset of every partition the batch advanced.
    public var nextOffsets: [PartitionKey: Int64] = [:]

    public init() {}
}
