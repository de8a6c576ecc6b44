internal import CRdKafka
import Logging
import Synchronization

/// High-level (group) consumer.
///
/// Defaults (overridable through `KafkaConfiguration.properties`): `enable.auto.commit=false`,
/// `enable.auto.offset.store=false`, `auto.offset.reset=earliest`, librdkafka's default eager
/// `partition.assignment.strategy` (`range,roundrobin`). `group.id` is always `groupID`.
///
/// The API is blocking: use one instance from one dedicated thread, never from Swift's cooperative pool. The
/// rebalance listener is called on that thread, inside `poll`, `pollBatch` and `close`.
///
/// `@unchecked Sendable`: so it can be handed to its thread. The handle is thread-safe and `closed` is a `Mutex`.
public final class KafkaConsumer: @unchecked Sendable {
    static let defaultProperties = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "auto.offset.reset": "earliest",
    ]

    let client: RDKafkaClient
    private let logger: Logger
    private let closed = Mutex(false)

    public init(
        configuration: KafkaConfiguration,
        groupID: String,
        rebalanceListener: (any KafkaRebalanceListener)?,
        logger: Logger
    ) throws(KafkaError) {
        let properties = try configuration.resolvedProperties(
            defaults: Self.defaultProperties,
            fixed: ["group.id": groupID],
            kind: .consumer,
            client: "KafkaConsumer"
        )
        client = try RDKafkaClient(
            type: RD_KAFKA_CONSUMER,
            properties: properties,
            context: RDKafkaCallbackContext(logger: logger, rebalanceListener: rebalanceListener)
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rdKafkaRebalanceCallback)
            rd_kafka_conf_set_offset_commit_cb(conf, rdKafkaOffsetCommitCallback)
        }
        self.logger = logger
        // Serve errors, logs and rebalances from rd_kafka_consumer_poll instead of a separate main queue.
        rd_kafka_poll_set_consumer(client.handle)
    }

    deinit {
        close()
    }

    public func subscribe(_ topics: [String]) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics {
            list.add(
                TopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA),
                offset: Int64(RD_KAFKA_OFFSET_INVALID)
            )
        }
        try KafkaError.check(rd_kafka_subscribe(client.handle, list.pointer), "subscribe to \(topics)")
    }

    /// One message, or nil on timeout. Partition EOF and transient errors are logged and yield nil; fatal errors throw.
    public func poll(timeout: Duration) throws(KafkaError) -> KafkaMessage? {
        try ensureOpen()
        guard let message = rd_kafka_consumer_poll(client.handle, timeout.clampedMilliseconds) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let code = message.pointee.err
        switch code {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return KafkaMessage(copying: message)
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            logger.debug("partition EOF", metadata: ["partition": "\(message.pointee.partition)"])
            return nil
        case RD_KAFKA_RESP_ERR__FATAL:
            throw client.fatalError() ?? KafkaError(code: code, isFatal: true)
        default:
            let error = KafkaError(code: code, message: String(cString: rd_kafka_message_errstr(message)))
            logger.warning("consumer error", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Polls until `maxMessages` messages arrived or `maxWait` elapsed; returns early with what it has as soon as a
    /// poll comes back empty after at least one message.
    public func pollBatch(maxMessages: Int, maxWait: Duration) throws(KafkaError) -> [KafkaMessage] {
        let deadline = ContinuousClock.now + maxWait
        var batch: [KafkaMessage] = []
        while batch.count < maxMessages {
            let remaining = deadline.remaining
            guard remaining > .zero else { break }
            guard let message = try poll(timeout: batch.isEmpty ? remaining : .zero) else {
                if batch.isEmpty { continue }
                break
            }
            batch.append(message)
        }
        return batch
    }

    /// Commits next offsets (offset of the last processed message + 1) per partition.
    public func commit(_ offsets: [TopicPartition: Int64], asynchronously: Bool) throws(KafkaError) {
        try ensureOpen()
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) { list.add(partition, offset: offset) }
        try KafkaError.check(rd_kafka_commit(client.handle, list.pointer, asynchronously ? 1 : 0), "commit")
        if !asynchronously, let error = list.firstError("commit") { throw error }
    }

    public func seek(_ partition: TopicPartition, to offset: Int64, timeout: Duration) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList([partition], offset: offset)
        if let error = rd_kafka_seek_partitions(client.handle, list.pointer, timeout.clampedMilliseconds) {
            throw KafkaError.consuming(error)
        }
        if let error = list.firstError("seek") { throw error }
    }

    /// The logical offset "the partition's first message" for `seek` and rebalance start offsets.
    public static let beginningOffset = Int64(RD_KAFKA_OFFSET_BEGINNING)
    /// The logical offset "after the partition's last message".
    public static let endOffset = Int64(RD_KAFKA_OFFSET_END)

    /// Per partition, the offset of the first message whose timestamp is at or after `millisecondsSinceEpoch`,
    /// or ``endOffset`` when there is none (asks the partition leaders; blocks up to `timeout`).
    public func offsetsForTimes(
        _ partitions: [TopicPartition],
        millisecondsSinceEpoch: Int64,
        timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: Int64] {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions, offset: millisecondsSinceEpoch)
        try KafkaError.check(
            rd_kafka_offsets_for_times(client.handle, list.pointer, timeout.clampedMilliseconds),
            "offsets for times"
        )
        if let error = list.firstError("offsets for times") { throw error }
        var offsets: [TopicPartition: Int64] = [:]
        for (partition, offset, _) in list.elements { offsets[partition] = offset >= 0 ? offset : Self.endOffset }
        return offsets
    }

    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions)
        try KafkaError.check(rd_kafka_pause_partitions(client.handle, list.pointer), "pause")
        if let error = list.firstError("pause") { throw error }
    }

    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        try ensureOpen()
        let list = RDKafkaTopicPartitionList(partitions)
        try KafkaError.check(rd_kafka_resume_partitions(client.handle, list.pointer), "resume")
        if let error = list.firstError("resume") { throw error }
    }

    public func assignment() throws(KafkaError) -> [TopicPartition] {
        try ensureOpen()
        var pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try KafkaError.check(rd_kafka_assignment(client.handle, &pointer), "assignment")
        guard let pointer else { return [] }
        return RDKafkaTopicPartitionList(adopting: pointer).elements.map(\.partition).sorted()
    }

    /// Lag (high watermark − position) per assigned partition, from librdkafka's cached watermarks (updated by fetch
    /// responses, no network round trip). Partitions without a known position or watermark yet are left out.
    public func lag() -> [TopicPartition: Int64] {
        guard let assigned = try? assignment(), !assigned.isEmpty else { return [:] }
        let positions = RDKafkaTopicPartitionList(assigned)
        guard rd_kafka_position(client.handle, positions.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var lags: [TopicPartition: Int64] = [:]
        for (partition, position, _) in positions.elements where position >= 0 {
            var low: Int64 = -1
            var high: Int64 = -1
            let code = rd_kafka_get_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { continue }
            lags[partition] = max(0, high - position)
        }
        return lags
    }

    /// Leaves the group (`rd_kafka_consumer_close`, which calls the listener's `partitionsRevoked`). Idempotent;
    /// `deinit` calls it.
    public func close() {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        let code = rd_kafka_consumer_close(client.handle)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close failed", metadata: ["error": "\(KafkaError(code: code))"])
        }
    }

    private func ensureOpen() throws(KafkaError) {
        if closed.withLock({ $0 }) { throw KafkaError(code: RD_KAFKA_RESP_ERR__STATE, message: "consumer is closed") }
    }
}
