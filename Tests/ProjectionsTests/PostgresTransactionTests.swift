import Projections
import Testing

@Suite("Transactions", .timeLimit(.minutes(5)))
struct PostgresTransactionTests {
    struct BodyFailed: Error, Equatable {}

    private static func count(_ connection: PostgresConnection) throws -> Int? {
        try connection.execute("SELECT count(*) FROM entries").int(0, 0)
    }

    @Test func commitsWhenTheBodyReturns() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.execute("CREATE TABLE entries (id int)")
            let value = try connection.transaction { transaction in
                try transaction.execute("INSERT INTO entries VALUES (1), (2)")
                return "done"
            }
            #expect(value == "done")
            #expect(try Self.count(connection) == 2)
        }
    }

    @Test func rollsBackAndRethrowsWhenTheBodyThrows() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.execute("CREATE TABLE entries (id int)")
            #expect(throws: BodyFailed()) {
                try connection.transaction { transaction in
                    try transaction.execute("INSERT INTO entries VALUES (1)")
                    throw BodyFailed()
                }
            }
            #expect(try Self.count(connection) == 0)
            // The connection is usable and out of the transaction.
            try connection.transaction { try $0.execute("INSERT INTO entries VALUES (3)") }
            #expect(try Self.count(connection) == 1)
        }
    }

    @Test func refusesToNest() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let nested = #expect(throws: PostgresError.self) {
            try connection.transaction { outer in
                try outer.transaction { _ in }
            }
        }
        #expect(nested?.sqlState == "25001")

        try connection.execute("BEGIN")
        let afterManualBegin = #expect(throws: PostgresError.self) { try connection.transaction { _ in } }
        #expect(afterManualBegin?.sqlState == "25001")
        try connection.execute("ROLLBACK")
    }

    @Test func aSwallowedServerErrorDoesNotCommitSilently() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction { transaction in
                    try transaction.execute("INSERT INTO entries VALUES (1)")
                    _ = try? transaction.execute("INSERT INTO entries VALUES (1)")
                }
            }
            #expect(error?.sqlState == "25P02")
            #expect(try Self.count(connection) == 0)
        }
    }
}
