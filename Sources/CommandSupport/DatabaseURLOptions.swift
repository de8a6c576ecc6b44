import ArgumentParser
import Foundation
import Projections

/// Where Postgres is. The commands that also use the live schema take ``DatabaseOptions``; the benchmarks and the
/// fault suite bring schemas of their own and take only this.
package struct DatabaseURLOptions: ParsableArguments {
    package init() {}

    @Option(name: .customLong("database-url"), help: "libpq connection URI or conninfo string (env DATABASE_URL).")
    package var databaseURL: String?

    /// The connection string from `--database-url`, `DATABASE_URL` or the file `DATABASE_URL_FILE` names, parsed
    /// once; an unreadable or malformed one is a configuration error naming the setting it came from.
    package func requireDatabase() throws -> PostgresConfiguration {
        let (conninfo, setting) = try self.requireConnectionString()
        do {
            return try PostgresConfiguration(conninfo)
        } catch {
            throw ConfigurationError("\(setting): \(error.message)")
        }
    }

    private func requireConnectionString() throws -> (conninfo: String, setting: String) {
        if let url = Environment.nonEmpty(databaseURL) { return (url, "--database-url") }
        if let url = Environment.value(nil, "DATABASE_URL") { return (url, "DATABASE_URL") }
        if let file = Environment.nonEmpty(Environment.values["DATABASE_URL_FILE"]) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let url = Environment.nonEmpty(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw ConfigurationError("DATABASE_URL_FILE=\(file) cannot be read or is empty") }
            return (url, "DATABASE_URL_FILE")
        }
        throw ConfigurationError("no database: pass --database-url or set DATABASE_URL (a libpq URI or conninfo)")
    }
}
