import ArgumentParser
import Foundation

/// Where Postgres is. The commands that also use the live schema take ``DatabaseOptions``; the benchmarks and the
/// fault suite bring schemas of their own and take only this.
struct DatabaseURLOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq connection URI or conninfo string (env DATABASE_URL).")
    var databaseURL: String?

    func requireDatabaseURL() throws -> String {
        if let url = Environment.value(databaseURL, "DATABASE_URL") { return url }
        if let file = Environment.nonEmpty(Environment.values["DATABASE_URL_FILE"]) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let url = Environment.nonEmpty(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw ConfigurationError("DATABASE_URL_FILE=\(file) cannot be read or is empty") }
            return url
        }
        throw ConfigurationError("no database: pass --database-url or set DATABASE_URL (a libpq URI or conninfo)")
    }
}
