import ArgumentParser
import CommandSupport
import Projections

/// Where Postgres is and which schema holds the tables, for the commands that use the live tables.
struct DatabaseOptions: ParsableArguments {
    @OptionGroup var connection: DatabaseURLOptions

    @Option(name: .long, help: "Postgres schema holding the tables (env ATTENDANCE_SCHEMA, default event_platform).")
    var schema: String?

    func requireDatabase() throws -> PostgresConfiguration { try connection.requireDatabase() }

    /// True when neither `--schema` nor `ATTENDANCE_SCHEMA` names one.
    var usesDefaultSchema: Bool { Environment.value(schema, "ATTENDANCE_SCHEMA") == nil }

    func resolvedSchema() throws -> String {
        let schema = Environment.value(schema, "ATTENDANCE_SCHEMA") ?? "event_platform"
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw ConfigurationError("--schema / ATTENDANCE_SCHEMA \"\(schema)\" must match [a-z_][a-z0-9_]{0,62}")
        }
        return schema
    }
}
