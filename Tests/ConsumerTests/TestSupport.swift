import Consumer
import Foundation
import Logging
import Projections
import Synchronization

/// Test helpers: every blocking Kafka call runs on its own thread, never on the cooperative pool.
enum TestSupport {
    static func logger(_ label: String = "test", level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A 3-broker mock cluster with `topic` created.
    static func cluster(topic: String? = nil, partitions: Int = 3, brokers: Int = 3) throws -> KafkaMockCluster {
        let cluster = try KafkaMockCluster(brokers: brokers, logger: logger("mock"))
        if let topic { try cluster.createTopic(topic, partitions: partitions, replicationFactor: min(3, brokers)) }
        return cluster
    }

    static func consumerProperties(_ extra: [String: String] = [:]) -> [String: String] {
        // Short heartbeats and sessions so that group rebalances on the mock finish in a few seconds.
        ["heartbeat.interval.ms": "200", "session.timeout.ms": "3000", "topic.metadata.refresh.interval.ms": "1000"]
            .merging(extra) { $1 }
    }

    /// Polls `consumer` until `count` messages arrived or `timeout` passed.
    static func consume(_ consumer: KafkaConsumer, count: Int, timeout: Duration) throws -> [KafkaMessage] {
        let deadline = ContinuousClock.now + timeout
        var messages: [KafkaMessage] = []
        while messages.count < count, ContinuousClock.now < deadline {
            if let message = try consumer.poll(timeout: .milliseconds(100)) { messages.append(message) }
        }
        return messages
    }
}

/// Runs `body` on a dedicated thread and resumes with its result.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let thread = ThreadExecutor(name: "test-blocking")
    defer { thread.shutdown() }
    return try await thread.run(body)
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

/// Java's `Utils.murmur2` (Kafka's default partitioner), the oracle for librdkafka's `murmur2_random`.
func javaMurmur2(_ data: [UInt8]) -> UInt32 {
    let seed: UInt32 = 0x9747_b28c
    let m: UInt32 = 0x5bd1_e995
    let length = data.count
    var h = seed ^ UInt32(truncatingIfNeeded: length)
    for block in 0..<(length / 4) {
        let i = block * 4
        var k = UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
        k = k &* m
        k ^= k >> 24
        k = k &* m
        h = h &* m
        h ^= k
    }
    let tail = length & ~3
    switch length % 4 {
    case 3:
        h ^= UInt32(data[tail + 2]) << 16
        fallthrough
    case 2:
        h ^= UInt32(data[tail + 1]) << 8
        fallthrough
    case 1:
        h ^= UInt32(data[tail])
        h = h &* m
    default:
        break
    }
    h ^= h >> 13
    h = h &* m
    h ^= h >> 15
    return h
}

func javaPartition(forKey key: String, partitions: Int) -> Int32 {
    Int32((javaMurmur2(key.bytes) & 0x7fff_ffff) % UInt32(partitions))
}
