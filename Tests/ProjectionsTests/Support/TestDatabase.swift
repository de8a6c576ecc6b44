import Foundation
import Projections

/// Why a database test could not even start. Thrown (never skipped) so a missing server fails the run.
struct TestDatabaseUnavailable: Error, CustomStringConvertible {
    let description: String
}

/// The real PostgreSQL server named by `DATABASE_URL`.
enum TestDatabase {
    static let howToStart = """
        Start PostgreSQL and export DATABASE_URL with `source scripts/setup.sh` in the repository root \
        (it installs and starts a local server and prints the URL), then run `swift test` again.
        """

    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw TestDatabaseUnavailable(description: "DATABASE_URL is not set. \(Self.howToStart)")
        }
        return url
    }

    /// A new connection; a server that cannot be reached is a setup error, not a test result.
    static func connect(searchPath: String? = nil) throws -> PostgresConnection {
        let url = try Self.url()
        do {
            return try PostgresConnection.connect(
                PostgresConfiguration(url),
                applicationName: "attendance-tests",
                searchPath: searchPath
            )
        } catch {
            throw TestDatabaseUnavailable(description: "cannot connect to DATABASE_URL: \(error). \(Self.howToStart)")
        }
    }

    /// Runs `body` with a fresh schema `test_<random>` (created unless `create` is false) and drops it
    /// afterwards, from a connection of its own in case the test broke its connections.
    static func withSchema<T>(create: Bool = true, _ body: (TestSchema) async throws -> T) async throws -> T {
        let schema = TestSchema(name: "test_" + UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(16))
        let admin = try Self.connect()
        defer {
            _ = try? admin.execute("DROP SCHEMA IF EXISTS \(PostgresConnection.quoteIdentifier(schema.name)) CASCADE")
            admin.close()
        }
        if create {
            try admin.execute("CREATE SCHEMA \(PostgresConnection.quoteIdentifier(schema.name))")
        }
        return try await body(schema)
    }
}

struct TestSchema: Sendable {
    let name: String

    /// A connection whose `search_path` is this schema.
    func connect() throws -> PostgresConnection {
        try TestDatabase.connect(searchPath: self.name)
    }
}

/// A scratch directory of migration files, removed by `remove()`.
struct MigrationDirectory {
    let url: URL

    init(_ files: [String: String]) throws {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
        for (name, sql) in files {
            try self.write(name, sql)
        }
    }

    func write(_ name: String, _ sql: String) throws {
        try Data(sql.utf8).write(to: self.url.appendingPathComponent(name))
    }

    func remove() {
        try? FileManager.default.removeItem(at: self.url)
    }
}

/// `Thread.current` is unavailable in async code; tests read it through this synchronous function.
func currentThreadName() -> String? {
    Thread.current.name
}
