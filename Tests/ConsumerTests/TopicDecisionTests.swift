import Consumer
import Foundation
import Testing

/// The decisions of `topics apply` as pure logic: the mock cluster answers neither CreateTopics, DescribeConfigs nor
/// AlterConfigs, so what it would send is checked here.
@Suite("topics apply decisions", .timeLimit(.minutes(1)))
struct TopicDecisionTests {
    static let configs = #"{"cleanup.policy": "delete", "retention.ms": "604800000", "min.insync.replicas": "2"}"#

    static func spec(partitions: Int = 12, replicationFactor: Int = 3, configs: String = configs) throws -> TopicSpec {
        let text = TopicSpecTests.spec(
            name: "t.v1",
            partitions: partitions,
            replicationFactor: replicationFactor,
            configs: configs
        )
        return try JSONDecoder().decode(TopicSpec.self, from: Data(text.utf8))
    }

    static func existing(partitions: Int = 12, replicationFactor: Int = 3) -> TopicDescription {
        TopicDescription(name: "t.v1", partitions: partitions, replicationFactor: replicationFactor)
    }

    static func entries(_ overrides: [String: String], inherited: [String: String] = [:]) -> [TopicConfigEntry] {
        overrides.map { TopicConfigEntry(name: $0.key, value: $0.value, isTopicOverride: true) }
            + inherited.map { TopicConfigEntry(name: $0.key, value: $0.value, isTopicOverride: false) }
    }

    static let inLine = ["cleanup.policy": "delete", "retention.ms": "604800000", "min.insync.replicas": "2"]

    // MARK: Creating

    @Test func createsAsSpecifiedWithoutOverrides() throws {
        let creation = try TopicReconciler.creation(try Self.spec(), settings: TopicApplySettings())
        #expect(creation.partitions == 12 && creation.replicationFactor == 3)
        #expect(creation.configs == Self.inLine)
    }

    @Test func aSmallerClusterGetsTheOverrides() throws {
        let settings = TopicApplySettings(replicationFactor: 1, minInsyncReplicas: 1)
        let creation = try TopicReconciler.creation(try Self.spec(), settings: settings)
        #expect(creation.partitions == 12, "overrides never touch the partition count")
        #expect(creation.replicationFactor == 1)
        #expect(creation.configs["min.insync.replicas"] == "1")
        #expect(creation.configs["retention.ms"] == "604800000")
    }

