import Consumer
import Foundation
import Synchronization
import Testing

/// Records rebalances and answers with fixed start offsets (or throws).
final class RecordingListener: KafkaRebalanceListener {
    struct TestFailure: Error {}

    let startOffsets: [TopicPartition: Int64]
    let fails: Bool
    let events = Mutex<[String]>([])
    let assigned = Mutex<Set<TopicPartition>>([])

    init(startOffsets: [TopicPartition: Int64] = [:], fails: Bool = false) {
        self.startOffsets = startOffsets
        self.fails = fails
    }

    func partitionsAssigned(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64?] {
        events.withLock { $0.append("assigned \(partitions.count)") }
        if fails { throw TestFailure() }
        assigned.withLock { $0.formUnion(partitions) }
        return Dictionary(uniqueKeysWithValues: partitions.map { ($0, startOffsets[$0]) })
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        events.withLock { $0.append("revoked \(partitions.count)") }
        assigned.withLock { $0.subtract(partitions) }
    }
}

@Suite("KafkaConsumer on the mock cluster", .timeLimit(.minutes(5)))
struct KafkaConsumerTests {
    static func consumer(_ cluster: KafkaMockCluster, group: String, listener: RecordingListener?) throws
        -> KafkaConsumer
    {
        try KafkaConsumer(
            configuration: .init(
                bootstrapServers: cluster.bootstrapServers,
                properties: TestSupport.consumerProperties()
            ),
            groupID: group,
            rebalanceListener: listener,
            logger: TestSupport.logger()
        )
    }

    static func produce(_ cluster: KafkaMockCluster, _ messages: [OutgoingMessage]) throws {
        let producer = try KafkaProducer(
            configuration: .init(bootstrapServers: cluster.bootstrapServers),
            logger: TestSupport.logger()
        )
        for result in producer.produceAndWait(messages, timeout: .seconds(10)) { _ = try result.get() }
        producer.close()
    }

    @Test func twoConsumersInAGroupSplitThePartitionsAndEachMessageOnce() async throws {
        let topic = TestSupport.uniqueName("group")
        let group = TestSupport.uniqueName("g")
        let cluster = try TestSupport.cluster(topic: topic, partitions: 4)
        let listeners = [RecordingListener(), RecordingListener()]
        let total = 200
        let received = Mutex<[[String]]>([[], []])
        let bothAssigned = { @Sendable in listeners.allSatisfy { !$0.assigned.withLock(\.isEmpty) } }

        // Each consumer polls on its own thread until every message arrived (or the deadline passed).
        let run = { @Sendable (index: Int) throws -> Void in
            // The second member joins only once the first owns every partition, forcing a rebalance.
            let joinDeadline = ContinuousClock.now + .seconds(8)
            while index == 1, listeners[0].assigned.withLock(\.isEmpty), ContinuousClock.now < joinDeadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
            let consumer = try Self.consumer(cluster, group: group, listener: listeners[index])
            try consumer.subscribe([topic])
            let deadline = ContinuousClock.now + .seconds(18)
            while ContinuousClock.now < deadline, received.withLock({ $0.joined().count }) < total {
                if let message = try consumer.poll(timeout: .milliseconds(100)) {
                    received.withLock { $0[index].append(String(decoding: message.value ?? [], as: UTF8.self)) }
                }
            }
            consumer.close()
        }
        async let first: Void = onDedicatedThread { try run(0) }
        async let second: Void = onDedicatedThread { try run(1) }
        let producing: Void = try await onDedicatedThread {
            let deadline = ContinuousClock.now + .seconds(15)
            while !bothAssigned(), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
            try Self.produce(
                cluster,
                (0..<total).map { OutgoingMessage(topic: topic, key: "k\($0)".bytes, value: "\($0)".bytes) }
            )
        }
        _ = (producing, try await first, try await second)

        let perConsumer = received.withLock { $0 }
        #expect(perConsumer[0].count + perConsumer[1].count == total)
        #expect(Set(perConsumer[0]).isDisjoint(with: perConsumer[1]))
        #expect(Set(perConsumer.joined()) == Set((0..<total).map { "\($0)" }))
        #expect(!perConsumer[0].isEmpty && !perConsumer[1].isEmpty)
        // The first member got every partition, or half when the second joined within the same rebalance (a slow
        // machine), gave up partitions when the second joined (eager protocol), and both were revoked on close.
        let firstEvents = listeners[0].events.withLock { $0 }
        #expect(firstEvents.first == "assigned 4" || firstEvents.first == "assigned 2")
        #expect(firstEvents.filter { $0.hasPrefix("revoked") }.count >= 2)
        #expect(listeners[1].events.withLock { $0 }.last?.hasPrefix("revoked") == true)
    }

