import ArgumentParser
import AttendanceAPI
import CommandSupport
import Consumer
import Foundation
import Logging
import Operations
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the read side over HTTP: submit check-ins, outcomes, member attendance, event summaries.",
        discussion: """
            An authenticated JSON API (bearer JWTs) described by the OpenAPI document it serves at /openapi.yaml. \
            Several instances can run side by side behind a load balancer. Metrics and health of the process are \
            served on --http-addr as for every service.
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var operations: OperationsOptions

    func run() async throws {
        let postgres = try database.requireDatabase()
        let brokers = try kafka.requireBrokers()
        let logger = try log.logger(label: "attendance.serve")
        let configuration = try api.configuration(
            kafka: kafka.kafkaConfiguration(brokers: brokers),
            postgres: postgres,
            schema: try database.resolvedSchema()
        )
        let (address, registry) = try operations.bootstrap(for: .serve)
        let server = try await Self.server(configuration, logger: logger)
        let health = OperationsServer(address: address, registry: registry, logger: logger) {
            server.readinessReport
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [server, health],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        say("API at http://\(configuration.address)/ (document: /openapi.yaml); metrics at http://\(address)/metrics")
        try await OperationsOptions.run(group)
    }

    /// The server, with a bad key or a missing document reported as a configuration error (exit 2).
    static func server(_ configuration: APIConfiguration, logger: Logger) async throws -> APIServer {
        do {
            return try await APIServer(configuration: configuration, logger: logger)
        } catch let error as APIConfigurationError {
            throw ConfigurationError(error.description)
        }
    }
}

extension APIServer {
    /// The API's readiness in the shape of the operations endpoint.
    var readinessReport: ReadinessReport {
        let checks = readiness.checks.sorted { $0.key < $1.key }
        return ReadinessReport(checks: checks.map { .init(name: $0.key, ok: $0.value == "ok", detail: $0.value) })
    }
}
