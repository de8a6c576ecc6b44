import Foundation
import Logging
import Operations
import Synchronization
import Testing

@Suite("Metrics ports: one default per service kind, port 0 logged", .timeLimit(.minutes(1)))
struct ServicePortTests {
    @Test func everyServiceKindHasItsOwnDefaultPortOnLoopback() {
        let ports = ServiceKind.allCases.map(\.defaultPort)
        #expect(Set(ports).count == ServiceKind.allCases.count)
        #expect(ServiceKind.run.defaultAddress == HTTPAddress(host: "127.0.0.1", port: 9464))
        #expect(ServiceKind.allCases.allSatisfy { $0.defaultAddress.host == "127.0.0.1" })
    }

    @Test func portZeroPicksAFreePortAndLogsIt() async throws {
        let records = LogRecords()
        var logger = Logger(label: "ports") { _ in records }
        logger.logLevel = .info
        let server = OperationsServer(
            address: HTTPAddress(host: "127.0.0.1", port: 0),
            registry: TestMetrics.registry,
            logger: logger
        ) {
            ReadinessRules().evaluate(
                ReadinessRules.Inputs(
                    postgres: SamplerObservation.Probe(lastSuccessAt: .now),
                    kafka: SamplerObservation.Probe(lastSuccessAt: .now)
                ),
                now: .now
            )
        }
        try await withServices([server]) {
            let port = try await server.listeningPort()
            #expect(port != 0)
            let logged = records.lines.withLock { $0 }.filter { $0.message == "serving metrics and health" }
            #expect(logged.map(\.address) == ["127.0.0.1:\(port)"])
        }
    }
}

/// Records what a logger is asked to log (message and `address` metadata).
final class LogRecords: LogHandler, Sendable {
    struct Line: Sendable {
        let message: String
        let address: String?
    }

    let lines = Mutex<[Line]>([])

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let address = event.metadata?["address"].map { "\($0)" }
        lines.withLock { $0.append(Line(message: "\(event.message)", address: address)) }
    }
}