    @Test func startOffsetsFromTheListenerAreHonoured() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("start")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 2)
            try Self.produce(
                cluster,
                (0..<10).map { OutgoingMessage(topic: topic, key: nil, value: "\($0)".bytes, partition: 0) }
            )
            let listener = RecordingListener(startOffsets: [TopicPartition(topic: topic, partition: 0): 5])
            let consumer = try Self.consumer(cluster, group: TestSupport.uniqueName("g"), listener: listener)
            try consumer.subscribe([topic])
            let messages = try TestSupport.consume(consumer, count: 5, timeout: .seconds(15))
            #expect(messages.map(\.offset) == [5, 6, 7, 8, 9])
            #expect(try consumer.poll(timeout: .milliseconds(300)) == nil)
            #expect(
                try consumer.assignment() == [
                    TopicPartition(topic: topic, partition: 0), TopicPartition(topic: topic, partition: 1),
                ]
            )
            consumer.close()
            consumer.close()
            #expect(throws: KafkaError.self) { try consumer.poll(timeout: .zero) }
        }
    }

    @Test func aNewMemberResumesFromTheCommittedOffset() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("commit")
            let group = TestSupport.uniqueName("g")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 1)
            try Self.produce(cluster, (0..<10).map { OutgoingMessage(topic: topic, key: nil, value: "\($0)".bytes) })
            let partition = TopicPartition(topic: topic, partition: 0)

            let first = try Self.consumer(cluster, group: group, listener: RecordingListener())
            try first.subscribe([topic])
            let firstBatch = try TestSupport.consume(first, count: 6, timeout: .seconds(15))
            #expect(firstBatch.map(\.offset) == Array(0..<6))
            try first.commit([partition: 6], asynchronously: false)
            first.close()

            let second = try Self.consumer(cluster, group: group, listener: RecordingListener())
            try second.subscribe([topic])
            let rest = try TestSupport.consume(second, count: 4, timeout: .seconds(15))
            #expect(rest.map(\.offset) == [6, 7, 8, 9])
            second.close()
        }
    }

    @Test func pauseStopsDeliveryResumeRestartsItAndLagIsReported() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("pause")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 1)
            let partition = TopicPartition(topic: topic, partition: 0)
            try Self.produce(cluster, (0..<5).map { OutgoingMessage(topic: topic, key: nil, value: "\($0)".bytes) })
            let consumer = try Self.consumer(cluster, group: TestSupport.uniqueName("g"), listener: RecordingListener())
            try consumer.subscribe([topic])
            #expect(try TestSupport.consume(consumer, count: 5, timeout: .seconds(15)).count == 5)

            try consumer.pause([partition])
            try Self.produce(cluster, (5..<10).map { OutgoingMessage(topic: topic, key: nil, value: "\($0)".bytes) })
            #expect(try consumer.pollBatch(maxMessages: 10, maxWait: .seconds(1)).isEmpty)

            try consumer.resume([partition])
            let batch = try consumer.pollBatch(maxMessages: 2, maxWait: .seconds(10))
            #expect(batch.map(\.offset) == [5, 6])
            let deadline = ContinuousClock.now + .seconds(5)
            while consumer.lag()[partition] != 3, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(consumer.lag() == [partition: 3])

            try consumer.seek(partition, to: 1, timeout: .seconds(5))
            #expect(try TestSupport.consume(consumer, count: 1, timeout: .seconds(10)).first?.offset == 1)
            consumer.close()
        }
    }

    /// librdkafka keeps a partition paused through a revoke and into its next assignment (the check-in consumer
    /// resumes what it paused when it is revoked, because of this).
    @Test func aPausedPartitionStaysPausedWhenARebalanceAssignsItAgain() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("repause")
            let other = TestSupport.uniqueName("repause-other")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 1)
            try cluster.createTopic(other, partitions: 1, replicationFactor: 3)
            let partition = TopicPartition(topic: topic, partition: 0)
            try Self.produce(cluster, (0..<3).map { OutgoingMessage(topic: topic, key: nil, value: "\($0)".bytes) })
            let listener = RecordingListener()
            let consumer = try Self.consumer(cluster, group: TestSupport.uniqueName("g"), listener: listener)
            try consumer.subscribe([topic])
            #expect(try TestSupport.consume(consumer, count: 3, timeout: .seconds(15)).count == 3)
            try consumer.pause([partition])

            // A new subscription rebalances the group: the partition is revoked and assigned again (eager).
            try consumer.subscribe([topic, other])
            let deadline = ContinuousClock.now + .seconds(20)
            while listener.events.withLock({ $0.count }) < 3, ContinuousClock.now < deadline {
                _ = try consumer.poll(timeout: .milliseconds(100))
            }
            #expect(listener.events.withLock { $0 } == ["assigned 1", "revoked 1", "assigned 2"])
            try Self.produce(cluster, (3..<6).map { OutgoingMessage(topic: topic, key: nil, value: "\($0)".bytes) })
            #expect(try TestSupport.consume(consumer, count: 1, timeout: .seconds(2)).isEmpty)

            // Resumed, it fetches from where the new assignment started it (nothing committed: the beginning).
            try consumer.resume([partition])
            #expect(try TestSupport.consume(consumer, count: 6, timeout: .seconds(10)).map(\.offset) == Array(0..<6))
            consumer.close()
        }
    }

    @Test func aThrowingListenerLeavesTheConsumerUnassignedButAlive() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("throwing")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 2)
            try Self.produce(cluster, [OutgoingMessage(topic: topic, key: nil, value: [1])])
            let listener = RecordingListener(fails: true)
            let consumer = try Self.consumer(cluster, group: TestSupport.uniqueName("g"), listener: listener)
            try consumer.subscribe([topic])
            let deadline = ContinuousClock.now + .seconds(10)
            var messages: [KafkaMessage] = []
            while listener.events.withLock(\.isEmpty), ContinuousClock.now < deadline {
                if let message = try consumer.poll(timeout: .milliseconds(100)) { messages.append(message) }
            }
            messages += try TestSupport.consume(consumer, count: 1, timeout: .seconds(1))
            #expect(listener.events.withLock { $0 }.first == "assigned 2")
            #expect(messages.isEmpty)
            #expect(try consumer.assignment().isEmpty)
            consumer.close()
        }
    }
}
