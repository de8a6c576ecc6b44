import Consumer
import Foundation
import Testing

/// What librdkafka 2.0.2's mock cluster answers: metadata yes (partitions, replica counts, missing topics; the replica
/// count is always min(3, brokers) whatever was requested), but its
/// metadata names controller 0 while its brokers are 1…n, so controller-bound Admin APIs (CreateTopics,
/// DescribeConfigs) would wait for a controller until they time out. KafkaAdmin fails those fast instead.
@Suite("KafkaAdmin against the mock cluster", .timeLimit(.minutes(5)))
struct KafkaAdminTests {
    @Test func metadataDescribesExistingAndMissingTopics() async throws {
        try await onDedicatedThread {
            let cluster = try TestSupport.cluster()
            try cluster.createTopic("admin.described", partitions: 5, replicationFactor: 2)
            let admin = try KafkaAdmin(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let description = try admin.describeTopic(name: "admin.described", timeout: .seconds(5))
            // 2.0.2's mock ignores the requested replication factor: every partition gets min(3, brokers) replicas.
            #expect(description == TopicDescription(name: "admin.described", partitions: 5, replicationFactor: 3))
            #expect(try admin.describeTopic(name: "admin.missing", timeout: .seconds(5)) == nil)
            // Asking did not auto-create it.
            #expect(try admin.describeTopic(name: "admin.missing", timeout: .seconds(5)) == nil)
        }
    }

    @Test func controllerBoundCallsFailFastWithAClearError() async throws {
        try await onDedicatedThread {
            let cluster = try TestSupport.cluster(topic: "admin.configs")
            let admin = try KafkaAdmin(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let started = ContinuousClock.now
            let createError = try #require(throws: KafkaError.self) {
                try admin.createTopic(
                    name: "admin.new",
                    partitions: 1,
                    replicationFactor: 1,
                    configs: [:],
                    timeout: .seconds(10)
                )
            }
            let describeError = try #require(throws: KafkaError.self) {
                try admin.describeConfigs(topic: "admin.configs", timeout: .seconds(10))
            }
            #expect(ContinuousClock.now - started < .seconds(3))
            for error in [createError, describeError] {
                #expect(error.name == "_UNSUPPORTED_FEATURE")
                #expect(error.message.contains("controller"))
            }
            #expect(createError.message.contains("CreateTopics admin.new"))
        }
    }

    @Test func aTopicMissingFromMetadataIsAnErrorForPartitionCount() async throws {
        try await onDedicatedThread {
            let cluster = try TestSupport.cluster()
            let producer = try KafkaProducer(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let error = try #require(throws: KafkaError.self) {
                try producer.partitionCount(topic: "nope", timeout: .seconds(5))
            }
            #expect(error.name == "_UNKNOWN_TOPIC")
            producer.close()
        }
    }
}
