import Foundation
import Projections
import Testing

@Suite("PostgresError: classification and what descriptions reveal", .timeLimit(.minutes(5)))
struct PostgresErrorTests {
    @Test(arguments: [
        ("40001", true), ("40P01", true), ("57P01", true), ("57P02", true), ("57P03", true), ("55P03", true),
        ("08000", true), ("08006", true), ("08P01", true), ("53000", true), ("53100", true), ("53300", true),
        ("23505", false), ("23503", false), ("23514", false), ("22P02", false), ("42P01", false),
        ("42601", false), ("25P02", false), ("40003", false), ("57014", false), ("XX000", false),
    ])
    func classifiesSQLStates(sqlState: String, isRetriable: Bool) {
        #expect(PostgresError.isRetriable(code: .queryFailed, sqlState: sqlState) == isRetriable)
        #expect(PostgresError(code: .queryFailed, sqlState: sqlState, message: "m").isRetriable == isRetriable)
    }

    @Test func classifiesCodesWithoutSQLState() {
        #expect(PostgresError.isRetriable(code: .connectionFailed, sqlState: nil))
        #expect(PostgresError.isRetriable(code: .connectionLost, sqlState: nil))
        #expect(!PostgresError.isRetriable(code: .queryFailed, sqlState: nil))
        #expect(!PostgresError.isRetriable(code: .connectionClosed, sqlState: nil))
        #expect(!PostgresError.isRetriable(code: .invalidConfiguration, sqlState: nil))
        #expect(!PostgresError.isRetriable(code: .protocolViolation, sqlState: nil))
    }

    @Test func wrongPasswordFailsWithoutRevealingIt() throws {
        var url = try #require(URLComponents(string: try TestDatabase.url()))
        url.password = "wrong-secret-83721"
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection.connect(PostgresConfiguration(try #require(url.string)))
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isRetriable == true)
        #expect(error?.description.contains("wrong-secret-83721") == false)
        #expect(error?.message.contains("password authentication failed") == true)
    }

    @Test func unreachableServerFailsToConnect() throws {
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection.connect(
                PostgresConfiguration("host=127.0.0.1 port=1 user=nobody password=hunter2-secret connect_timeout=2")
            )
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("hunter2-secret") == false)
    }

    @Test func malformedConnectionStringIsRefusedWithoutEchoingIt() {
        for conninfo in ["host=localhost password='unterminated-secret", "postgresql://u:p-secret@h:notaport/db?x=y"] {
            let error = #expect(throws: PostgresError.self) { try PostgresConfiguration(conninfo) }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.description.contains("secret") == false)
        }
    }

    @Test func uniqueViolationCarriesSQLStateAndConstraintButNoValues() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try connection.execute(
                "CREATE TABLE requests (event_id bigint, request_id text, "
                    + "CONSTRAINT requests_once UNIQUE (event_id, request_id))"
            )
            try connection.execute("INSERT INTO requests VALUES ($1, $2)", [42, "secret-request-id"])
            let error = #expect(throws: PostgresError.self) {
                try connection.execute("INSERT INTO requests VALUES ($1, $2)", [42, "secret-request-id"])
            }
            #expect(error?.code == .queryFailed)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraint == "requests_once")
            #expect(error?.isRetriable == false)
            #expect(error?.detail?.contains("secret-request-id") == true)
            #expect(error?.description.contains("secret-request-id") == false)
            #expect(error?.description.contains("23505") == true)
            #expect(error?.file.hasSuffix("PostgresErrorTests.swift") == true)
        }
    }

    @Test func dataExceptionsDoNotEchoTheRejectedValue() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        let error = #expect(throws: PostgresError.self) {
            try connection.execute("SELECT $1::bigint", ["not-a-number-secret"])
        }
        #expect(error?.sqlState == "22P02")
        #expect(error?.message.contains("bigint") == true)
        #expect(error?.description.contains("not-a-number-secret") == false)
    }

    @Test func deadlockIsRetriable() async throws {
        let first = try TestDatabase.connect()
        let second = try TestDatabase.connect()
        let firstThread = ThreadExecutor(name: "deadlock-first")
        let secondThread = ThreadExecutor(name: "deadlock-second")
        defer {
            first.close()
            second.close()
            firstThread.shutdown()
            secondThread.shutdown()
        }
        let lockA = Int64.random(in: 1...Int64.max)
        let lockB = lockA &+ 1
        for (connection, lock) in [(first, lockA), (second, lockB)] {
            try connection.execute("BEGIN")
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [lock])
        }
        // Each connection now waits for the other's lock, on its own thread; the server breaks the cycle.
        async let firstOutcome = withTaskExecutorPreference(firstThread) {
            Self.lockError(first, lockB)
        }
        async let secondOutcome = withTaskExecutorPreference(secondThread) {
            try? await Task.sleep(for: .milliseconds(200))
            return Self.lockError(second, lockA)
        }
        let errors = await [firstOutcome, secondOutcome].compactMap { $0 }
        try first.execute("ROLLBACK")
        try second.execute("ROLLBACK")

        #expect(errors.count == 1)
        #expect(errors.first?.sqlState == "40P01")
        #expect(errors.first?.isRetriable == true)
    }

    private static func lockError(_ connection: PostgresConnection, _ lock: Int64) -> PostgresError? {
        do {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [lock])
            return nil
        } catch {
            return error
        }
    }
}
