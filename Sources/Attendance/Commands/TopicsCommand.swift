import ArgumentParser
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
            abstract: "Create missing topics through the Admin API and report existing ones that differ from their spec.",
            discussion: "Existing topics are never altered; a difference is reported (exit 1 with --fail-on-drift)."
        )

        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var topicsFolder: TopicsFolderOptions

        @Flag(help: "Exit 1 when an existing topic differs from its spec.")
        var failOnDrift = false

        func run() async throws {
            let brokers = try kafka.requireBrokers()
            let specs = try TopicSpec.loadAll(from: topicsFolder.topicsURL())
            let configuration = kafka.kafkaConfiguration(brokers: brokers)
            let logger = Logger(label: "attendance.topics")
            let (created, drift) = try await Blocking.run("topics-apply") {
                let admin = try KafkaAdmin(configuration: configuration, logger: logger)
                return try TopicReconciler.apply(specs, admin: admin, timeout: .seconds(30))
            }
            for name in created { print("created \(name)") }
            for difference in drift { print("drift \(difference)") }
            say("\(specs.count) topics: \(created.count) created, \(drift.count) differences")
            if failOnDrift, !drift.isEmpty { throw ExitCode.failure }
        }
    }
}
