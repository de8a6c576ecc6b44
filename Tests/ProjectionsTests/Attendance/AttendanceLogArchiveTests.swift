import Foundation
import Testing

@testable import Projections

/// Old FAIL rows leave the log for the archive, chunk by chunk; successes, recent rows and rows a failed write held
/// stay; nothing is lost.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct AttendanceLogArchiveTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Five old FAIL rows, one old success with its history row, one recent FAIL row.
    static func seed(_ connection: PostgresConnection, schema: TestSchema) throws {
        try MigrationRunner(schema: schema.name).migrate(
            connection,
            migrations: Migration.load(from: Self.repositoryRoot.appendingPathComponent("migrations"))
        )
        try connection.execute(
            """
            INSERT INTO event (id, name, status, starts_at, ends_at, timezone, policy_version)
            VALUES (1, 'archive', 'ACTIVE', now() - interval '1 year', now() + interval '1 year', 'UTC', 1)
            """
        )
        try connection.execute(
            """
            INSERT INTO event_attendance_log (event_id, member_id, request_id, status, fail_reason, fail_detail,
                requested_at, channel, source_topic, source_partition, source_offset, created_at)
            SELECT 1, m, 'old-' || m, 'FAIL', 'EVENT_ENDED', 'detail "quoted"', now() - interval '100 days', 'APP',
                   'attendance.check-in-requests.v1', 0, m, now() - interval '100 days'
            FROM generate_series(1, 5) m
            """
        )
        let success = try connection.execute(
            """
            INSERT INTO event_attendance_log (event_id, member_id, request_id, status, requested_at, attendance_date,
                source_topic, source_partition, source_offset, created_at)
            VALUES (1, 9, 'old-success', 'CHECK_IN', now() - interval '100 days', current_date - 100,
                    'attendance.check-in-requests.v1', 0, 9, now() - interval '100 days')
            RETURNING id
            """
        ).int64(0, 0)
        try connection.execute(
            """
            INSERT INTO event_attendance_history (event_id, member_id, attendance_log_id, attendance_date,
                total_attendance_count, streak_attendance_count)
            VALUES (1, 9, $1, current_date - 100, 1, 1)
            """,
            [success]
        )
        try connection.execute(
            """
            INSERT INTO event_attendance_log (event_id, member_id, request_id, status, fail_reason, source_topic,
                source_partition, source_offset)
            VALUES (1, 10, 'recent', 'FAIL', 'EVENT_ENDED', 'attendance.check-in-requests.v1', 0, 10)
            """
        )
    }

    static func requestIDs(_ connection: PostgresConnection) throws -> [String] {
        let rows = try connection.execute("SELECT request_id FROM event_attendance_log ORDER BY id")
        return (0..<rows.count).compactMap { rows.string($0, 0) }
    }

    @Test func oldFailuresMoveInChunksAndEverythingElseStays() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try Self.seed(connection, schema: schema)
            var chunks: [[AttendanceLogArchive.Row]] = []
            let cutoff = Date().addingTimeInterval(-90 * 86_400)
            let archived = try AttendanceLogArchive.archiveFailures(
                createdBefore: cutoff,
                chunkSize: 2,
                on: connection,
                write: { chunks.append($0) }
            )
            #expect(archived == 5)
            #expect(chunks.map(\.count) == [2, 2, 1])
            #expect(chunks.flatMap { $0.map(\.requestID) } == (1...5).map { "old-\($0)" })
            let first = try #require(chunks.first?.first)
            #expect(first.failReason == "EVENT_ENDED" && first.failDetail == #"detail "quoted""#)
            #expect(first.sourceTopic == "attendance.check-in-requests.v1" && first.channel == "APP")
            #expect(first.createdAt.hasSuffix("Z") && first.requestedAt != nil)
            // The success (referenced by history) and the recent failure stay; a second run finds nothing.
            #expect(try Self.requestIDs(connection) == ["old-success", "recent"])
            #expect(try AttendanceLogArchive.archiveFailures(createdBefore: cutoff, on: connection) { _ in } == 0)
            // The rows round-trip through the archive's JSON.
            let line = try JSONEncoder().encode(first)
            #expect(try JSONDecoder().decode(AttendanceLogArchive.Row.self, from: line) == first)
        }
    }

    @Test func aWriteThatFailsDeletesNothingOfItsChunk() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try Self.seed(connection, schema: schema)
            struct DiskFull: Error {}
            var calls = 0
            #expect(throws: DiskFull.self) {
                _ = try AttendanceLogArchive.archiveFailures(
                    createdBefore: Date().addingTimeInterval(-90 * 86_400),
                    chunkSize: 2,
                    on: connection
                ) { _ in
                    calls += 1
                    if calls == 2 { throw DiskFull() }
                }
            }
            // The first chunk committed after its write; the second rolled back with its failed write.
            #expect(try Self.requestIDs(connection) == ["old-3", "old-4", "old-5", "old-success", "recent"])
        }
    }

    @Test func aCutoffYoungerThanTheRedeliveryWindowIsRefused() throws {
        let connection = try TestDatabase.connect()
        defer { connection.close() }
        #expect(throws: AttendanceLogArchive.TooRecent.self) {
            _ = try AttendanceLogArchive.archiveFailures(
                createdBefore: Date().addingTimeInterval(-3 * 86_400),
                on: connection
            ) { _ in }
        }
    }
}
