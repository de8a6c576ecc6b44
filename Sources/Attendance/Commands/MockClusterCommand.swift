import ArgumentParser
import CommandSupport
import Consumer
import Foundation
import Logging

/// A standalone Kafka-protocol cluster (librdkafka's mock) for local work and the fault suite: other processes
/// (`consume`, `relay`, kcat) connect to it like to any cluster. Not durable; keeps ~5 MB per partition.
struct MockClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-cluster",
        abstract:
            "Run an in-memory Kafka-protocol cluster with the topics of topics/ (for development and fault tests).",
        discussion: """
            Prints `bootstrap <servers>` on the first line, then reads commands on standard input:
            `down <broker>` / `up <broker>` take a broker (1…n) down or back. Runs until stdin closes or a signal.
            """
    )

    @Option(help: "Number of brokers.") var brokers = 3
    @Option(name: .customLong("topics-dir"), help: "Folder of topic specs.") var topicsDirectory = "topics"

    func run() async throws {
        guard (1...9).contains(brokers) else { throw ConfigurationError("--brokers must be 1...9") }
        let cluster = try KafkaMockCluster(brokers: brokers)
        _ = try TopicReconciler.apply(try TopicSpec.loadAll(from: URL(fileURLWithPath: topicsDirectory)), mock: cluster)
        say("bootstrap \(cluster.bootstrapServers)")
        try await Blocking.run("mock-cluster-stdin") {
            while let line = readLine() {
                let words = line.split(separator: " ")
                guard words.count == 2, let broker = Int32(words[1]), (1...Int32(brokers)).contains(broker) else {
                    say("error: expected `down <broker>` or `up <broker>` with broker 1...\(brokers)")
                    continue
                }
                switch words[0] {
                case "down":
                    cluster.setBrokerDown(broker)
                    say("broker \(broker) down")
                case "up":
                    cluster.setBrokerUp(broker)
                    say("broker \(broker) up")
                default:
                    say("error: unknown command \(words[0])")
                }
            }
        }
        withExtendedLifetime(cluster) {}
    }
}
