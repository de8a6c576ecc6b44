import ArgumentParser
import CommandSupport
import FakeRewardAPI
import Logging
import ServiceLifecycle

struct FakeRewardAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-reward-api",
        abstract: "Serve a fake of the point and coupon APIs (idempotent, with injectable faults) for demos and tests.",
        discussion: """
            POST /v1/points/grants and /v1/coupons/issues as in PRODUCT §4; GET /v1/ledger/summary shows what it \
            paid. Point ATTENDANCE_POINTS_API_URL and ATTENDANCE_COUPONS_API_URL at the printed address.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8085
    @Option(name: .customLong("latency-ms"), help: "Latency added to every request.") var latencyMilliseconds = 0
    @Option(name: .customLong("server-error-rate"), help: "Share of requests answered 503 (0...1).")
    var serverErrorRate = 0.0
    @Option(name: .customLong("throttle-rate"), help: "Share of requests answered 429 (0...1).") var throttleRate = 0.0
    @Option(name: .customLong("timeout-rate"), help: "Share of requests that hang before being handled (0...1).")
    var timeoutRate = 0.0
    @Option(name: .customLong("dropped-response-rate"), help: "Share of requests paid whose response hangs (0...1).")
    var droppedResponseRate = 0.0
    @Option(name: .customLong("hang-ms"), help: "How long timeouts and dropped responses hang.") var hangMilliseconds =
        10_000

    func run() async throws {
        var faults = FakeRewardFaults()
        faults.latency = .milliseconds(latencyMilliseconds)
        faults.serverErrorRate = serverErrorRate
        faults.throttleRate = throttleRate
        faults.timeoutRate = timeoutRate
        faults.droppedResponseRate = droppedResponseRate
        faults.hangDuration = .milliseconds(hangMilliseconds)
        guard faults.problems.isEmpty else { throw ConfigurationError(faults.problems.joined(separator: "; ")) }
        guard (0...65_535).contains(port) else { throw ConfigurationError("--port must be 0...65535") }
        var logger = Logger(label: "attendance.fake-reward-api")
        logger.logLevel = .info
        let server = FakeRewardServer(configuration: .init(host: host, port: port, faults: faults), logger: logger)
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await serviceGroup.run() }
            say("fake reward API at \(try await server.baseURL()) (Ctrl-C stops)")
            try await group.waitForAll()
        }
    }
}
