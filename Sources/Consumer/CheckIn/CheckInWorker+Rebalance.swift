import Logging
import Projections

/// librdkafka calls these from inside `poll` (and `close`), on the consumer thread: they run between the worker's
/// other steps, never during a write.
extension CheckInWorker: KafkaRebalanceListener {
    func partitionsAssigned(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64?] {
        coordination.assigning()
        let keys = partitions.map(PartitionKey.init)
        var backoff = configuration.retryBackoff
        while true {
            do {
                let projector = try openProjector()
                let stored = try ConsumerOffsetStore.load(
                    groupID: configuration.groupID,
                    partitions: keys,
                    on: projector.connection
                )
                let starts = try startOffsets(for: partitions.filter { stored[PartitionKey($0)] == nil })
                coordination.assigned(keys, stored: stored)
                var offsets: [TopicPartition: Int64?] = [:]
                for (partition, key) in zip(partitions, keys) {
                    offsets.updateValue(stored[key] ?? starts[partition], forKey: partition)
                }
                logger.info(
                    "partitions assigned",
                    metadata: ["partitions": "\(keys.map(\.description).joined(separator: ","))"]
                )
                return offsets
            } catch {
                if stop.isStopped { throw error }
                statistics.recordRetry(error)
                logger.error("cannot read stored offsets for the assignment, retrying", metadata: ["error": "\(error)"])
                projector = nil
                database?.disconnect()
                stop.sleep(backoff.next())
            }
        }
    }

    /// Where partitions without a stored offset start (`Configuration.startPosition`); absent: librdkafka decides.
    private func startOffsets(for partitions: [TopicPartition]) throws -> [TopicPartition: Int64] {
        guard !partitions.isEmpty, let position = configuration.startPosition else { return [:] }
        switch position {
        case .earliest:
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaConsumer.beginningOffset) })
        case .latest:
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaConsumer.endOffset) })
        case .offset(let offset):
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, offset) })
        case .timestamp(let milliseconds):
            guard let consumer else { return [:] }
            return try consumer.offsetsForTimes(partitions, millisecondsSinceEpoch: milliseconds, timeout: .seconds(10))
        }
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        let actions = coordination.revoked(partitions.map(PartitionKey.init))
        if let consumer { perform(actions, consumer: consumer) }
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.count)"])
    }
}
