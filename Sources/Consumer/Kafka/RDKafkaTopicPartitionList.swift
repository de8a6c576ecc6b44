internal import CRdKafka

/// Owns one `rd_kafka_topic_partition_list_t` and destroys it in `deinit`.
///
/// Lists returned by librdkafka through out-parameters (`rd_kafka_assignment`, `rd_kafka_position`) are ours to
/// destroy, so they are adopted; lists librdkafka lends to callbacks must not be wrapped.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 1) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    init(adopting pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    convenience init(_ partitions: [TopicPartition], offset: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)) {
        self.init(capacity: partitions.count)
        for partition in partitions { add(partition, offset: offset) }
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    func add(_ partition: TopicPartition, offset: Int64) {
        let element = rd_kafka_topic_partition_list_add(pointer, partition.topic, partition.partition)!
        element.pointee.offset = offset
    }

    var elements: [(partition: TopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        Self.elements(of: pointer)
    }

    /// Reads a list without taking ownership (for lists lent to callbacks).
    static func elements(
        of list: UnsafePointer<rd_kafka_topic_partition_list_t>
    ) -> [(partition: TopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return (
                TopicPartition(topic: String(cString: element.topic), partition: element.partition),
                element.offset, element.err
            )
        }
    }

    /// The first per-partition error, if any.
    func firstError(_ context: String) -> KafkaError? {
        guard let failed = elements.first(where: { $0.error != RD_KAFKA_RESP_ERR_NO_ERROR }) else { return nil }
        return KafkaError(
            code: failed.error,
            message: "\(context) \(failed.partition): \(String(cString: rd_kafka_err2str(failed.error)))"
        )
    }
}
