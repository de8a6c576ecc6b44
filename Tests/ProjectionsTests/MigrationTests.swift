import Foundation
import Projections
import Testing

@Suite("Migrations", .timeLimit(.minutes(5)))
struct MigrationTests {
    static let initialFiles = [
        "0001_create_members.sql": "CREATE TABLE members (id bigint PRIMARY KEY, name text NOT NULL);\n",
        "0002_add_nickname.sql": """
        ALTER TABLE members ADD COLUMN nickname text;
        CREATE INDEX members_nickname ON members (nickname);
        """,
        "README.md": "not a migration",
    ]

    @Test func loadsFilesInVersionOrder() throws {
        let directory = try MigrationDirectory(Self.initialFiles.merging(["0010_later.sql": "SELECT 1;"]) { $1 })
        defer { directory.remove() }
        let migrations = try Migration.load(from: directory.url)
        #expect(migrations.map(\.version) == [1, 2, 10])
        #expect(migrations.map(\.name) == ["create_members", "add_nickname", "later"])
        #expect(migrations.map(\.fileName) == ["0001_create_members.sql", "0002_add_nickname.sql", "0010_later.sql"])
        #expect(migrations[0].sql == Self.initialFiles["0001_create_members.sql"])
    }

    @Test(arguments: ["1_short.sql", "0001-dash.sql", "0001_Upper.sql", "0000_zero.sql", "abcd_x.sql", "0001_.sql"])
    func refusesBadFileNames(fileName: String) throws {
        let directory = try MigrationDirectory(["0002_fine.sql": "SELECT 1;", fileName: "SELECT 1;"])
        defer { directory.remove() }
        let error = #expect(throws: MigrationError.self) { try Migration.load(from: directory.url) }
        #expect(error?.code == .invalidFileName)
        #expect(error?.file == fileName)
        #expect(error?.description.contains(fileName) == true)
    }

    @Test func refusesDuplicateVersions() throws {
        let directory = try MigrationDirectory(["0001_a.sql": "SELECT 1;", "00001_b.sql": "SELECT 2;"])
        defer { directory.remove() }
        let error = #expect(throws: MigrationError.self) { try Migration.load(from: directory.url) }
        #expect(error?.code == .duplicateVersion)
        #expect(error?.description.contains("0001_a.sql") == true)
        #expect(error?.description.contains("00001_b.sql") == true)
    }

