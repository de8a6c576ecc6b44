internal import CRdKafka

extension KafkaConsumer {
    /// Consumes exactly these partitions from these offsets (``KafkaConsumer/endOffset`` for "only what comes
    /// next"), without joining the group: no rebalance, nothing committed. Replaces any earlier assignment.
    public func assign(_ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) { list.add(partition, offset: offset) }
        try KafkaError.check(rd_kafka_assign(client.handle, list.pointer), "assign")
    }
}
