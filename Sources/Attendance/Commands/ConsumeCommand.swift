import ArgumentParser
import Consumer
import Logging
import Operations
import ServiceLifecycle

struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume check-in requests into the attendance tables (one transaction per batch, exactly once)."
    )

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var service: ServiceOptions
    @OptionGroup var operations: OperationsOptions

    func run() async throws {
        let brokers = try options.requireBrokers()
        let databaseURL = try options.requireDatabaseURL()
        let logger = try service.logger(label: "attendance.consume", options: options)
        let configuration = try service.consumerConfiguration(options, brokers: brokers, databaseURL: databaseURL)
        let (address, registry) = try operations.bootstrap()
        let consumers = (0..<(try service.resolvedConsumers(options))).map { _ in
            CheckInConsumer(configuration: configuration, logger: logger)
        }
        let surface = OperationsSurface(
            address: address,
            registry: registry,
            sampler: try .init(options, brokers: brokers, databaseURL: databaseURL),
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

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var service: ServiceOptions
    @OptionGroup var operations: OperationsOptions

    func run() async throws {
        let brokers = try options.requireBrokers()
        let databaseURL = try options.requireDatabaseURL()
        let logger = try service.logger(label: "attendance.relay", options: options)
        let (address, registry) = try operations.bootstrap()
        let relay = OutboxRelay(
            configuration: try service.relayConfiguration(options, brokers: brokers, databaseURL: databaseURL),
            logger: logger
        )
        let surface = OperationsSurface(
            address: address,
            registry: registry,
            sampler: try .init(options, brokers: brokers, databaseURL: databaseURL),
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
