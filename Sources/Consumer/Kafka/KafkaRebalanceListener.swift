/// The consumer's rebalance hook, called on the thread that calls `KafkaConsumer.poll` (librdkafka serves the
/// rebalance callback inside poll) and from `KafkaConsumer.close`.
public protocol KafkaRebalanceListener: AnyObject, Sendable {
    /// Returns the offset to start each partition from; a missing entry or nil means `RD_KAFKA_OFFSET_STORED` (the
    /// group's committed offset, else `auto.offset.reset`). The wrapper then assigns the partitions. Throwing makes the
    /// wrapper log the error and assign nothing.
    func partitionsAssigned(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64?]
    /// Called before the wrapper unassigns `partitions`: finish and commit in-flight work here.
    func partitionsRevoked(_ partitions: [TopicPartition])
}
