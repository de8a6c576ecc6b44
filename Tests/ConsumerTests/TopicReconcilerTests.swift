import Consumer
import Foundation
import Testing

@Suite("TopicReconciler on the mock cluster", .timeLimit(.minutes(5)))
struct TopicReconcilerTests {
    static func specs(_ texts: [String: String]) throws -> [TopicSpec] {
        let directory = try TopicSpecTests.directory(texts)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try TopicSpec.loadAll(from: directory)
    }

    @Test func mockApplyCreatesMissingTopicsOnceWithCappedReplication() async throws {
        try await onDedicatedThread {
            let cluster = try TestSupport.cluster(brokers: 2)
            let specs = try Self.specs([
                "a.json": TopicSpecTests.spec(name: "reconcile.a", partitions: 4, replicationFactor: 3),
                "b.json": TopicSpecTests.spec(name: "reconcile.b", partitions: 2, replicationFactor: 1),
            ])
            #expect(try TopicReconciler.apply(specs, mock: cluster) == ["reconcile.a", "reconcile.b"])
            #expect(try TopicReconciler.apply(specs, mock: cluster).isEmpty)
            let admin = try KafkaAdmin(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            #expect(
                try admin.describeTopic(name: "reconcile.a", timeout: .seconds(5))
                    == TopicDescription(name: "reconcile.a", partitions: 4, replicationFactor: 2)
            )
        }
    }

    @Test func adminApplyReportsDriftWithoutAlteringTopics() async throws {
        try await onDedicatedThread {
            let cluster = try TestSupport.cluster()
            try cluster.createTopic("drift.same", partitions: 3, replicationFactor: 3)
            try cluster.createTopic("drift.changed", partitions: 6, replicationFactor: 3)
            let admin = try KafkaAdmin(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let specs = try Self.specs([
                "same.json": TopicSpecTests.spec(name: "drift.same"),
                "changed.json": TopicSpecTests.spec(name: "drift.changed", partitions: 12, replicationFactor: 1),
            ])
            let result = try TopicReconciler.apply(specs, admin: admin, timeout: .seconds(5))
            #expect(result.created.isEmpty)
            #expect(
                Set(result.drift) == [
                    TopicDrift(topic: "drift.changed", field: "partitions", expected: "12", actual: "6"),
                    TopicDrift(topic: "drift.changed", field: "replication_factor", expected: "1", actual: "3"),
                ]
            )
            #expect(try admin.describeTopic(name: "drift.changed", timeout: .seconds(5))?.partitions == 6)
        }
    }

    @Test func adminApplyNeedsTheAdminAPIsForMissingTopicsAndConfigs() async throws {
        try await onDedicatedThread {
            let cluster = try TestSupport.cluster(topic: "configs.present")
            let admin = try KafkaAdmin(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let missing = try Self.specs(["m.json": TopicSpecTests.spec(name: "configs.missing")])
            let withConfigs = try Self.specs([
                "p.json": TopicSpecTests.spec(name: "configs.present", configs: #"{"retention.ms": "1000"}"#)
            ])
            for specs in [missing, withConfigs] {
                let error = try #require(throws: KafkaError.self) {
                    try TopicReconciler.apply(specs, admin: admin, timeout: .seconds(5))
                }
                #expect(error.name == "_UNSUPPORTED_FEATURE")
            }
        }
    }

    @Test func alterAndOverridesFailFastWhereTheClusterHasNoAdminAPI() async throws {
        // The mock cluster answers neither DescribeConfigs nor AlterConfigs: --alter must fail at once with the
        // reason, not wait for a controller; the decisions themselves are in TopicDecisionTests.
        try await onDedicatedThread {
            let cluster = try TestSupport.cluster(topic: "alter.present")
            let admin = try KafkaAdmin(
                configuration: .init(bootstrapServers: cluster.bootstrapServers),
                logger: TestSupport.logger()
            )
            let error = try #require(throws: KafkaError.self) {
                try admin.alterConfigs(topic: "alter.present", configs: ["retention.ms": "1000"], timeout: .seconds(5))
            }
            #expect(error.name == "_UNSUPPORTED_FEATURE")
            let specs = try Self.specs([
                "p.json": TopicSpecTests.spec(name: "alter.present", configs: #"{"retention.ms": "1000"}"#)
            ])
            let applyError = try #require(throws: KafkaError.self) {
                try TopicReconciler.apply(
                    specs,
                    admin: admin,
                    settings: TopicApplySettings(replicationFactor: 1, minInsyncReplicas: 1, alter: true),
                    timeout: .seconds(5)
                )
            }
            #expect(applyError.name == "_UNSUPPORTED_FEATURE")
        }
    }
}
