import CommandSupport
import Consumer
import Domain
import Foundation
import ServiceLifecycle

/// Prints one line every few seconds: what an operator watching the demo wants to see.
final class LiveSummary: Service, Sendable {
    private let consumers: [CheckInConsumer]
    private let relay: OutboxRelay
    private let generator: CheckInGenerator?
    private let settler: RewardSettler?
    private let interval: Duration

    init(
        consumers: [CheckInConsumer],
        relay: OutboxRelay,
        generator: CheckInGenerator?,
        settler: RewardSettler? = nil,
        interval: Duration = .seconds(2)
    ) {
        self.consumers = consumers
        self.relay = relay
        self.generator = generator
        self.settler = settler
        self.interval = interval
    }

    private var snapshot: CheckInStatistics.Snapshot {
        .combined(consumers.map(\.statistics.snapshot))
    }

    func run() async throws {
        var previous = snapshot.handled
        let seconds = Double(interval.components.seconds)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            let stats = snapshot
            let relayStats = relay.statistics
            let rate = Double(stats.handled - previous) / seconds
            previous = stats.handled
            let failures = FailReason.allCases.compactMap { reason in
                stats.failures[reason].map { "\(reason.rawValue)=\($0)" }
            }
            var line = String(format: "%7.0f req/s", rate)
            if let generator { line += " | produced \(generator.produced)" }
            line += " | logged \(stats.logged) | check-ins \(stats.successes) | rewards \(stats.rewardsEarned)"
            line += " | dup \(stats.duplicates) | dlq \(stats.deadLettered)"
            line += " | lag \(stats.lag.values.reduce(0, +)) | published \(relayStats.published)"
            if let settler {
                let r = settler.statistics.snapshot
                line += "\n          rewards: settled \(r.succeeded) | retried \(r.retried) | failed \(r.failed)"
                line += " | parked \(r.parked) | over budget \(r.budgetRefused) | calls \(r.attempts)"
            }
            if !failures.isEmpty { line += "\n          fails: " + failures.joined(separator: " ") }
            if let error = stats.lastError { line += "\n          last error: \(error)" }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
    }
}
