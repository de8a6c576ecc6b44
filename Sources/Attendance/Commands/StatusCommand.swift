import ArgumentParser
import CommandSupport
import Consumer
import Logging
import Operations

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "One screen for an operator: lag per partition, outbox backlog, rewards by state, DLQ counts, last errors.",
        discussion: """
            Reads the stored offsets, the outbox, the reward log and the component heartbeats from Postgres, and the \
            watermarks and oldest unprocessed messages from Kafka. Exit 0 when both answered; 1 (naming which) when \
            Postgres or Kafka cannot be reached.
            """
    )

    @OptionGroup var kafkaOptions: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var consumerGroup: GroupOptions

    @Flag(help: "Print one JSON object instead of the screen.")
    var json = false

    @Option(name: .customLong("timeout-ms"), help: "Bound of each Kafka request.")
    var timeoutMilliseconds = 5_000

    func run() async throws {
        let brokers = try kafkaOptions.requireBrokers()
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let group = try consumerGroup.resolvedGroupID()
        let kafka = kafkaOptions.kafkaConfiguration(brokers: brokers)
        guard timeoutMilliseconds > 0 else { throw ConfigurationError("--timeout-ms must be positive") }
        let timeout = Duration.milliseconds(timeoutMilliseconds)
        var logger = Logger(label: "attendance.status")
        logger.logLevel = .critical  // librdkafka's connection complaints would bury the answer; the error names it
        let quiet = logger
        let report = try await Blocking.run("status") {
            try StatusReport.collect(
                postgres: postgres,
                schema: schema,
                groupID: group,
                kafka: kafka,
                timeout: timeout,
                logger: quiet
            )
        }
        say(json ? try report.json() : report.text())
    }
}
