/// Names of the metrics the operations sampler sets (the services' own are next to them in `Consumer/Metrics`). Each is
/// documented with its alert in docs/operations.md.
public enum OperationsMetrics {
    /// Gauge `{topic, partition}`: high watermark − stored offset of the check-in group.
    public static let consumerLag = "attendance_consumer_lag_messages"
    /// Gauge `{topic, partition}`: now − Kafka timestamp of the first unprocessed message (0 without lag).
    public static let oldestUnprocessedAge = "attendance_consumer_oldest_unprocessed_age_seconds"
    /// Gauge: outbox rows not yet published.
    public static let outboxBacklog = "attendance_outbox_backlog_messages"
    /// Gauge: age of the oldest outbox row (0 when empty).
    public static let outboxOldestAge = "attendance_outbox_oldest_age_seconds"
    /// Gauge `{state}`: rewards by settlement state.
    public static let rewards = "attendance_rewards"
    /// Gauge `{topic}`: messages ever written to a dead-letter topic (sum of high watermarks).
    public static let deadLetters = "attendance_dlq_messages"
    /// Gauge `{dependency}`: 1 when Postgres / Kafka answered the last sample.
    public static let dependencyUp = "attendance_dependency_up"
}
