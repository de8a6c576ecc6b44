import Consumer
import Foundation
import Synchronization
import Testing

@Suite("KafkaProducer on the mock cluster", .timeLimit(.minutes(5)))
struct KafkaProducerTests {
    @Test func producedBytesHeadersAndTimestampsComeBackUnchanged() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("roundtrip")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 1)
            let configuration = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers)
            let producer = try KafkaProducer(configuration: configuration, logger: TestSupport.logger())
            let sent = [
                OutgoingMessage(
                    topic: topic,
                    key: "42:1001".bytes,
                    value: [0, 1, 2, 255],
                    headers: [
                        .init(key: "trace", value: "abc".bytes), .init(key: "nil", value: nil),
                        .init(key: "trace", value: []),
                    ],
                    timestampMilliseconds: 1_795_000_000_123
                ),
                OutgoingMessage(topic: topic, key: nil, value: [], timestampMilliseconds: 1_795_000_000_456),
                OutgoingMessage(topic: topic, key: [], value: nil, timestampMilliseconds: 1_795_000_000_789),
            ]
            let reports = producer.produceAndWait(sent, timeout: .seconds(10))
            #expect(try reports.map { try $0.get().offset } == [0, 1, 2])

            let consumer = try KafkaConsumer(
                configuration: .init(
                    bootstrapServers: cluster.bootstrapServers,
                    properties: TestSupport.consumerProperties()
                ),
                groupID: TestSupport.uniqueName("group"),
                rebalanceListener: nil,
                logger: TestSupport.logger()
            )
            try consumer.subscribe([topic])
            let received = try TestSupport.consume(consumer, count: 3, timeout: .seconds(15))
            try #require(received.count == 3)
            for (message, original) in zip(received, sent) {
                #expect(message.topic == topic && message.partition == 0)
                #expect(message.key == original.key)
                #expect(message.value == original.value)
                #expect(message.headers == original.headers)
                #expect(message.timestampMilliseconds == original.timestampMilliseconds)
            }
            consumer.close()
        }
    }

    @Test func deliveryReportsArriveOnceEachAndInOrderPerPartition() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("reports")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 3)
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let reports = Mutex<[(index: Int, report: DeliveryReport)]>([])
            let count = 600
            for index in 0..<count {
                let message = OutgoingMessage(topic: topic, key: "key-\(index % 17)".bytes, value: "\(index)".bytes)
                producer.produce(message) { result in
                    guard case .success(let report) = result else { return }
                    reports.withLock { $0.append((index, report)) }
                }
            }
            try producer.flush(timeout: .seconds(15))
            let arrived = reports.withLock { $0 }
            #expect(arrived.count == count)
            #expect(Set(arrived.map(\.index)).count == count)
            for partition in Int32(0)..<3 {
                let inPartition = arrived.filter { $0.report.partition == partition }
                #expect(inPartition.map(\.report.offset) == Array(0..<Int64(inPartition.count)))
                #expect(inPartition.map(\.index) == inPartition.map(\.index).sorted())
            }
            producer.close()
        }
    }

    @Test func keysLandOnTheJavaMurmur2Partition() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("murmur")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 12)
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            #expect(try producer.partitionCount(topic: topic, timeout: .seconds(5)) == 12)
            let keys = ["42:1001", "42:1002", "7:1", "", "a", "ab", "abc", "abcd", "event-with-a-longer-key:123456789"]
            let messages = (keys + keys).map { OutgoingMessage(topic: topic, key: $0.bytes, value: "v".bytes) }
            let partitions = try producer.produceAndWait(messages, timeout: .seconds(10)).map { try $0.get().partition }
            #expect(Array(partitions[..<keys.count]) == Array(partitions[keys.count...]))
            #expect(Array(partitions[..<keys.count]) == keys.map { javaPartition(forKey: $0, partitions: 12) })
            // Known values of Java's Utils.murmur2, guarding the oracle itself.
            #expect(javaMurmur2("21".bytes) == UInt32(bitPattern: -973932308))
            #expect(javaMurmur2("foobar".bytes) == UInt32(bitPattern: -790332482))
            producer.close()
        }
    }

    @Test func produceAndWaitDeliversTenThousandMessagesInInputOrder() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("bulk")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 6)
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let messages = (0..<10_000).map {
                OutgoingMessage(topic: topic, key: "member-\($0 % 500)".bytes, value: "\($0)".bytes)
            }
            let results = producer.produceAndWait(messages, timeout: .seconds(20))
            let reports = try results.map { try $0.get() }
            #expect(reports.count == 10_000)
            #expect(Set(reports.map { "\($0.partition)/\($0.offset)" }).count == 10_000)
            for (message, report) in zip(messages, reports) where message.key == messages[0].key {
                #expect(report.partition == reports[0].partition)
            }
            producer.close()
        }
    }

    @Test func aFullQueueMakesProduceWaitInsteadOfFailing() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("queuefull")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 2)
            let producer = try KafkaProducer(
                configuration: .init(
                    bootstrapServers: cluster.bootstrapServers,
                    properties: ["queue.buffering.max.messages": "5", "linger.ms": "20"]
                ),
                logger: TestSupport.logger()
            )
            let messages = (0..<300).map { OutgoingMessage(topic: topic, key: "\($0)".bytes, value: "\($0)".bytes) }
            let results = producer.produceAndWait(messages, timeout: .seconds(15))
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            producer.close()
        }
    }

    @Test func enqueueErrorsAreReportedOnceAsFailures() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("badpartition")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 2)
            let producer = try KafkaProducer(
                configuration: .init(
                    bootstrapServers: cluster.bootstrapServers,
                    properties: ["message.max.bytes": "1000"]
                ),
                logger: TestSupport.logger()
            )
            let results = producer.produceAndWait(
                [OutgoingMessage(topic: topic, key: nil, value: Array(repeating: 1, count: 5000))],
                timeout: .seconds(5)
            )
            guard case .failure(let error) = results[0] else {
                Issue.record("an oversized message was accepted")
                return
            }
            #expect(error.name == "MSG_SIZE_TOO_LARGE")
            producer.close()
            let afterClose = producer.produceAndWait(
                [OutgoingMessage(topic: topic, key: nil, value: [1])],
                timeout: .seconds(1)
            )
            #expect(throws: KafkaError.self) { try afterClose[0].get() }
        }
    }

    @Test func brokerDownThenUpStillDeliversEverythingExactlyOnce() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("outage")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 3)
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger(level: .critical)
            )
            let first = (0..<500).map { OutgoingMessage(topic: topic, key: "k\($0)".bytes, value: "\($0)".bytes) }
            let second = (500..<1000).map { OutgoingMessage(topic: topic, key: "k\($0)".bytes, value: "\($0)".bytes) }
            #expect(producer.produceAndWait(first, timeout: .seconds(10)).allSatisfy { (try? $0.get()) != nil })
            cluster.setBrokerDown(1)
            let pending = Mutex<[Result<DeliveryReport, KafkaError>]>([])
            for message in second { producer.produce(message) { result in pending.withLock { $0.append(result) } } }
            Thread.sleep(forTimeInterval: 1.5)
            cluster.setBrokerUp(1)
            try producer.flush(timeout: .seconds(15))
            let results = pending.withLock { $0 }
            #expect(results.count == 500 && results.allSatisfy { (try? $0.get()) != nil })

            let consumer = try KafkaConsumer(
                configuration: .init(
                    bootstrapServers: cluster.bootstrapServers,
                    properties: TestSupport.consumerProperties()
                ),
                groupID: TestSupport.uniqueName("group"),
                rebalanceListener: nil,
                logger: TestSupport.logger()
            )
            try consumer.subscribe([topic])
            let received = try TestSupport.consume(consumer, count: 1000, timeout: .seconds(15))
            #expect(received.count == 1000)
            #expect(Set(received.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }).count == 1000)
            #expect(try consumer.poll(timeout: .milliseconds(500)) == nil)
            consumer.close()
            producer.close()
        }
    }

    @Test func injectedRetriableProduceErrorsAreRetriedWithoutDuplicates() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("inject")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 1)
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger(level: .critical)
            )
            // ProduceRequest (api key 0): NOT_ENOUGH_REPLICAS (19) twice, then REQUEST_TIMED_OUT (7).
            cluster.pushRequestErrors(apiKey: 0, errors: [19, 19, 7])
            let messages = (0..<20).map { OutgoingMessage(topic: topic, key: nil, value: "\($0)".bytes) }
            let reports = try producer.produceAndWait(messages, timeout: .seconds(15)).map { try $0.get() }
            #expect(Set(reports.map(\.offset)) == Set(0..<20))
            producer.close()
        }
    }

    @Test func aFatalErrorFailsPendingAndLaterMessagesWithTheCause() async throws {
        try await onDedicatedThread {
            let topic = TestSupport.uniqueName("fatal")
            let cluster = try TestSupport.cluster(topic: topic, partitions: 1)
            // InitProducerId (api key 22) refused with CLUSTER_AUTHORIZATION_FAILED (31): fatal for an idempotent producer.
            cluster.pushRequestErrors(apiKey: 22, errors: [31])
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger(level: .critical)
            )
            let message = OutgoingMessage(topic: topic, key: nil, value: "payload-must-not-leak".bytes)
            for _ in 0..<2 {
                let result = producer.produceAndWait([message], timeout: .seconds(10))[0]
                let error = try #require(throws: KafkaError.self) { try result.get() }
                #expect(error.isFatal && error.name == "CLUSTER_AUTHORIZATION_FAILED" && !error.isRetriable)
                #expect(!"\(error)".contains("payload"))
            }
            producer.close(flushTimeout: .seconds(1))
        }
    }
}
