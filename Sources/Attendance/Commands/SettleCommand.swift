import ArgumentParser
import CommandSupport
import Consumer
import Logging
import Operations
import ServiceLifecycle

struct SettleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Settle reward commands with the point and coupon APIs: paid exactly once per idempotency key.",
        discussion: """
            Consumes attendance.reward-commands.v1, calls the APIs with the reward's idempotency key, retries \
            transient failures with backoff (from the reward log, without holding the partition), parks rewards \
            after --max-attempts (see `attendance rewards list --status PARKED` and `rewards retry`).
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var rewards: RewardOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var operations: OperationsOptions

    func run() async throws {
        let brokers = try kafka.requireBrokers()
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let urls = try rewards.requireURLs()
        let logger = try log.logger(label: "attendance.settle")
        let (address, registry) = try operations.bootstrap(for: .settle)
        let settler = RewardSettler(
            configuration: try rewards.settlerConfiguration(
                kafka: kafka.kafkaConfiguration(brokers: brokers),
                postgres: postgres,
                schema: schema,
                urls: urls
            ),
            logger: logger
        )
        let surface = OperationsSurface(
            address: address,
            registry: registry,
            sampler: .init(postgres: postgres, schema: schema, kafka: kafka.kafkaConfiguration(brokers: brokers)),
            settler: settler,
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [settler, surface.sampler, surface.server],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await OperationsOptions.run(group)
    }
}
