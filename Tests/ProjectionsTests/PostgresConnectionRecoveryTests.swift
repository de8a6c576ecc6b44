import Projections
import Testing

@Suite("A connection the server dropped", .timeLimit(.minutes(5)))
struct PostgresConnectionRecoveryTests {
    @Test func terminatedBackendIsRetriableConnectionLostAndResetRecovers() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            let admin = try TestDatabase.connect()
            defer {
                connection.close()
                admin.close()
            }
            try connection.execute("CREATE TABLE marks (id int)")
            try connection.prepare("count_marks", "SELECT count(*) FROM marks")
            let pid = try #require(connection.backendProcessID)
            #expect(try connection.execute("SELECT pg_backend_pid()").int(0, 0) == Int(pid))

            let terminated = try admin.execute("SELECT pg_terminate_backend($1, 5000)", [Int(pid)])
            #expect(terminated.bool(0, 0) == true)

            let lost = #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
            #expect(lost?.code == .connectionLost)
            #expect(lost?.isRetriable == true)
            #expect(!connection.isConnected)
            let stillLost = #expect(throws: PostgresError.self) { try connection.executePrepared("count_marks") }
            #expect(stillLost?.code == .connectionLost)

            try connection.reset()
            #expect(connection.isConnected)
            #expect(connection.backendProcessID != pid)
            #expect(try connection.execute("SELECT current_schema()").string(0, 0) == schema.name)
            // Prepared statements died with the old session and are prepared again on first use.
            #expect(try connection.executePrepared("count_marks").int(0, 0) == 0)
        }
    }
}
