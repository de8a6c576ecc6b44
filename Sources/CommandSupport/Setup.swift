import Consumer
import Domain
import Foundation
import Logging
import Projections

/// The set-up steps shared by `migrate`, `topics apply`, `events apply`, `run` and the benchmarks.
package enum Setup {
    /// Applies the migrations; with `publishes` (every schema services run on; not a replay's target) also
    /// creates the outbox's replication slot.
    package static func migrate(postgres: PostgresConfiguration, schema: String, directory: URL, publishes: Bool = true)
        throws -> MigrationReport
    {
        let migrations = try Migration.load(from: directory)
        let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-migrate")
        defer { connection.close() }
        let report = try MigrationRunner(schema: schema).migrate(connection, migrations: migrations)
        // The outbox's replication slot: created here, by the schema owner, before any service emits a message.
        if publishes { try MessageSlot(schema: schema).ensure(on: connection) }
        return report
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

    /// Drops a schema's outbox slot and keeps its tables (a benchmark's rows stay for a look; an unread slot would
    /// hold WAL back from then on).
    package static func releaseSlot(schema: String, postgres: PostgresConfiguration) throws {
        let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-bench")
        defer { connection.close() }
        try MessageSlot(schema: schema).drop(on: connection, force: true)
    }

    package static func drop(schema: String, postgres: PostgresConfiguration) throws {
        let connection = try PostgresConnection.connect(postgres, applicationName: "attendance-bench")
        defer { connection.close() }
        try connection.executeScript("DROP SCHEMA IF EXISTS \(PostgresConnection.quoteIdentifier(schema)) CASCADE")
        // A slot nobody reads keeps WAL forever.
        try MessageSlot(schema: schema).drop(on: connection, force: true)
    }
}
