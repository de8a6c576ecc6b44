import Consumer
import Domain
import Foundation
import Logging
import Projections

/// The set-up steps shared by `migrate`, `topics apply`, `events apply`, `run` and the benchmarks.
package enum Setup {
    package static func migrate(postgres: PostgresConfiguration, schema: String, directory: URL) throws
        -> MigrationReport
    {
        let migrations = try Migration.load(from: directory)
        let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-migrate")
        defer { connection.close() }
        return try MigrationRunner(schema: schema).migrate(connection, migrations: migrations)
    }

    /// Reads and validates every file first; applies nothing unless all are valid.
    package static func loadPolicies(_ paths: [String]) throws -> [EventPolicy] {
        var policies: [EventPolicy] = []
        var problems: [String] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                problems.append("\(path): cannot be read")
                continue
            }
            do {
                policies.append(try EventPolicy.decode(json: data))
            } catch {
                problems.append(error.problems.map { "\(path): \($0.field): \($0.message)" }.joined(separator: "\n"))
            }
        }
        guard problems.isEmpty else {
            throw ConfigurationError("refused, nothing applied:\n" + problems.joined(separator: "\n"))
        }
        return policies
    }

    package static func apply(_ policies: [EventPolicy], postgres: PostgresConfiguration, schema: String) throws -> [(
        EventPolicy, EventApplyOutcome
    )] {
        let connection = try PostgresConnection.connect(
            postgres,
            applicationName: "attendance-events",
            searchPath: schema
        )
        defer { connection.close() }
        return try policies.map { ($0, try EventCatalog.apply($0, on: connection)) }
    }

    package static func drop(schema: String, postgres: PostgresConfiguration) throws {
        let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-bench")
        defer { connection.close() }
        try connection.executeScript("DROP SCHEMA IF EXISTS \(PostgresConnection.quoteIdentifier(schema)) CASCADE")
    }
}
