import ArgumentParser
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

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var service: ServiceOptions
    @OptionGroup var rewards: RewardOptions
    @OptionGroup var operations: OperationsOptions

    func run() async throws {
        let brokers = try options.requireBrokers()
        let databaseURL = try options.requireDatabaseURL()
        let urls = try rewards.requireURLs()
        let logger = try service.logger(label: "attendance.settle", options: options)
        let (address, registry) = try operations.bootstrap()
        let settler = RewardSettler(
            configuration: try rewards.settlerConfiguration(options, brokers: brokers, databaseURL: databaseURL, urls: urls),
            logger: logger
        )
        let surface = OperationsSurface(
            address: address,
            registry: registry,
            sampler: try .init(options, brokers: brokers, databaseURL: databaseURL),
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
