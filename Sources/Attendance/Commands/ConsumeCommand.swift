import ArgumentParser
import CommandSupport
import Consumer
import Logging
import Operations
import ServiceLifecycle

struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume check-in requests into the attendance tables (one transaction per batch, exactly once)."
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var consumerGroup: GroupOptions
    @OptionGroup var tuning: ConsumerOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var operations: OperationsOptions

    func run() async throws {
        let brokers = try kafka.requireBrokers()
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let logger = try log.logger(label: "attendance.consume")
        let configuration = tuning.consumerConfiguration(
            kafka: kafka.kafkaConfiguration(brokers: brokers),
            groupID: try consumerGroup.resolvedGroupID(),
            postgres: postgres,
            schema: schema
        )
        let (address, registry) = try operations.bootstrap(for: .consume)
        let consumers = (0..<(try tuning.resolvedConsumers())).map { _ in
            CheckInConsumer(configuration: configuration, logger: logger)
        }
        let surface = OperationsSurface(
            address: address,
            registry: registry,
            sampler: .init(postgres: postgres, schema: schema, kafka: kafka.kafkaConfiguration(brokers: brokers)),
            consumers: consumers,
            logger: logger
        )
        let services: [any Service] = consumers + [surface.sampler, surface.server]
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await OperationsOptions.run(group)
    }
}

struct RelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Publish outbox rows to Kafka in order; one relay per schema publishes, others stand by."
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var operations: OperationsOptions

    func run() async throws {
        let brokers = try kafka.requireBrokers()
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let logger = try log.logger(label: "attendance.relay")
        let (address, registry) = try operations.bootstrap(for: .relay)
        let relay = OutboxRelay(
            configuration: OutboxRelay.Configuration(
                kafka: kafka.kafkaConfiguration(brokers: brokers),
                postgres: postgres,
                schema: schema
            ),
            logger: logger
        )
        let surface = OperationsSurface(
            address: address,
            registry: registry,
            sampler: .init(postgres: postgres, schema: schema, kafka: kafka.kafkaConfiguration(brokers: brokers)),
            relay: relay,
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [relay, surface.sampler, surface.server],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await OperationsOptions.run(group)
    }
}
