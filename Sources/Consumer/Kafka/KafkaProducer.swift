internal import CRdKafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// Idempotent producer with a dedicated poll thread that serves delivery reports.
///
/// Defaults: `compression.type=lz4`, `linger.ms=5` (overridable through `KafkaConfiguration.properties`). Fixed:
/// `enable.idempotence=true`, `acks=all`, `partitioner=murmur2_random` (a keyed record lands on the partition Java's
/// default partitioner picks). Nothing here blocks Swift's cooperative pool except `produceAndWait` and `flush`,
/// which are meant for dedicated threads, and `produce` while librdkafka's queue is full.
///
/// `@unchecked Sendable`: stored properties are immutable references to thread-safe objects (`RDKafkaClient`,
/// `Mutex`es, the poll loop's atomics).
public final class KafkaProducer: @unchecked Sendable {
    static let defaultProperties = ["compression.type": "lz4", "linger.ms": "5"]
    static let fixedProperties = ["enable.idempotence": "true", "acks": "all", "partitioner": "murmur2_random"]

    let client: RDKafkaClient
    private let logger: Logger
    private let pollLoop: PollLoop
    private let closed = Mutex(false)
    private let partitionCounts = Mutex<[String: Int]>([:])

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let properties = try configuration.resolvedProperties(
            defaults: Self.defaultProperties,
            fixed: Self.fixedProperties,
            kind: .producer,
            client: "KafkaProducer"
        )
        client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER,
            properties: properties,
            context: RDKafkaCallbackContext(logger: logger)
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryReportCallback)
        }
        self.logger = logger
        pollLoop = PollLoop(name: "kafka-producer-poll", client: client)
    }

    deinit {
        close()
    }

    /// Enqueues `message`; `onDelivery` runs exactly once.
    ///
    /// Delivery reports (success or a broker-side failure) arrive on the poll thread. A message that cannot be
    /// enqueued at all (closed producer, fatal error, unknown partition, oversized message) is reported synchronously
    /// on the caller's thread before `produce` returns. While librdkafka's queue is full (`_QUEUE_FULL`) this waits
    /// for the poll thread to drain it and retries.
    public func produce(
        _ message: OutgoingMessage,
        onDelivery: @escaping @Sendable (Result<DeliveryReport, KafkaError>) -> Void
    ) {
        let callback = Unmanaged.passRetained(DeliveryCallback(onDelivery))
        while true {
            let failure: KafkaError
            if let fatal = client.fatalError() {
                failure = fatal
            } else if closed.withLock({ $0 }) {
                failure = KafkaError(code: RD_KAFKA_RESP_ERR__STATE, message: "producer is closed")
            } else if let error = enqueue(message, opaque: callback.toOpaque()) {
                if error.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue {
                    Thread.sleep(forTimeInterval: 0.002)
                    continue
                }
                failure = error
            } else {
                return
            }
            callback.release()
            onDelivery(.failure(failure))
            return
        }
    }

    /// Enqueues all `messages` and waits until every delivery report arrived or `timeout` passed. Results are in
    /// input order; a message without a report by then is a `_TIMED_OUT` failure (it may still be delivered later).
    /// Blocks: call it from a dedicated thread.
    public func produceAndWait(_ messages: [OutgoingMessage], timeout: Duration) -> [Result<DeliveryReport, KafkaError>]
    {
        let deadline = ContinuousClock.now + timeout
        let batch = DeliveryBatch(count: messages.count)
        for (index, message) in messages.enumerated() {
            produce(message) { batch.record($0, at: index) }
        }
        return batch.wait(until: deadline)
    }

    /// Waits until every enqueued message has been delivered or failed and its report was served.
    public func flush(timeout: Duration) throws(KafkaError) {
        let deadline = ContinuousClock.now + timeout
        while rd_kafka_outq_len(client.handle) > 0 {
            guard deadline.remaining > .zero else {
                throw .timedOut("flush: \(rd_kafka_outq_len(client.handle)) messages still in flight")
            }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    /// Flushes (bounded by `flushTimeout`), fails whatever is left with `_PURGE_QUEUE`/`_PURGE_INFLIGHT` reports, then
    /// stops the poll thread. Idempotent; `deinit` calls it.
    public func close(flushTimeout: Duration = .seconds(10)) {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        do {
            try flush(timeout: flushTimeout)
        } catch {
            logger.warning("producer close: purging undelivered messages", metadata: ["error": "\(error)"])
            rd_kafka_purge(client.handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            try? flush(timeout: .seconds(2))
        }
        pollLoop.stop()
    }

    /// Partition count of `topic` from cluster metadata, cached after the first answer.
    public func partitionCount(topic: String, timeout: Duration) throws(KafkaError) -> Int {
        if let cached = partitionCounts.withLock({ $0[topic] }) { return cached }
        guard let metadata = try client.topicMetadata(timeout: timeout)[topic],
            metadata.error == RD_KAFKA_RESP_ERR_NO_ERROR, metadata.partitions > 0
        else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, message: "topic \(topic) not in cluster metadata")
        }
        partitionCounts.withLock { $0[topic] = metadata.partitions }
        return metadata.partitions
    }
}

/// The per-message opaque: retained when enqueued, released by the delivery report (or the failed enqueue).
final class DeliveryCallback: Sendable {
    let onDelivery: @Sendable (Result<DeliveryReport, KafkaError>) -> Void

    init(_ onDelivery: @escaping @Sendable (Result<DeliveryReport, KafkaError>) -> Void) {
        self.onDelivery = onDelivery
    }
}

private func rdKafkaDeliveryReportCallback(
    _ handle: OpaquePointer?,
    _ message: UnsafePointer<rd_kafka_message_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let message, let callbackPointer = message.pointee._private else { return }
    let callback = Unmanaged<DeliveryCallback>.fromOpaque(callbackPointer).takeRetainedValue()
    let raw = message.pointee
    if raw.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        let topic = String(cString: rd_kafka_topic_name(raw.rkt))
        callback.onDelivery(.success(DeliveryReport(topic: topic, partition: raw.partition, offset: raw.offset)))
        return
    }
    // A fatal error purges the queues; report the cause rather than the purge. (rd_kafka_message_errstr is not used:
    // for delivery reports it would return the payload.)
    let purged = raw.err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || raw.err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT
    if purged, let handle, let fatal = RDKafkaClient.fatalError(of: handle) {
        callback.onDelivery(.failure(fatal))
    } else {
        callback.onDelivery(.failure(KafkaError(code: raw.err)))
    }
}
