/// Names of the metrics the operations sampler sets (the services' own are next to them in `Consumer/Metrics`). Each is
/// documented with its alert in docs/operations.md.
public enum OperationsMetrics {
    /// Gauge `{topic, partition}`: high watermark − stored offset of the check-in group.
    public static let consumerLag = "attendance_consumer_lag_messages"
    /// Gauge `{topic, partition}`: now − Kafka timestamp of the first unprocessed message (0 without lag).
    public static let oldestUnprocessedAge = "attendance_consumer_oldest_unprocessed_age_seconds"
    /// Gauge: rows an earlier version left in the legacy `outbox` table, not yet published.
    public static let outboxBacklog = "attendance_outbox_backlog_messages"
    /// Gauge: age of the oldest legacy outbox row (0 when empty).
    public static let outboxOldestAge = "attendance_outbox_oldest_age_seconds"
    /// Gauge: WAL bytes the outbox's replication slot retains (written since the relay's last acknowledgement).
    public static let outboxSlotRetained = "attendance_outbox_slot_retained_wal_bytes"
    /// Gauge: 1 while a relay streams the slot, 0 when none does (-1 when the slot is missing).
    public static let outboxSlotActive = "attendance_outbox_slot_active"
    /// Gauge: seconds since the streaming relay last acknowledged (0 when none streams).
    public static let outboxReplyAge = "attendance_outbox_relay_reply_age_seconds"
    /// Gauge `{state}`: rewards by settlement state.
    public static let rewards = "attendance_rewards"
    /// Gauge `{topic}`: messages ever written to a dead-letter topic (sum of high watermarks).
    public static let deadLetters = "attendance_dlq_messages"
    /// Gauge `{dependency}`: 1 when Postgres / Kafka answered the last sample.
    public static let dependencyUp = "attendance_dependency_up"
}
