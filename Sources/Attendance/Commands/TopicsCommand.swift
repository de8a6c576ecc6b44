import ArgumentParser
import CommandSupport
import Consumer
import Foundation
import Logging

struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Manage the Kafka topics described in topics/.",
        subcommands: [Apply.self]
    )

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract:
                "Create missing topics through the Admin API and report existing ones that differ from their spec.",
            discussion: """
                Every topic is described and checked before anything changes; a refused override changes nothing \
                (exit 2). Partition counts are never changed (the topics are keyed: more partitions would move keys \
                and break per-key order), nor replication factors. With --alter, drift in \
                \(TopicReconciler.safeToAlter.sorted().joined(separator: ", ")) is set back to the spec through \
                AlterConfigs; every other difference is reported with the reason it is left alone \
                (exit 1 with --fail-on-drift).
                """
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var topicsFolder: TopicsFolderOptions

        @Option(
            name: .customLong("replication-factor"),
            help: """
                Replication factor of the topics created, instead of the specs' (a cluster with fewer brokers). \
                Refused if below that of an existing topic.
                """
        )
        var replicationFactor: Int?

        @Option(
            name: .customLong("min-insync-replicas"),
            help: """
                min.insync.replicas of the topics created, instead of the specs' (at most the replication factor). \
                Refused if below that of an existing topic.
                """
        )
        var minInsyncReplicas: Int?

        @Flag(help: "Set drifted retention, cleanup and max message size configs of existing topics back to the spec.")
        var alter = false

        @Flag(help: "Exit 1 when an existing topic still differs from its spec.")
        var failOnDrift = false

        func validate() throws {
            if let replicationFactor, replicationFactor < 1 {
                throw ConfigurationError("--replication-factor must be at least 1")
            }
            if let minInsyncReplicas, minInsyncReplicas < 1 {
                throw ConfigurationError("--min-insync-replicas must be at least 1")
            }
        }

        func run() async throws {
            let brokers = try kafka.requireBrokers()
            let specs = try TopicSpec.loadAll(from: topicsFolder.topicsURL())
            let configuration = kafka.kafkaConfiguration(brokers: brokers)
            let settings = TopicApplySettings(
                replicationFactor: replicationFactor,
                minInsyncReplicas: minInsyncReplicas,
                alter: alter
            )
            let logger = Logger(label: "attendance.topics")
            let report: TopicApplyReport
            do {
                report = try await Blocking.run("topics-apply") {
                    let admin = try KafkaAdmin(configuration: configuration, logger: logger)
                    return try TopicReconciler.apply(specs, admin: admin, settings: settings, timeout: .seconds(30))
                }
            } catch let error as TopicApplyError {
                throw ConfigurationError("refused, nothing changed: \(error)")
            }
            for name in report.created { print("created \(name)") }
            for finding in report.findings { print(finding) }
            let altered = report.findings.count - report.remainingDrift.count
            say(
                "\(specs.count) topics: \(report.created.count) created, \(altered) configs altered, "
                    + "\(report.remainingDrift.count) differences left"
            )
            if failOnDrift, !report.remainingDrift.isEmpty { throw ExitCode.failure }
        }
    }
}