    @Test func aReplicationFactorBelowTheSpecsMinInsyncIsRefusedNamingTheFlag() throws {
        let error = try #require(throws: TopicApplyError.self) {
            try TopicReconciler.creation(try Self.spec(), settings: TopicApplySettings(replicationFactor: 1))
        }
        #expect(error.problem.contains("--min-insync-replicas 1"))
    }

    @Test(arguments: [TopicApplySettings(replicationFactor: 0), TopicApplySettings(minInsyncReplicas: 0)])
    func overridesBelowOneAreRefused(settings: TopicApplySettings) throws {
        #expect(throws: TopicApplyError.self) { try TopicReconciler.creation(try Self.spec(), settings: settings) }
    }

    // MARK: Existing topics

    @Test func overridesThatWouldWeakenAnExistingTopicAreRefused() throws {
        let spec = try Self.spec()
        let lowerReplication = try #require(throws: TopicApplyError.self) {
            try TopicReconciler.plan(
                spec,
                existing: Self.existing(),
                configs: Self.entries(Self.inLine),
                settings: TopicApplySettings(replicationFactor: 1)
            )
        }
        #expect(lowerReplication.problem.contains("replication factor 3"))
        let lowerMinInsync = try #require(throws: TopicApplyError.self) {
            try TopicReconciler.plan(
                spec,
                existing: Self.existing(),
                configs: Self.entries(Self.inLine),
                settings: TopicApplySettings(minInsyncReplicas: 1)
            )
        }
        #expect(lowerMinInsync.problem.contains("min.insync.replicas 2"))
    }

    @Test func overridesThatMatchAnExistingSmallTopicReportNoDrift() throws {
        var overrides = Self.inLine
        overrides["min.insync.replicas"] = "1"
        let plan = try TopicReconciler.plan(
            try Self.spec(),
            existing: Self.existing(replicationFactor: 1),
            configs: Self.entries(overrides),
            settings: TopicApplySettings(replicationFactor: 1, minInsyncReplicas: 1)
        )
        #expect(plan.findings.isEmpty)
        #expect(plan.alterConfigs == nil)
    }

    @Test func thePartitionCountOfAKeyedTopicIsNeverChangedAndTheReportSaysWhy() throws {
        let plan = try TopicReconciler.plan(
            try Self.spec(partitions: 24),
            existing: Self.existing(partitions: 12),
            configs: Self.entries(Self.inLine),
            settings: TopicApplySettings(alter: true)
        )
        #expect(plan.alterConfigs == nil)
        let finding = try #require(plan.findings.first)
        #expect(plan.findings.count == 1)
        #expect(finding.drift == TopicDrift(topic: "t.v1", field: "partitions", expected: "24", actual: "12"))
        guard case .leftAsIs(let why) = finding.resolution else {
            Issue.record("a partition change was planned")
            return
        }
        #expect(why.contains("keyed") && why.contains("order"))
    }

    @Test func safeDriftIsOnlyReportedWithoutAlter() throws {
        var drifted = Self.inLine
        drifted["retention.ms"] = "86400000"
        let plan = try TopicReconciler.plan(
            try Self.spec(),
            existing: Self.existing(),
            configs: Self.entries(drifted),
            settings: TopicApplySettings()
        )
        #expect(plan.alterConfigs == nil)
        #expect(plan.findings.map(\.drift.field) == ["configs.retention.ms"])
        #expect(plan.findings.allSatisfy { !$0.isResolved })
    }

    @Test func alterSendsEveryTopicOverrideWithTheSafeChangesMergedIn() throws {
        // AlterConfigs resets what it is not sent: the topic's other overrides (segment.ms here) must go along;
        // inherited broker defaults must not be pinned on the topic.
        var drifted = Self.inLine
        drifted["retention.ms"] = "86400000"
        drifted["cleanup.policy"] = "compact"
        drifted["segment.ms"] = "3600000"
        let plan = try TopicReconciler.plan(
            try Self.spec(),
            existing: Self.existing(),
            configs: Self.entries(drifted, inherited: ["max.message.bytes": "1048588"]),
            settings: TopicApplySettings(alter: true)
        )
        #expect(
            plan.alterConfigs == [
                "cleanup.policy": "delete", "retention.ms": "604800000", "min.insync.replicas": "2",
                "segment.ms": "3600000",
            ]
        )
        #expect(Set(plan.findings.map(\.drift.field)) == ["configs.cleanup.policy", "configs.retention.ms"])
        #expect(plan.findings.allSatisfy { $0.isResolved })
    }

    @Test func minInsyncReplicasDriftIsNeverAltered() throws {
        var drifted = Self.inLine
        drifted["min.insync.replicas"] = "1"
        let plan = try TopicReconciler.plan(
            try Self.spec(),
            existing: Self.existing(),
            configs: Self.entries(drifted),
            settings: TopicApplySettings(alter: true)
        )
        #expect(plan.alterConfigs == nil)
        #expect(plan.findings.map(\.drift.field) == ["configs.min.insync.replicas"])
        #expect(plan.findings.allSatisfy { !$0.isResolved })
    }

    @Test func aWithheldSensitiveOverrideBlocksTheAlteration() throws {
        var drifted = Self.inLine
        drifted["retention.ms"] = "86400000"
        let entries =
            Self.entries(drifted) + [
                TopicConfigEntry(name: "some.secret", value: nil, isTopicOverride: true, isSensitive: true)
            ]
        let plan = try TopicReconciler.plan(
            try Self.spec(),
            existing: Self.existing(),
            configs: entries,
            settings: TopicApplySettings(alter: true)
        )
        #expect(plan.alterConfigs == nil)
        #expect(plan.findings.map(\.drift.field) == ["configs.retention.ms"])
        #expect(plan.findings.allSatisfy { !$0.isResolved })
    }

    @Test func readOnlyOverridesAreNotSentBack() {
        let entries = [
            TopicConfigEntry(name: "retention.ms", value: "1", isTopicOverride: true),
            TopicConfigEntry(name: "message.format.version", value: "3.0", isTopicOverride: true, isReadOnly: true),
        ]
        #expect(TopicReconciler.alterations(["retention.ms": "2"], current: entries) == ["retention.ms": "2"])
    }
}
