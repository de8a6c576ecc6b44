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

extension KafkaConsumer {
    /// Like ``pollBatch(maxMessages:maxWait:)``, but copies only the messages whose key `keeping` accepts; `keeping`
    /// looks at the key in librdkafka's buffer, and the other messages are dropped without copying their key,
    /// value or headers. For a follower that cares about a few keys of a busy topic. `maxMessages` counts every
    /// message read, kept or not.
    public func pollBatch(
        maxMessages: Int,
        maxWait: Duration,
        keeping: (UnsafeRawBufferPointer) -> Bool
    ) throws(KafkaError) -> [KafkaMessage] {
        let deadline = ContinuousClock.now + maxWait
        var batch: [KafkaMessage] = []
        var read = 0
        while read < maxMessages {
            let remaining = deadline.remaining
            guard remaining > .zero else { break }
            let timeout = read == 0 ? remaining : .zero
            guard let message = rd_kafka_consumer_poll(client.handle, timeout.clampedMilliseconds) else {
                if read == 0 { continue }
                break
            }
            defer { rd_kafka_message_destroy(message) }
            let raw = message.pointee
            guard raw.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                if raw.err == RD_KAFKA_RESP_ERR__FATAL {
                    throw client.fatalError() ?? KafkaError(code: raw.err, isFatal: true)
                }
                continue  // partition EOF or a transient error: librdkafka goes on by itself
            }
            read += 1
            let key = UnsafeRawBufferPointer(start: raw.key, count: raw.key == nil ? 0 : raw.key_len)
            if keeping(key) { batch.append(KafkaMessage(copying: message)) }
        }
        return batch
    }
}
