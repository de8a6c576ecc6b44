import Consumer
import Logging
import Projections
import Prometheus

/// What a service process adds to its service group for operators: the HTTP server (metrics, health) and the sampler
/// behind the gauges, readiness and heartbeats, wired to the components this process runs.
public struct OperationsSurface: Sendable {
    public let server: OperationsServer
    public let sampler: OperationsSampler

    public init(
        address: HTTPAddress,
        registry: PrometheusCollectorRegistry,
        sampler configuration: OperationsSampler.Configuration,
        consumers: [CheckInConsumer] = [],
        relay: OutboxRelay? = nil,
        settler: RewardSettler? = nil,
        rules: ReadinessRules = ReadinessRules(),
        logger: Logger
    ) {
        var configuration = configuration
        if let group = consumers.first?.configuration.groupID { configuration.checkInGroupID = group }
        configuration.samplesOutbox = configuration.samplesOutbox || relay != nil
        configuration.samplesRewards = configuration.samplesRewards || settler != nil

        var components: [OperationsSampler.Component] = []
        for (index, consumer) in consumers.enumerated() {
            components.append(
                .init(
                    name: "consumer",
                    instance: OperationsSampler.Component.instanceName(index: consumers.count > 1 ? index : nil),
                    lastError: { consumer.statistics.snapshot.lastError }
                )
            )
        }
        if let relay {
            components.append(
                .init(name: "relay", instance: OperationsSampler.Component.instanceName()) {
                    relay.statistics.lastError
                }
            )
        }
        if let settler {
            components.append(
                .init(name: "settler", instance: OperationsSampler.Component.instanceName()) {
                    settler.statistics.snapshot.lastError
                }
            )
        }
        let sampler = OperationsSampler(configuration: configuration, components: components, logger: logger)
        let startedAt = ContinuousClock.now
        self.sampler = sampler
        self.server = OperationsServer(address: address, registry: registry, logger: logger) {
            let seen = sampler.latest
            var inputs = ReadinessRules.Inputs(postgres: seen.postgres, kafka: seen.kafka)
            inputs.consumers = consumers.map(\.statistics.snapshot)
            inputs.consumersStartedAt = startedAt
            inputs.relay = relay?.statistics
            inputs.outbox = seen.outbox
            return rules.evaluate(inputs, now: .now)
        }
    }
}
