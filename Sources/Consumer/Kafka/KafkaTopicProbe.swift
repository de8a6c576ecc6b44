internal import CRdKafka
import Logging

/// Read-only questions about topics, for `status` and the metrics sampler: partition counts, watermarks, and the
/// timestamp of the message at an offset (the age of the oldest unprocessed message).
///
/// Its consumer handle never joins a group: partitions are assigned directly, nothing is committed. Blocking: use it
/// from a dedicated thread.
///
/// `@unchecked Sendable`: so it can be handed to its thread. The handle is thread-safe, but `timestamps(at:timeout:)`
/// changes the handle's assignment, so one probe is used by one thread at a time.
public final class KafkaTopicProbe: @unchecked Sendable {
    private let client: RDKafkaClient

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let properties = try configuration.resolvedProperties(
            defaults: ["enable.partition.eof": "false"],
            fixed: [
                // Required by librdkafka for assign(); never used to join or commit.
                "group.id": "attendance-probe",
                "enable.auto.commit": "false",
                "enable.auto.offset.store": "false",
            ],
            kind: .consumer,
            client: "KafkaTopicProbe"
        )
        client = try RDKafkaClient(
            type: RD_KAFKA_CONSUMER,
            properties: properties,
            context: RDKafkaCallbackContext(logger: logger)
        )
    }

    /// The topic's partition count from cluster metadata; nil if the topic does not exist.
    public func partitionCount(topic: String, timeout: Duration) throws(KafkaError) -> Int? {
        guard let metadata = try client.topicMetadata(timeout: timeout)[topic],
            metadata.error == RD_KAFKA_RESP_ERR_NO_ERROR
        else { return nil }
        return metadata.partitions
    }

    /// The partition's low and high watermark, asked of its leader.
    public func watermarks(
        topic: String,
        partition: Int32,
        timeout: Duration
    ) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = -1
        var high: Int64 = -1
        try KafkaError.check(
            rd_kafka_query_watermark_offsets(client.handle, topic, partition, &low, &high, timeout.clampedMilliseconds),
            "watermarks of \(topic)[\(partition)]"
        )
        return (low, high)
    }

    /// The Kafka timestamp (milliseconds since the epoch) of the first message at or after each offset. Partitions
    /// whose message did not arrive within `timeout`, or has no timestamp, are left out.
    public func timestamps(at offsets: [TopicPartition: Int64], timeout: Duration) throws(KafkaError)
        -> [TopicPartition: Int64]
    {
        guard !offsets.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for (partition, offset) in offsets { list.add(partition, offset: offset) }
        try KafkaError.check(rd_kafka_assign(client.handle, list.pointer), "assign for timestamps")
        defer { _ = rd_kafka_assign(client.handle, nil) }
        var found: [TopicPartition: Int64] = [:]
        var answered: Set<TopicPartition> = []
        let deadline = ContinuousClock.now + timeout
        while answered.count < offsets.count {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            guard
                let pointer = rd_kafka_consumer_poll(
                    client.handle,
                    min(remaining, .milliseconds(100)).clampedMilliseconds
                )
            else { continue }
            defer { rd_kafka_message_destroy(pointer) }
            guard pointer.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            let message = KafkaMessage(copying: pointer)
            let partition = TopicPartition(topic: message.topic, partition: message.partition)
            guard offsets[partition] != nil, answered.insert(partition).inserted else { continue }
            found[partition] = message.timestampMilliseconds
        }
        return found
    }
}
