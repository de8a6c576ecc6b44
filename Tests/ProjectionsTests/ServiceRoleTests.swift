import Foundation
import Projections
import Testing

/// The services' database role (migration 0011) can do what consume, relay and settle need and nothing more.
@Suite("least-privilege service role", .timeLimit(.minutes(5)))
struct ServiceRoleTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ProjectionsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    @Test func theServiceRoleAppendsButCannotRewriteHistoryOrChangeTheSchema() async throws {
        try await TestDatabase.withSchema(create: false) { schema in
            let owner = try TestDatabase.connect()
            defer { owner.close() }
            try MigrationRunner(schema: schema.name).migrate(
                owner,
                migrations: Migration.load(from: Self.repositoryRoot.appendingPathComponent("migrations"))
            )
            let login = "att_svc_" + UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(12)
            let password = UUID().uuidString
            try owner.execute(
                "CREATE ROLE \(PostgresConnection.quoteIdentifier(login)) LOGIN PASSWORD '\(password)' IN ROLE attendance_app"
            )
            defer { _ = try? owner.execute("DROP ROLE IF EXISTS \(PostgresConnection.quoteIdentifier(login))") }

            // Owner-side setup: an event (operators apply events, services only read them).
            let setup = try schema.connect()
            defer { setup.close() }
            try setup.execute(
                """
                INSERT INTO event (id, name, status, starts_at, ends_at, timezone, policy_version)
                VALUES (1, 'e', 'ACTIVE', now() - interval '1 day', now() + interval '1 day', 'UTC', 1)
                """
            )

            var components = try #require(URLComponents(string: try TestDatabase.url()))
            components.user = login
            components.password = password
            let service = try PostgresConnection.connect(
                PostgresConfiguration(try #require(components.string)),
                applicationName: "attendance-tests",
                searchPath: schema.name
            )
            defer { service.close() }

            // Allowed: what the pipeline does.
            let log = try service.execute(
                """
                INSERT INTO event_attendance_log (event_id, member_id, request_id, status, source_topic, source_partition, source_offset)
                VALUES (1, 7, 'r-1', 'CHECK_IN', 't', 0, 0) RETURNING id
                """
            )
            let logID = try #require(log.int64(0, 0))
            try service.execute(
                """
                INSERT INTO event_attendance_history (event_id, member_id, attendance_log_id, attendance_date,
                    total_attendance_count, streak_attendance_count) VALUES (1, 7, $1, DATE '2026-01-01', 1, 1)
                """,
                [logID]
            )
            try service.execute("INSERT INTO outbox (topic) VALUES ('t')")
            try service.execute("DELETE FROM outbox")
            try service.execute(
                "INSERT INTO consumer_offset (group_id, topic, partition, next_offset) VALUES ('g', 't', 0, 1)"
            )
            try service.execute("UPDATE consumer_offset SET next_offset = 2")
            try service.execute(
                "INSERT INTO component_heartbeat (component, instance, started_at, heartbeat_at) VALUES ('c', 'i', now(), now())"
            )

            // Refused: rewriting the append-only facts, configuration, and any DDL.
            let refused = [
                "UPDATE event_attendance_history SET streak_attendance_count = 1",
                "DELETE FROM event_attendance_history",
                "DELETE FROM event_attendance_log",
                "UPDATE event_attendance_log SET status = 'FAIL'",
                "UPDATE event SET status = 'ENDED'",
                "DELETE FROM event_attendance_reward_log",
                "CREATE TABLE sneaky (id int)",
                "DROP TABLE outbox",
                "TRUNCATE event_attendance_log",
            ]
            for statement in refused {
                let error = #expect(throws: PostgresError.self, "\(statement)") { try service.execute(statement) }
                #expect(error?.sqlState == "42501", "\(statement): \(String(describing: error))")
            }
        }
    }
}
