import Logging
import Projections
import ServiceLifecycle
import Synchronization

/// The outbox relay (`attendance relay`, also inside `run`): streams the schema's outbox messages out of the
/// write-ahead log (its ``MessageSlot``, decoded by `pgoutput`) in commit order, publishes them with the
/// idempotent producer, and acknowledges a transaction's LSN to the slot only once the broker acknowledged every
/// message up to it. Nothing uncommitted is ever seen (the messages are transactional), nothing committed is
/// skipped (the slot keeps the WAL until acknowledged), and a restart at worst republishes the messages after
/// the last acknowledgement (each carries its idempotency key; the consumers downstream are idempotent).
///
/// A slot streams to one session at a time: the relay that holds it is the leader, others wait as hot standbys.
/// The leader also drains rows an earlier version left in the `outbox` table.
public final class OutboxRelay: Service, Sendable {
    public struct Configuration: Sendable {
        public var kafka: KafkaConfiguration
        public var postgres: PostgresConfiguration
        public var schema: String
        /// Messages per delivery round (whole transactions: a round may exceed it by one transaction).
        public var batchSize = 5_000
        /// How long to wait for more WAL before publishing what was read.
        public var lingerWait: Duration = .milliseconds(2)
        /// How long a batch may wait for its delivery reports.
        public var deliveryTimeout: Duration = .seconds(30)
        public var retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(10))
        /// Called with the round's size after the broker acknowledged it and before the slot is: a seam for tests
        /// of the crash window between the two acknowledgements (a throw there is a crash for the relay).
        public var afterDelivery: (@Sendable (Int) throws -> Void)?

