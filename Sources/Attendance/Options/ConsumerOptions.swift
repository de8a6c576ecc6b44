import ArgumentParser
import CommandSupport
import Consumer
import Projections

/// Tuning of the check-in consumers (`consume`, `run`, `replay topic`).
struct ConsumerOptions: ParsableArguments {
    @Option(name: .customLong("batch-size"), help: "Most check-ins written per transaction.")
    var batchSize = 4_000

    @Option(name: .customLong("batch-wait-ms"), help: "How long a batch waits to fill before it is written anyway.")
    var batchWaitMilliseconds = 100

    @Option(
        name: .customLong("batch-linger-ms"),
        help: "Once a batch holds check-ins, how long it waits for the next before it is written (0...batch wait)."
    )
    var batchLingerMilliseconds = 5

    @Option(
        help:
            "Consumer group members in this process, each with its own thread and connection (env ATTENDANCE_CONSUMERS, default 1)."
    )
    var consumers: Int?

    func validate() throws {
        guard (1...50_000).contains(batchSize) else { throw ConfigurationError("--batch-size must be 1...50000") }
        guard (1...60_000).contains(batchWaitMilliseconds) else {
            throw ConfigurationError("--batch-wait-ms must be 1...60000")
        }
        guard (0...batchWaitMilliseconds).contains(batchLingerMilliseconds) else {
            throw ConfigurationError("--batch-linger-ms must be 0...--batch-wait-ms")
        }
    }

    func resolvedConsumers() throws -> Int {
        let value = consumers ?? Environment.values["ATTENDANCE_CONSUMERS"].flatMap { Int($0) } ?? 1
        guard (1...64).contains(value) else {
            throw ConfigurationError("--consumers / ATTENDANCE_CONSUMERS must be 1...64")
        }
        return value
    }

    func consumerConfiguration(
        kafka: KafkaConfiguration,
        groupID: String,
        postgres: PostgresConfiguration,
        schema: String
    ) -> CheckInConsumer.Configuration {
        var configuration = CheckInConsumer.Configuration(
            kafka: kafka,
            groupID: groupID,
            postgres: postgres,
            schema: schema
        )
        configuration.maxBatchSize = batchSize
        configuration.maxBatchWait = .milliseconds(batchWaitMilliseconds)
        configuration.batchLinger = .milliseconds(batchLingerMilliseconds)
        return configuration
    }
}
