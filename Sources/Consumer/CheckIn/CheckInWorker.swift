import Domain
import Logging
import Projections

/// Everything the consumer thread owns: the Kafka consumer, the Postgres connection, the offsets it believes
/// are stored, and the pause state during a database outage.
///
/// `@unchecked Sendable`: created by `CheckInConsumer.run()` and from then on touched only by the consumer
/// thread. librdkafka calls the rebalance listener from inside `poll`, i.e. on that same thread.
final class CheckInWorker: KafkaRebalanceListener, @unchecked Sendable {
    private let configuration: CheckInConsumer.Configuration
    private let statistics: CheckInStatistics
    private let stop: StopSignal
    private let logger: Logger
    private let onCommit: CheckInConsumer.CommitObserver?
    private let clock = ContinuousClock()

    private var consumer: KafkaConsumer?
    private var projector: CheckInProjector?
    /// The stored next offset of every assigned partition, as last read or written (nil: no row yet).
    private var expected: [PartitionKey: Int64?] = [:]
    /// Bumped by every rebalance callback: a batch collected across one is dropped and re-fetched.
    private var generation = 0
    /// Lowest offset per partition that was fetched but thrown away while paused; sought back to on recovery.
    private var discardedFrom: [PartitionKey: Int64] = [:]
    /// Whether fetching is paused because the database is failing. Pause/resume bump librdkafka's fetch
    /// version (dropping in-flight fetches), so they happen only on an outage, never per batch.
    private var paused = false

    init(
        configuration: CheckInConsumer.Configuration,
        statistics: CheckInStatistics,
        stop: StopSignal,
        logger: Logger,
        onCommit: CheckInConsumer.CommitObserver?
    ) {
        self.configuration = configuration
        self.statistics = statistics
        self.stop = stop
        self.logger = logger
        self.onCommit = onCommit
    }

