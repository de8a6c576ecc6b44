import Domain
import Logging
import Projections

/// Everything the consumer thread owns: the Kafka consumer, the database lane's connection and the coordination state
/// (``CheckInCoordination``: the offsets it believes are stored, the batch in flight, the pause during a database
/// outage). The worker feeds every event to the coordination and performs the actions it returns.
///
/// `@unchecked Sendable`: created by `CheckInConsumer.run()` and from then on touched only by the consumer
/// thread (its database lane's). librdkafka calls the rebalance listener from inside `poll`, i.e. on that same thread.
final class CheckInWorker: @unchecked Sendable {
    let configuration: CheckInConsumer.Configuration
    let statistics: CheckInStatistics
    let stop: StopSignal
    let logger: Logger
    private let onCommit: CheckInConsumer.CommitObserver?
    private let clock = ContinuousClock()

    private(set) var consumer: KafkaConsumer?
    private(set) var database: DatabaseLane.Access?
    var projector: CheckInProjector?
    var coordination: CheckInCoordination
    typealias Action = CheckInCoordination.Action

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
        self.coordination = CheckInCoordination(retryBackoff: configuration.retryBackoff)
    }

    /// The consumer's loop; runs on its database lane's thread, whose connection it uses.
    func run(on database: DatabaseLane.Access) throws {
        self.database = database
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
            projector = nil
            database.disconnect()
            self.database = nil
        }
        try consumer.subscribe([configuration.topics.checkInRequests])
        logger.info(
            "check-in consumer started",
            metadata: ["group": "\(configuration.groupID)", "topic": "\(configuration.topics.checkInRequests)"]
        )
        var lastLagReport = clock.now
        while !stop.isStopped {
            let batch = try collectBatch(from: consumer)
            perform(coordination.batchCollected(batch), consumer: consumer)
            if clock.now - lastLagReport > .seconds(1) {
                lastLagReport = clock.now
                var lag: [PartitionKey: Int64] = [:]
                for (partition, value) in consumer.lag() { lag[PartitionKey(partition)] = value }
                statistics.recordLag(lag, assignedPartitions: coordination.assignedPartitionCount)
            }
        }
        logger.info("check-in consumer stopping: no batch in flight, leaving the group")
    }

    private func collectBatch(from consumer: KafkaConsumer) throws -> [KafkaMessage] {
        var batch: [KafkaMessage] = []
        coordination.collectionStarted()
        let deadline = clock.now.advanced(by: configuration.maxBatchWait)
        // When the batch is written if nothing more arrives: `batchLinger` after the last message it took. Polls
        // stay short (a stop is seen within 100 ms), and an empty poll for another reason (an error, a partition's
        // end) does not end the batch early.
        var lingerEnds: ContinuousClock.Instant?
        while batch.count < configuration.maxBatchSize, !stop.isStopped {
            let now = clock.now
            let remaining = deadline - now
            guard remaining > .zero else { break }
            var wait = min(remaining, .milliseconds(100))
            if let lingerEnds { wait = min(wait, max(lingerEnds - now, .zero)) }
            let before = batch.count
            let message = try consumer.poll(timeout: wait)
            coordination.polled(message, into: &batch)
            if batch.isEmpty {
                lingerEnds = nil
            } else if batch.count != before {
                lingerEnds = clock.now.advanced(by: configuration.batchLinger)
            } else if let lingerEnds, clock.now >= lingerEnds {
                break  // nothing more within the linger: the fetched messages are in, so write them now
            }
        }
        return batch
    }

    // MARK: Actions

    /// Performs `actions` in order, and then the actions of the transitions they report to, until none is left.
    func perform(_ actions: [Action], consumer: KafkaConsumer) {
        var pending = actions[...]
        while let action = pending.popFirst() {
            pending.append(contentsOf: perform(action, consumer: consumer))
        }
    }

    private func perform(_ action: Action, consumer: KafkaConsumer) -> [Action] {
        switch action {
        case .write(let batch, let fence):
            return write(batch, fence: fence)
        case .prepareIsolation:
            // Isolation goes on the connection open now; without one, the batch waits like any failed one.
            guard (try? openProjector()) != nil else {
                let actions = coordination.isolationFailed()
                closeBrokenConnection()
                return actions
            }
            return coordination.isolationStarted()
        case .writeSlice(let slice, let fence):
            return writeSlice(slice, fence: fence)
        case .setAside(let message, let refusal, let fence):
            return setAside(message, refusal: refusal, fence: fence)
        case .commitToKafka(let offsets, let synchronously):
            commitToKafka(offsets, consumer: consumer, synchronously: synchronously)
            return []
        case .resynchronise(let partitions):
            resynchronise(partitions, consumer: consumer)
            return coordination.resynchronised()
        case .pauseFetching(let partitions):
            pauseFetching(partitions, consumer: consumer)
            return []
        case .keepAlive(let duration):
            keepAlive(consumer: consumer, for: duration)
            return coordination.backoffEnded()
        case .seek(let offsets):
            seek(offsets, consumer: consumer)
            return []
        case .seekBackOverGap(let offsets):
            let positions = offsets.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" }
            logger.warning(
                "a batch started after the stored offset; seeking back to it",
                metadata: ["positions": "\(positions.joined(separator: ","))"]
            )
            seek(offsets, consumer: consumer)
            return []
        case .resumeFetching(let partitions):
            try? consumer.resume(partitions.map(TopicPartition.init))
            return []
        }
    }

    /// One attempt at the whole batch.
    private func write(_ batch: [KafkaMessage], fence: [PartitionKey: Int64?]) -> [Action] {
        do {
            let projector = try openProjector()
            return try commit(batch, fence: fence, projector: projector)
        } catch let fence as OffsetFenceError {
            logger.warning("offset fence", metadata: ["error": "\(fence)"])
            statistics.recordRetry(fence)
            return coordination.fenced(fence.partitions)
        } catch {
            statistics.recordRetry(error)
            logger.error(
                "batch not written, will retry",
                metadata: ["error": "\(error)", "messages": "\(batch.count)"]
            )
            let refusal = (error as? PostgresError).flatMap { $0.isRetriable ? nil : $0 }
            let actions = coordination.writeFailed(refusal: refusal, stopping: stop.isStopped)
            closeBrokenConnection()
            return actions
        }
    }

    /// Isolating: one part of a refused batch, on the connection isolation started with.
    private func writeSlice(_ slice: [KafkaMessage], fence: [PartitionKey: Int64?]) -> [Action] {
        do {
            return try commit(slice, fence: fence, projector: isolationProjector())
        } catch let refusal as PostgresError where !refusal.isRetriable {
            return coordination.sliceRefused(refusal)
        } catch {
            return isolationFailed(error)
        }
    }

    /// Isolating: the message the database refuses goes to the DLQ (reason UNPROCESSABLE) with its offset.
    private func setAside(
        _ message: KafkaMessage,
        refusal: PostgresError,
        fence: [PartitionKey: Int64?]
    ) -> [Action] {
        do {
            let result = try isolationProjector().setAsideUnprocessable(
                Self.envelope(message),
                error: refusal,
                expected: fence
            )
            let actions = committed(result, batch: [message])
            logger.error(
                "message set aside to the DLQ: the database refuses it",
                metadata: [
                    "partition": "\(message.partition)", "offset": "\(message.offset)", "error": "\(refusal)",
                ]
            )
            return actions
        } catch {
            return isolationFailed(error)
        }
    }

    private func isolationFailed(_ error: any Error) -> [Action] {
        logger.error("isolating a refused message failed", metadata: ["error": "\(error)"])
        let actions = coordination.isolationFailed()
        closeBrokenConnection()
        return actions
    }

    /// Writes messages and does the bookkeeping of a committed write.
    private func commit(
        _ batch: [KafkaMessage],
        fence: [PartitionKey: Int64?],
        projector: CheckInProjector
    ) throws -> [Action] {
        let started = clock.now
        let result = try projector.process(batch.map(Self.envelope), expected: fence)
        return committed(result, batch: batch, duration: clock.now - started)
    }

    private func committed(
        _ result: CheckInBatchResult,
        batch: [KafkaMessage],
        duration: Duration? = nil
    ) -> [Action] {
        let actions = coordination.written(nextOffsets: result.nextOffsets)
        let timestamps = batch.compactMap(\.timestampMilliseconds)
        statistics.record(result, messages: batch.count, duration: duration, messageTimestamps: timestamps)
        onCommit?(result, timestamps)
        return actions
    }

    /// Polls (serving rebalances and heartbeats) while waiting; anything fetched meanwhile is handed to the
    /// coordination, which seeks back to it on recovery.
    private func keepAlive(consumer: KafkaConsumer, for duration: Duration) {
        let deadline = clock.now.advanced(by: duration)
        while !stop.isStopped, clock.now < deadline {
            let remaining = deadline - clock.now
            guard let message = try? consumer.poll(timeout: min(remaining, .milliseconds(100))) else { continue }
            coordination.discarded(message)
        }
    }

    /// Pauses the partitions still assigned. They are reported paused even if librdkafka refused some: resuming
    /// one that is not paused costs a refetch, while one paused and never resumed would stall.
    private func pauseFetching(_ partitions: [PartitionKey], consumer: KafkaConsumer) {
        guard let assigned = try? Set(consumer.assignment()) else { return }
        let pausing = partitions.map(TopicPartition.init).filter(assigned.contains)
        guard !pausing.isEmpty else { return }
        try? consumer.pause(pausing)
        coordination.fetchingPaused(pausing.map(PartitionKey.init))
    }

    private func seek(_ offsets: [PartitionKey: Int64], consumer: KafkaConsumer) {
        for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            do {
                try consumer.seek(TopicPartition(partition), to: offset, timeout: .seconds(5))
            } catch {
                logger.error(
                    "seek failed",
                    metadata: ["partition": "\(partition)", "offset": "\(offset)", "error": "\(error)"]
                )
            }
        }
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
            for partition in partitions {
                guard let offset = coordination.storedOffsetReread(partition, stored: stored[partition]) else {
                    continue
                }
                try consumer.seek(TopicPartition(partition), to: offset, timeout: .seconds(5))
            }
        } catch {
            logger.error("could not re-read stored offsets", metadata: ["error": "\(error)"])
        }
    }

    private func commitToKafka(_ offsets: [PartitionKey: Int64], consumer: KafkaConsumer, synchronously: Bool) {
        guard !offsets.isEmpty else { return }
        var commit: [TopicPartition: Int64] = [:]
        for (partition, offset) in offsets { commit[TopicPartition(partition)] = offset }
        do {
            try consumer.commit(commit, asynchronously: !synchronously)
        } catch {
            // Only lag tooling reads Kafka's offsets; the stored ones in Postgres are authoritative.
            logger.debug("kafka offset commit failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Connection

    /// The projector on the lane's connection (a new one after a reconnect).
    func openProjector() throws -> CheckInProjector {
        guard let database else {
            throw PostgresError(code: .connectionClosed, message: "the check-in consumer is not running")
        }
        let connection = try database.connection()
        if let projector, projector.connection === connection { return projector }
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

    /// The connection isolation started on: a slice never reconnects, it fails and the batch is retried.
    private func isolationProjector() throws -> CheckInProjector {
        guard let projector else {
            throw PostgresError(code: .connectionClosed, message: "no connection to isolate on")
        }
        return projector
    }

    /// A broken connection is closed between attempts; the next attempt opens a new one.
    private func closeBrokenConnection() {
        database?.closeIfBroken()
        if let projector, !projector.connection.isConnected { self.projector = nil }
    }

    private static func envelope(_ message: KafkaMessage) -> CheckInEnvelope {
        CheckInEnvelope(
            position: SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset),
            key: message.key,
            value: message.value,
            headers: message.headers.map { MessageHeader(name: $0.key, value: $0.value) },
            timestamp: message.timestampMilliseconds.flatMap(Timestamp.init(millisecondsSinceEpoch:))
        )
    }
}