    @Test func refusesDuplicateVersionsPassedInCode() throws {
        let migrations = [
            Migration(version: 1, name: "a", sql: "SELECT 1;"), Migration(version: 1, name: "b", sql: "SELECT 2;"),
        ]
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let error = #expect(throws: MigrationError.self) {
            try MigrationRunner(schema: "never_created").migrate(connection, migrations: migrations)
        }
        #expect(error?.code == .duplicateVersion)
        #expect(error?.description.contains("0001_a.sql") == true)
    }

    @Test func refusesInvalidSchemaNames() {
        let error = #expect(throws: MigrationError.self) { try MigrationRunner(schema: "Bad-Name") }
        #expect(error?.code == .invalidSchemaName)
    }

    @Test func appliesToAFreshSchemaAndOnlyOnce() async throws {
        let directory = try MigrationDirectory(Self.initialFiles)
        defer { directory.remove() }
        try await TestDatabase.withSchema(create: false) { schema in
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let runner = try MigrationRunner(schema: schema.name)

            let first = try runner.migrate(connection, migrations: try Migration.load(from: directory.url))
            #expect(first.applied.map(\.version) == [1, 2])
            #expect(first.alreadyApplied == 0)
            let columns = try connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'members' "
                    + "ORDER BY ordinal_position",
                [schema.name]
            )
            #expect((0..<columns.count).map { columns.string($0, 0) } == ["id", "name", "nickname"])
            let recorded = try connection.execute(
                "SELECT version, name, length(checksum) FROM \(PostgresConnection.quoteIdentifier(schema.name))"
                    + ".schema_migrations ORDER BY version"
            )
            #expect(recorded.count == 2)
            #expect(recorded.string(1, 1) == "add_nickname")
            #expect(recorded.int(0, 2) == 64)
            // The runner's SET LOCAL search_path ended with its transaction.
            #expect(try connection.execute("SHOW search_path").string(0, 0) == "\"$user\", public")

            let second = try runner.migrate(connection, migrations: try Migration.load(from: directory.url))
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == 2)

            try directory.write(
                "0003_add_points.sql",
                "ALTER TABLE members ADD COLUMN points bigint NOT NULL DEFAULT 0;"
            )
            let third = try runner.migrate(connection, migrations: try Migration.load(from: directory.url))
            #expect(third.applied.map(\.fileName) == ["0003_add_points.sql"])
            #expect(third.alreadyApplied == 2)
        }
    }

    @Test func theSameFilesBuildASecondSchema() async throws {
        let migrations = try Self.load(Self.initialFiles)
        try await TestDatabase.withSchema(create: false) { blue in
            try await TestDatabase.withSchema(create: false) { green in
                let connection = try TestDatabase.connect()
                defer { connection.close() }
                for schema in [blue, green] {
                    let report = try MigrationRunner(schema: schema.name).migrate(connection, migrations: migrations)
                    #expect(report.applied.count == 2)
                }
                let tables = try connection.execute(
                    "SELECT count(*) FROM information_schema.tables "
                        + "WHERE table_name = 'members' AND table_schema IN ($1, $2)",
                    [blue.name, green.name]
                )
                #expect(tables.int(0, 0) == 2)
            }
        }
    }

    @Test func refusesAnAppliedMigrationThatWasEdited() async throws {
        let directory = try MigrationDirectory(Self.initialFiles)
        defer { directory.remove() }
        try await TestDatabase.withSchema(create: false) { schema in
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let runner = try MigrationRunner(schema: schema.name)
            try runner.migrate(connection, migrations: try Migration.load(from: directory.url))

            try directory.write("0001_create_members.sql", "CREATE TABLE members (id bigint PRIMARY KEY);\n")
            try directory.write("0003_new.sql", "CREATE TABLE never_created (id int);")
            let error = #expect(throws: MigrationError.self) {
                try runner.migrate(connection, migrations: try Migration.load(from: directory.url))
            }
            #expect(error?.code == .editedAfterApplied)
            #expect(error?.file == "0001_create_members.sql")
            #expect(error?.description.contains("0001_create_members.sql") == true)
            #expect(try Self.tableExists("never_created", in: schema, on: connection) == false)
        }
    }

    @Test func refusesWhenAnAppliedMigrationsFileIsGone() async throws {
        try await TestDatabase.withSchema(create: false) { schema in
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let runner = try MigrationRunner(schema: schema.name)
            try runner.migrate(connection, migrations: try Self.load(Self.initialFiles))
            let error = #expect(throws: MigrationError.self) {
                try runner.migrate(connection, migrations: [try Self.load(Self.initialFiles)[0]])
            }
            #expect(error?.code == .missingFile)
            #expect(error?.version == 2)
        }
    }

    @Test func aFailingMigrationAppliesNothing() async throws {
        let files = Self.initialFiles.merging(["0003_broken.sql": "CREATE TABLE ok (id int); SELEC oops;"]) { $1 }
        try await TestDatabase.withSchema(create: false) { schema in
            let connection = try TestDatabase.connect()
            defer { connection.close() }
            let error = #expect(throws: MigrationError.self) {
                try MigrationRunner(schema: schema.name).migrate(connection, migrations: try Self.load(files))
            }
            #expect(error?.code == .migrationFailed)
            #expect(error?.file == "0003_broken.sql")
            #expect(error?.underlying?.sqlState == "42601")
            #expect(try Self.tableExists("members", in: schema, on: connection) == false)
            #expect(connection.isConnected)
        }
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() async throws {
        // The pause widens the window in which the second runner would interfere without the lock.
        let files = Self.initialFiles.merging(["0003_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE slow (id int);"]) {
            $1
        }
        let migrations = try Self.load(files)
        try await TestDatabase.withSchema(create: false) { schema in
            let executors = [ThreadExecutor(name: "migrate-1"), ThreadExecutor(name: "migrate-2")]
            let connections = try [TestDatabase.connect(), TestDatabase.connect()]
            defer {
                connections.forEach { $0.close() }
                executors.forEach { $0.shutdown() }
            }
            let reports = try await withThrowingTaskGroup(of: MigrationReport.self) { group in
                for (executor, connection) in zip(executors, connections) {
                    group.addTask {
                        try await withTaskExecutorPreference(executor) {
                            try MigrationRunner(schema: schema.name).migrate(connection, migrations: migrations)
                        }
                    }
                }
                return try await group.reduce(into: [MigrationReport]()) { $0.append($1) }
            }
            #expect(reports.map(\.applied.count).sorted() == [0, 3])
            #expect(reports.map(\.alreadyApplied).sorted() == [0, 3])
            let recorded = try connections[0].execute(
                "SELECT count(*) FROM \(PostgresConnection.quoteIdentifier(schema.name)).schema_migrations"
            )
            #expect(recorded.int(0, 0) == 3)
        }
    }

    private static func load(_ files: [String: String]) throws -> [Migration] {
        let directory = try MigrationDirectory(files)
        defer { directory.remove() }
        return try Migration.load(from: directory.url)
    }

    private static func tableExists(_ table: String, in schema: TestSchema, on connection: PostgresConnection) throws
        -> Bool?
    {
        try connection.execute("SELECT to_regclass($1) IS NOT NULL", ["\(schema.name).\(table)"]).bool(0, 0)
    }
}
