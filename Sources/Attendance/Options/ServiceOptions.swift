import ArgumentParser
import Consumer
import Logging
import Projections

/// Tuning of the long-running services (`consume`, `relay`, `run`).
struct ServiceOptions: ParsableArguments {
    @Option(name: .customLong("batch-size"), help: "Most check-ins written per transaction.")
    var batchSize = 4_000

    @Option(name: .customLong("batch-wait-ms"), help: "How long a batch waits to fill before it is written anyway.")
    var batchWaitMilliseconds = 100

    @Option(help: "Consumer group members in this process, each with its own thread and connection (env ATTENDANCE_CONSUMERS, default 1).")
    var consumers: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env ATTENDANCE_LOG_LEVEL).")
    var logLevel: String?

    func validate() throws {
        guard (1...50_000).contains(batchSize) else { throw ConfigurationError("--batch-size must be 1...50000") }
        guard (1...60_000).contains(batchWaitMilliseconds) else {
            throw ConfigurationError("--batch-wait-ms must be 1...60000")
        }
    }

    func resolvedConsumers(_ options: ConnectionOptions) throws -> Int {
        let value = consumers ?? options.environment["ATTENDANCE_CONSUMERS"].flatMap { Int($0) } ?? 1
        guard (1...64).contains(value) else { throw ConfigurationError("--consumers / ATTENDANCE_CONSUMERS must be 1...64") }
        return value
    }

    func logger(label: String, options: ConnectionOptions) throws -> Logger {
        let name = logLevel ?? options.environment["ATTENDANCE_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: name) else {
            throw ConfigurationError("--log-level / ATTENDANCE_LOG_LEVEL \"\(name)\" is not a log level")
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    func consumerConfiguration(
        _ options: ConnectionOptions,
        brokers: String,
        databaseURL: String
    ) throws -> CheckInConsumer.Configuration {
        var configuration = CheckInConsumer.Configuration(
            kafka: options.kafkaConfiguration(brokers: brokers),
            groupID: try options.resolvedGroupID(),
            databaseURL: databaseURL,
            schema: try options.resolvedSchema()
        )
        configuration.maxBatchSize = batchSize
        configuration.maxBatchWait = .milliseconds(batchWaitMilliseconds)
        return configuration
    }

    func relayConfiguration(
        _ options: ConnectionOptions,
        brokers: String,
        databaseURL: String
    ) throws -> OutboxRelay.Configuration {
        OutboxRelay.Configuration(
            kafka: options.kafkaConfiguration(brokers: brokers),
            databaseURL: databaseURL,
            schema: try options.resolvedSchema()
        )
    }
}