        public init(kafka: KafkaConfiguration, postgres: PostgresConfiguration, schema: String) {
            self.kafka = kafka
            self.postgres = postgres
            self.schema = schema
        }
    }

    public struct Snapshot: Sendable {
        public var published = 0
        public var failedDeliveries = 0
        public var isLeader = false
        public var lastError: String?
        /// The slot position acknowledged last (everything before it is published).
        public var acknowledged: LogSequenceNumber?

        public init() {}
    }

    public let configuration: Configuration
    private let logger: Logger
    private let stop = StopSignal()
    private let state = Mutex(Snapshot())
    private let metrics = OutboxRelayMetrics()
    private let slot: MessageSlot

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.slot = MessageSlot(schema: configuration.schema)
    }

    public var statistics: Snapshot { state.withLock { $0 } }

    public func requestStop() { stop.stop() }

    public func run() async throws {
        let postgres = configuration.postgres
        let schema = configuration.schema
        let lane = DatabaseLane(
            name: "outbox-relay",
            reconnectBackoff: configuration.retryBackoff,
            connect: {
                try PostgresConnection.connect(postgres, applicationName: "attendance-relay", searchPath: schema)
            }
        )
        defer { lane.shutdown() }
        try await lane.runLoop(stop: stop) { [self] database in try loop(database) }
    }

    private func setLeader(_ leader: Bool) {
        state.withLock { $0.isLeader = leader }
        metrics.recordLeadership(leader)
    }

    private func loop(_ database: DatabaseLane.Access) throws {
        let producer = try KafkaProducer(configuration: configuration.kafka, logger: logger)
        defer { producer.close() }
        var backoff = configuration.retryBackoff
        while !stop.isStopped {
            do {
                let db = try database.connection()
                // The first relay of a schema creates its slot (migrate and the consumers normally did).
                try slot.ensure(on: db)
                let stream: PostgresReplicationStream
                do {
                    stream = try PostgresReplicationStream.start(
                        configuration.postgres,
                        slot: slot.name,
                        publication: MessageSlot.publication,
                        applicationName: "attendance-relay",
                        logger: logger
                    )
                } catch {
                    guard error.isSlotInUse else { throw error }
                    // Another relay streams the slot: stay a standby and try again.
                    setLeader(false)
                    stop.sleep(.seconds(1))
                    continue
                }
                defer { stream.close() }
                setLeader(true)
                logger.info("outbox relay is publishing (streaming slot \(slot.name))")
                try drainLegacyTable(db, producer: producer)
                try publish(from: stream, database: db, producer: producer, backoff: &backoff)
            } catch {
                state.withLock { $0.lastError = "\(error)" }
                setLeader(false)
                logger.error(
                    "outbox relay failed, retrying from the last acknowledged position",
                    metadata: ["error": "\(error)"]
                )
                database.disconnect()
                stop.sleep(backoff.next())
            }
        }
    }

    /// Reads whole transactions from the stream and publishes them in rounds; acknowledges a round's last commit
    /// once the broker acknowledged all of it. Returns on stop; throws on any failure, after which the caller
    /// reconnects and the slot replays from the last acknowledgement.
    private func publish(
        from stream: PostgresReplicationStream,
        database: PostgresConnection,
        producer: KafkaProducer,
        backoff: inout Backoff
    ) throws {
        let prefix = slot.messagePrefix
        var round: [OutgoingMessage] = []
        var transaction: [OutgoingMessage] = []
        var inTransaction = false
        // The end of the last transaction read whole, and the WAL position the server says it has sent.
        var readThrough = stream.acknowledged
        var lastLegacyCheck = ContinuousClock.now
        while !stop.isStopped {
            let event = try stream.next(timeout: round.isEmpty ? .milliseconds(100) : configuration.lingerWait)
            switch event {
            case .begin?:
                inTransaction = true
                transaction.removeAll(keepingCapacity: true)
            case .message(let message)? where message.prefix == prefix:
                do {
                    transaction.append(contentsOf: try OutboxEnvelope.decode(message.content).map(OutgoingMessage.init))
                } catch {
                    // Only this program writes this prefix; an envelope it cannot read (a batch's messages) is
                    // reported with its LSN and skipped rather than stalling every message behind it.
                    logger.error(
                        "skipping an unreadable outbox message",
                        metadata: ["lsn": "\(message.lsn)", "error": "\(error)"]
                    )
                }
            case .commit(_, let end)?:
                round.append(contentsOf: transaction)
                transaction.removeAll(keepingCapacity: true)
                inTransaction = false
                readThrough = max(readThrough, end)
            case .keepalive(let walEnd, _)?, .ignored(let walEnd)?:
                // Between transactions, a keepalive says everything before walEnd was sent: nothing of ours is
                // in it, so the slot may move on (or other schemas' WAL would pile up behind an idle relay).
                if !inTransaction { readThrough = max(readThrough, walEnd) }
            case .message?, nil:
                break
            }
            if !round.isEmpty, round.count >= configuration.batchSize || event == nil {
                try deliver(round, producer: producer, backoff: &backoff)
                try configuration.afterDelivery?(round.count)
                round.removeAll(keepingCapacity: true)
            }
            if round.isEmpty, readThrough > stream.acknowledged {
                try stream.acknowledge(upTo: readThrough)
                state.withLock { $0.acknowledged = readThrough }
            }
            if ContinuousClock.now - lastLegacyCheck > .seconds(10) {
                lastLegacyCheck = .now
                try drainLegacyTable(database, producer: producer)
            }
        }
    }

    private func deliver(_ messages: [OutgoingMessage], producer: KafkaProducer, backoff: inout Backoff) throws {
        let results = producer.produceAndWait(messages, timeout: configuration.deliveryTimeout)
        var failures = 0
        var firstFailure: KafkaError?
        for case .failure(let error) in results {
            failures += 1
            firstFailure = firstFailure ?? error
        }
        metrics.record(published: messages.count - failures, failed: failures)
        state.withLock {
            $0.published += messages.count - failures
            $0.failedDeliveries += failures
            if let firstFailure { $0.lastError = "\(firstFailure)" }
        }
        if let firstFailure {
            // Later messages may have been delivered ahead of a failed one; publishing the round again from
            // the slot keeps per-key order on the topic (with duplicates the consumers absorb).
            throw RelayDeliveryFailed(failed: failures, of: messages.count, first: firstFailure)
        }
        backoff.reset()
    }

    /// Publishes and deletes rows an earlier version wrote to the `outbox` table (a rolling upgrade).
    private func drainLegacyTable(_ database: PostgresConnection, producer: KafkaProducer) throws {
        while !stop.isStopped {
            let messages = try OutboxStore.next(limit: configuration.batchSize, on: database)
            guard !messages.isEmpty else { return }
            let results = producer.produceAndWait(
                messages.map { OutgoingMessage($0) },
                timeout: configuration.deliveryTimeout
            )
            let delivered = zip(messages, results).compactMap { message, result -> Int64? in
                if case .success = result { return message.id }
                return nil
            }
            try OutboxStore.remove(ids: delivered, on: database)
            metrics.record(published: delivered.count, failed: messages.count - delivered.count)
            guard delivered.count == messages.count else {
                throw RelayDeliveryFailed(failed: messages.count - delivered.count, of: messages.count, first: nil)
            }
        }
    }
}

struct RelayDeliveryFailed: Error, CustomStringConvertible {
    let failed: Int
    let of: Int
    let first: KafkaError?

    var description: String {
        "\(failed) of \(of) outbox messages were not acknowledged by the broker" + (first.map { ": \($0)" } ?? "")
    }
}

extension OutgoingMessage {
    init(_ message: OutboxMessage) {
        self.init(
            topic: message.topic,
            key: message.key,
            value: message.payload,
            headers: message.headers.map { KafkaHeader(key: $0.name, value: $0.value) },
            partition: nil
        )
    }
}
