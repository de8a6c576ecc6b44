import CommandSupport
import Consumer
import Foundation
import Logging
import Projections
import ServiceLifecycle
import Synchronization

/// Feeds the embedded cluster with generated check-ins at a steady rate (the demo's upstream service).
final class CheckInGenerator: Service, Sendable {
    private let kafka: KafkaConfiguration
    private let topic: String
    private let rate: Int
    private let settings: CheckInWorkload.Settings
    private let logger: Logger
    private let producedCount = Atomic<Int>(0)

    init(
        kafka: KafkaConfiguration,
        topic: String,
        ratePerSecond: Int,
        settings: CheckInWorkload.Settings,
        logger: Logger
    ) {
        self.kafka = kafka
        self.topic = topic
        self.rate = ratePerSecond
        self.settings = settings
        self.logger = logger
    }

    var produced: Int { producedCount.load(ordering: .relaxed) }

    func run() async throws {
        // `produce` waits while librdkafka's queue is full and `close` flushes: both block, so the whole loop runs on
        // a thread of its own, never on the cooperative pool.
        let thread = ThreadExecutor(name: "check-in-generator")
        defer { thread.shutdown() }
        try await withTaskExecutorPreference(thread) { try await self.generate() }
    }

    private func generate() async throws {
        let clock = ContinuousClock()
        let producer = try KafkaProducer(configuration: kafka, logger: logger)
        defer { producer.close() }
        var workload = CheckInWorkload(settings)
        let tick = Duration.milliseconds(100)
        let perTick = max(1, rate / 10)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let started = clock.now
            for _ in 0..<perTick {
                guard let message = workload.next() else { return }
                producer.produce(
                    OutgoingMessage(topic: topic, key: message.key, value: message.value, headers: [], partition: nil)
                ) { [self] result in
                    if case .success = result { self.producedCount.add(1, ordering: .relaxed) }
                }
            }
            try? await Task.sleep(until: started.advanced(by: tick), clock: clock)
        }
    }
}
