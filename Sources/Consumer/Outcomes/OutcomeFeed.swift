import Domain
import Foundation
import Logging
import Projections
import ServiceLifecycle
import Synchronization

/// Tells the API which check-in requests were just decided, by tailing `attendance.events.v1`: every processed
/// request publishes one fact there, after its batch committed, so a fact means "the outcome is in the database".
///
/// Each API instance reads every partition from the end (assigned, no consumer group, nothing committed), so any
/// number of instances and consumers work together and the check-in consumer does no extra work. A fact is parsed
/// only when someone waits for an outcome of its event. If the topic's partition count changes the feed starts
/// over from the end; a waiter that misses its fact that way gets a 202 and polls.
public final class OutcomeFeed: Service, Sendable {
    public struct Configuration: Sendable {
        public var kafka: KafkaConfiguration
        public var topic: String = TopicNames.standard.attendanceEvents
        public var retryBackoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))

        public init(kafka: KafkaConfiguration) {
            self.kafka = kafka
        }
    }

    private let configuration: Configuration
    private let logger: Logger
    private let wants: @Sendable (Int64) -> Bool
    private let decided: @Sendable (Int64, String) -> Void
    private let assigned = Atomic<Bool>(false)
    private let facts = Atomic<Int>(0)

    /// - Parameters:
    ///   - wants: whether anyone waits for an outcome of this event (cheap; called for every fact).
    ///   - decided: called with (event id, request id) of each fact of a wanted event, on the feed's thread.
    public init(
        configuration: Configuration,
        logger: Logger,
        wants: @escaping @Sendable (Int64) -> Bool,
        decided: @escaping @Sendable (Int64, String) -> Void
    ) {
        self.configuration = configuration
        self.logger = logger
        self.wants = wants
        self.decided = decided
    }

    /// True while the feed reads every partition (readiness).
    public var isFollowing: Bool { assigned.load(ordering: .relaxed) }
    /// Facts read since start.
    public var factsRead: Int { facts.load(ordering: .relaxed) }

    public func run() async throws {
        let stop = StopSignal()
        let thread = ThreadExecutor(name: "outcome-feed")
        defer { thread.shutdown() }
        try await thread.runUntilStopped(stop: stop) { [self] in self.follow(stop) }
    }

    private func follow(_ stop: StopSignal) {
        var backoff = configuration.retryBackoff
        var kafka = configuration.kafka
        kafka.properties["fetch.wait.max.ms"] = kafka.properties["fetch.wait.max.ms"] ?? "50"
        kafka.consumerProperties["enable.partition.eof"] = "false"
        while !stop.isStopped {
            do {
                let probe = try KafkaTopicProbe(configuration: kafka, logger: logger)
                guard let partitions = try probe.partitionCount(topic: configuration.topic, timeout: .seconds(10)),
                    partitions > 0
                else {
                    throw KafkaError.timedOut("topic \(configuration.topic) not found")
                }
                let consumer = try KafkaConsumer(
                    configuration: kafka,
                    groupID: "attendance-outcome-feed",
                    rebalanceListener: nil,
                    logger: logger
                )
                defer { consumer.close() }
                var offsets: [TopicPartition: Int64] = [:]
                for partition in 0..<partitions {
                    offsets[TopicPartition(topic: configuration.topic, partition: Int32(partition))] =
                        KafkaConsumer.endOffset
                }
                try consumer.assign(offsets)
                assigned.store(true, ordering: .relaxed)
                backoff.reset()
                logger.info(
                    "following outcomes",
                    metadata: ["topic": "\(configuration.topic)", "partitions": "\(partitions)"]
                )
                var lastCheck = ContinuousClock.now
                while !stop.isStopped {
                    let wanted = try consumer.pollBatch(maxMessages: 2_000, maxWait: .milliseconds(100)) { key in
                        facts.add(1, ordering: .relaxed)
                        return Self.eventID(ofKey: key).map(wants) ?? false
                    }
                    for message in wanted { handle(message) }
                    if ContinuousClock.now - lastCheck > .seconds(30) {
                        lastCheck = ContinuousClock.now
                        if let now = try? probe.partitionCount(topic: configuration.topic, timeout: .seconds(5)),
                            now != partitions
                        {
                            logger.warning(
                                "partition count changed; following from the end again",
                                metadata: ["partitions": "\(now)"]
                            )
                            break
                        }
                    }
                }
            } catch {
                logger.warning("outcome feed interrupted", metadata: ["error": "\(error)"])
                stop.sleep(backoff.next())
            }
            assigned.store(false, ordering: .relaxed)
        }
    }

    /// The event of a fact's key `"{event_id}:{member_id}"`, read in place (no copy): whether anyone waits for
    /// an outcome of that event decides whether the fact is copied and parsed at all.
    static func eventID(ofKey key: UnsafeRawBufferPointer) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        for byte in key {
            if byte == UInt8(ascii: ":") { return digits > 0 ? value : nil }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 18 else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return nil
    }

    private func handle(_ message: KafkaMessage) {
        guard let key = message.key, let eventID = key.withUnsafeBytes(Self.eventID(ofKey:)),
            let value = message.value, let requestID = Self.requestID(ofFact: value)
        else { return }
        decided(eventID, requestID)
    }

    /// A fact's `request_id`, read with the bounded reader of the hot messages: under submit load nearly every fact
    /// has a waiter.
    static func requestID(ofFact value: [UInt8]) -> String? {
        guard case .object(let members)? = try? JSONReader.parseDocument(value),
            case .string(let requestID)? = members.last(where: { $0.key == "request_id" })?.value
        else { return nil }
        return requestID
    }
}