    func run() throws {
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka,
            groupID: configuration.groupID,
            rebalanceListener: self,
            logger: logger
        )
        self.consumer = consumer
        defer {
            // Leaving the group fires the revoke callback, which commits the final offsets to Kafka.
            consumer.close()
            self.consumer = nil
            projector?.connection.close()
            projector = nil
        }
        try consumer.subscribe([configuration.topics.checkInRequests])
        logger.info(
            "check-in consumer started",
            metadata: ["group": "\(configuration.groupID)", "topic": "\(configuration.topics.checkInRequests)"]
        )
        var lastLagReport = clock.now
        while !stop.isStopped {
            let batch = try collectBatch(from: consumer)
            if !batch.isEmpty { process(batch, consumer: consumer) }
            if clock.now - lastLagReport > .seconds(1) {
                lastLagReport = clock.now
                var lag: [PartitionKey: Int64] = [:]
                for (partition, value) in consumer.lag() { lag[PartitionKey(partition)] = value }
                statistics.recordLag(lag, assignedPartitions: expected.count)
            }
        }
        logger.info("check-in consumer stopping: no batch in flight, leaving the group")
    }

    // MARK: Batches

    private func collectBatch(from consumer: KafkaConsumer) throws -> [KafkaMessage] {
        var batch: [KafkaMessage] = []
        var batchGeneration = generation
        let deadline = clock.now.advanced(by: configuration.maxBatchWait)
        while batch.count < configuration.maxBatchSize, !stop.isStopped {
            let remaining = deadline - clock.now
            guard remaining > .zero else { break }
            let message = try consumer.poll(timeout: min(remaining, .milliseconds(100)))
            if generation != batchGeneration {
                // Eager rebalance: every partition was revoked and (re)assigned from its stored offset, so
                // whatever this batch holds will be fetched again by its owner.
                batch.removeAll()
                batchGeneration = generation
            }
            guard let message else { continue }
            guard expected.keys.contains(PartitionKey(message)) else { continue }
            batch.append(message)
        }
        return batch
    }

    private func process(_ messages: [KafkaMessage], consumer: KafkaConsumer) {
        var batch = messages
        var backoff = configuration.retryBackoff
        var refusals = 0
        while !batch.isEmpty {
            let batchGeneration = generation
            do {
                let projector = try openProjector()
                try commit(batch, projector: projector, consumer: consumer)
                recoverFromPause(consumer: consumer)
                return
            } catch let fence as OffsetFenceError {
                logger.warning("offset fence", metadata: ["error": "\(fence)"])
                statistics.recordRetry(fence)
                resynchronise(fence.partitions, consumer: consumer)
                // A fence can follow a failed attempt (e.g. the connection dropped during a COMMIT that the
                // server completed): fetching was paused then, and must resume here too.
                recoverFromPause(consumer: consumer)
                return
            } catch {
                statistics.recordRetry(error)
                logger.error("batch not written, will retry", metadata: ["error": "\(error)", "messages": "\(batch.count)"])
                if stop.isStopped { return }
                // The database keeps refusing this batch although the connection is fine: some message in it
                // carries what no retry will fix. Find it by halving, set it aside, and let the rest through.
                if let refusal = error as? PostgresError, !refusal.isRetriable {
                    refusals += 1
                    if refusals >= Self.refusalsBeforeIsolation, let projector = try? openProjector() {
                        do {
                            try isolate(batch, projector: projector, consumer: consumer)
                            recoverFromPause(consumer: consumer)
                            return
                        } catch {
                            logger.error("isolating a refused message failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
                // Stop fetching while the database is failing, but keep polling so the group keeps us.
                if !paused, let assigned = try? consumer.assignment(), !assigned.isEmpty {
                    try? consumer.pause(assigned)
                    paused = true
                }
                if let projector, !projector.connection.isConnected {
                    projector.connection.close()
                    self.projector = nil
                }
                keepAlive(consumer: consumer, for: backoff.next())
                if generation != batchGeneration {
                    batch.removeAll { !expected.keys.contains(PartitionKey($0)) }
                }
            }
        }
    }

    /// Attempts with the same non-retriable database error before the batch is split to find the culprit.
    static let refusalsBeforeIsolation = 3

    /// Writes one batch and does the bookkeeping of a committed batch.
    private func commit(_ batch: [KafkaMessage], projector: CheckInProjector, consumer: KafkaConsumer) throws {
        let started = clock.now
        let result = try projector.process(batch.map(Self.envelope), expected: fence(for: batch))
        committed(result, batch: batch, consumer: consumer, duration: clock.now - started)
    }

    private func committed(
        _ result: CheckInBatchResult,
        batch: [KafkaMessage],
        consumer: KafkaConsumer,
        duration: Duration? = nil
    ) {
        for (partition, next) in result.nextOffsets { expected.updateValue(next, forKey: partition) }
        let timestamps = batch.compactMap(\.timestampMilliseconds)
        statistics.record(result, messages: batch.count, duration: duration, messageTimestamps: timestamps)
        onCommit?(result, timestamps)
        commitToKafka(result.nextOffsets, consumer: consumer, synchronously: false)
    }

    private func fence(for batch: [KafkaMessage]) -> [PartitionKey: Int64?] {
        var fence: [PartitionKey: Int64?] = [:]
        for partition in Set(batch.map(PartitionKey.init)) {
            fence.updateValue(expected[partition] ?? nil, forKey: partition)
        }
        return fence
    }

    /// Commits what the database accepts, halving around refusals; a single refused message is set aside to the
    /// DLQ (reason UNPROCESSABLE) with its offset. Order within each partition is kept: halves go in order.
    private func isolate(_ batch: [KafkaMessage], projector: CheckInProjector, consumer: KafkaConsumer) throws {
        do {
            try commit(batch, projector: projector, consumer: consumer)
        } catch let refusal as PostgresError where !refusal.isRetriable {
            guard batch.count > 1 else {
                let message = batch[0]
                let result = try projector.setAsideUnprocessable(
                    Self.envelope(message),
                    error: refusal,
                    expected: fence(for: batch)
                )
                committed(result, batch: batch, consumer: consumer)
                logger.error(
                    "message set aside to the DLQ: the database refuses it",
                    metadata: [
                        "partition": "\(message.partition)", "offset": "\(message.offset)", "error": "\(refusal)",
                    ]
                )
                return
            }
            let middle = batch.count / 2
            try isolate(Array(batch[..<middle]), projector: projector, consumer: consumer)
            try isolate(Array(batch[middle...]), projector: projector, consumer: consumer)
        }
    }

    /// Polls (serving rebalances and heartbeats) while waiting; anything fetched meanwhile is thrown away and
    /// remembered, so recovery seeks back to it and nothing is skipped.
    private func keepAlive(consumer: KafkaConsumer, for duration: Duration) {
        let deadline = clock.now.advanced(by: duration)
        while !stop.isStopped, clock.now < deadline {
            let remaining = deadline - clock.now
            guard let message = try? consumer.poll(timeout: min(remaining, .milliseconds(100))) else { continue }
            let partition = PartitionKey(message)
            discardedFrom[partition] = min(discardedFrom[partition] ?? .max, message.offset)
        }
    }

    private func recoverFromPause(consumer: KafkaConsumer) {
        guard paused else { return }
        paused = false
        guard let assigned = try? consumer.assignment(), !assigned.isEmpty else { return }
        for (partition, offset) in discardedFrom {
            let target = max(offset, (expected[partition] ?? nil) ?? offset)
            do {
                try consumer.seek(TopicPartition(topic: partition.topic, partition: partition.partition), to: target, timeout: .seconds(5))
            } catch {
                logger.error("seek after outage failed", metadata: ["partition": "\(partition)", "error": "\(error)"])
            }
        }
        discardedFrom.removeAll()
        try? consumer.resume(assigned)
    }

    /// After a fence: re-read the stored offsets and continue from them.
    private func resynchronise(_ partitions: [PartitionKey], consumer: KafkaConsumer) {
        do {
            let projector = try openProjector()
            let stored = try ConsumerOffsetStore.load(
                groupID: configuration.groupID,
                partitions: partitions,
                on: projector.connection
            )
            for partition in partitions where expected.keys.contains(partition) {
                expected.updateValue(stored[partition], forKey: partition)
                if let offset = stored[partition] {
                    try consumer.seek(TopicPartition(topic: partition.topic, partition: partition.partition), to: offset, timeout: .seconds(5))
                }
            }
        } catch {
            logger.error("could not re-read stored offsets", metadata: ["error": "\(error)"])
        }
    }

    private func commitToKafka(_ offsets: [PartitionKey: Int64], consumer: KafkaConsumer, synchronously: Bool) {
        guard !offsets.isEmpty else { return }
        var commit: [TopicPartition: Int64] = [:]
        for (partition, offset) in offsets {
            commit[TopicPartition(topic: partition.topic, partition: partition.partition)] = offset
        }
        do {
            try consumer.commit(commit, asynchronously: !synchronously)
        } catch {
            // Only lag tooling reads Kafka's offsets; the stored ones in Postgres are authoritative.
            logger.debug("kafka offset commit failed", metadata: ["error": "\(error)"])
        }
    }

    private func openProjector() throws -> CheckInProjector {
        if let projector, projector.connection.isConnected { return projector }
        projector?.connection.close()
        let connection = try PostgresConnection.connect(
            configuration.databaseURL,
            applicationName: "attendance-consumer",
            searchPath: configuration.schema
        )
        let projector = CheckInProjector(
            configuration: .init(
                groupID: configuration.groupID,
                topics: configuration.topics,
                emitsSideEffects: configuration.emitsSideEffects
            ),
            connection: connection
        )
        self.projector = projector
        return projector
    }

    private static func envelope(_ message: KafkaMessage) -> CheckInEnvelope {
        CheckInEnvelope(
            position: SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset),
            key: message.key,
            value: message.value,
            headers: message.headers.map { MessageHeader(name: $0.key, value: $0.value) },
            timestamp: message.timestampMilliseconds.map(Timestamp.init(millisecondsSinceEpoch:))
        )
    }

    // MARK: KafkaRebalanceListener

    func partitionsAssigned(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64?] {
        generation += 1
        discardedFrom.removeAll()
        paused = false  // a new assignment starts unpaused
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
                var offsets: [TopicPartition: Int64?] = [:]
                for (partition, key) in zip(partitions, keys) {
                    expected.updateValue(stored[key], forKey: key)
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
                projector?.connection.close()
                projector = nil
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
        generation += 1
        // Nothing is in flight here: batches are written between polls, and this runs inside one.
        var committed: [PartitionKey: Int64] = [:]
        for partition in partitions.map(PartitionKey.init) {
            if let offset = expected[partition] ?? nil { committed[partition] = offset }
            expected.removeValue(forKey: partition)
            discardedFrom.removeValue(forKey: partition)
        }
        if let consumer { commitToKafka(committed, consumer: consumer, synchronously: true) }
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions.count)"])
    }
}

extension PartitionKey {
    init(_ partition: TopicPartition) {
        self.init(topic: partition.topic, partition: partition.partition)
    }

    init(_ message: KafkaMessage) {
        self.init(topic: message.topic, partition: message.partition)
    }
}
