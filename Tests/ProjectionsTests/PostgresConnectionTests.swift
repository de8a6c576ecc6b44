import Foundation
import Projections
import Testing

@Suite("PostgresConnection against the real server", .timeLimit(.minutes(5)))
struct PostgresConnectionTests {
    @Test func connectsAndRunsASimpleQuery() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            #expect(connection.isConnected)

            let rows = try connection.execute(
                "SELECT 1 AS one, 'x' AS letter, NULL::text AS nothing, current_schema() AS schema, "
                    + "current_setting('application_name') AS app, current_setting('client_encoding') AS encoding"
            )
            #expect(rows.count == 1)
            #expect(rows.columns == ["one", "letter", "nothing", "schema", "app", "encoding"])
            #expect(rows.int(0, 0) == 1)
            #expect(rows.string(0, 1) == "x")
            #expect(rows.isNull(0, 2))
            #expect(rows[0, column: "schema"] == schema.name)
            #expect(rows[0, column: "app"] == "attendance-tests")
            #expect(rows[0, column: "encoding"] == "UTF8")
            #expect(rows[0, column: "no_such_column"] == nil)
        }
    }

    @Test func reportsAffectedRows() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.execute("CREATE TABLE items (id bigint PRIMARY KEY)")
            let insert = try connection.execute("INSERT INTO items SELECT generate_series(1, 5)")
            #expect(insert.affectedRows == 5)
            #expect(insert.count == 0)
            let delete = try connection.execute("DELETE FROM items WHERE id > $1", [3])
            #expect(delete.affectedRows == 2)
            #expect(try connection.execute("CREATE INDEX ON items (id)").affectedRows == 0)
        }
    }

    @Test func preparedStatementsRunRepeatedly() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.execute("CREATE TABLE members (id bigint PRIMARY KEY, name text NOT NULL)")
            try connection.prepare("insert_member", "INSERT INTO members (id, name) VALUES ($1, $2)")
            try connection.prepare("insert_member", "INSERT INTO members (id, name) VALUES ($1, $2)")  // no-op
            for id in 1...3 {
                let inserted = try connection.executePrepared("insert_member", [Int64(id), "member \(id)"])
                #expect(inserted.affectedRows == 1)
            }
            try connection.prepare("member_name", "SELECT name FROM members WHERE id = $1")
            #expect(try connection.executePrepared("member_name", [2]).string(0, 0) == "member 2")
            #expect(try connection.executePrepared("member_name", [99]).count == 0)

            let unknown = #expect(throws: PostgresError.self) { try connection.executePrepared("no_such_statement") }
            #expect(unknown?.sqlState == "26000")
        }
    }

    @Test func scriptsRunSeveralStatements() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.executeScript(
                """
                CREATE TABLE a (id int);
                INSERT INTO a VALUES (1), (2);
                CREATE TABLE b AS SELECT * FROM a;
                """
            )
            #expect(try connection.execute("SELECT count(*) FROM b").int(0, 0) == 2)
            let failure = #expect(throws: PostgresError.self) {
                try connection.executeScript("INSERT INTO a VALUES (3); SELECT * FROM missing_table;")
            }
            #expect(failure?.sqlState == "42P01")
        }
    }

    @Test func copyIsRefusedAndTheConnectionStaysUsable() async throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let copyOut = #expect(throws: PostgresError.self) {
            try connection.execute("COPY (SELECT generate_series(1, 1000)) TO STDOUT")
        }
        #expect(copyOut?.code == .protocolViolation)
        #expect(try connection.execute("SELECT 42").int(0, 0) == 42)

        try connection.execute("CREATE TEMPORARY TABLE copy_target (id int)")
        let copyIn = #expect(throws: PostgresError.self) { try connection.execute("COPY copy_target FROM STDIN") }
        #expect(copyIn?.code == .protocolViolation)
        #expect(try connection.execute("SELECT count(*) FROM copy_target").int(0, 0) == 0)
    }

    @Test func closedConnectionRefusesWork() throws {
        let connection = try TestDatabase.connect()
        connection.close()
        connection.close()
        #expect(!connection.isConnected)
        let error = #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
        #expect(error?.code == .connectionClosed)
        #expect(error?.isRetriable == false)
    }

    @Test func invalidSearchPathIsRefusedBeforeConnecting() throws {
        let url = try PostgresConfiguration(TestDatabase.url())
        for searchPath in ["Upper", "a;DROP SCHEMA public", "", "ok, ", "x\"y", String(repeating: "a", count: 64)] {
            let error = #expect(throws: PostgresError.self) {
                try PostgresConnection.connect(url, searchPath: searchPath)
            }
            #expect(error?.code == .invalidConfiguration)
        }
        let connection = try PostgresConnection.connect(url, searchPath: "pg_catalog, public")
        defer { connection.close() }
        #expect(try connection.execute("SHOW search_path").string(0, 0) == "pg_catalog, public")
    }
}
