import Domain
import Foundation
import Testing

@testable import Projections

/// Every read of the API is served from an index: the plans of the read statements on tables with generated
/// history of several events (ANALYZEd, so the planner sees realistic sizes) contain no sequential scan.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReadPlanTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func event(_ id: Int64) throws -> EventPolicy {
        try EventPolicy.decode(
            json: Data(
                """
                {"id": \(id), "name": "plans \(id)", "status": "ACTIVE", "starts_at": "2026-01-01T00:00:00+09:00",
                 "ends_at": "2027-01-01T00:00:00+09:00", "timezone": "Asia/Seoul",
                 "daily_reward": {"type": "POINT", "point_amount": 10}, "bonus_rules": []}
                """.utf8
            )
        )
    }

    @Test func everyReadStatementUsesAnIndex() async throws {
        try await TestDatabase.withSchema { schema in
            let connection = try schema.connect()
            defer { connection.close() }
            try MigrationRunner(schema: schema.name).migrate(
                connection,
                migrations: Migration.load(from: Self.repositoryRoot.appendingPathComponent("migrations"))
            )
            for id: Int64 in [1, 2, 3] {
                _ = try EventCatalog.apply(try Self.event(id), on: connection)
                try AttendanceHistoryGenerator.generate(
                    eventID: id,
                    members: 3_000,
                    days: 10,
                    firstDay: AttendanceDate(iso: "2026-03-01")!,
                    timezone: "Asia/Seoul",
                    on: connection
                )
            }
            // The counters of many other events (a year of a platform's events, per day, outcome and partition).
            try connection.execute(
                """
                INSERT INTO event_attendance_daily_count (event_id, attendance_date, outcome, source_partition, requests)
                SELECT e, date '2026-01-01' + d, o, p, 1
                FROM generate_series(100, 399) e, generate_series(0, 29) d,
                     unnest(ARRAY['CHECK_IN', 'NEW_PARTICIPANT', 'ALREADY_CHECKED_IN']) o, generate_series(0, 11) p
                """
            )
            try connection.execute("ANALYZE event_attendance_daily_count")
            let store = try AttendanceReadStore(connection: connection)
            // The reads answer what was generated…
            let member = try store.memberAttendance(eventID: 2, memberID: 1_234)
            #expect(member.days.count == 10)
            #expect(member.latest?.total == 10)
            #expect(member.rewards.count == 10)
            let outcome = try #require(try store.outcome(eventID: 2, requestID: "gen-1234-9"))
            #expect(outcome.total == 10)
            #expect(outcome.rewards.map(\.status) == ["SUCCEEDED"])
            let summary = try store.eventSummary(
                eventID: 2,
                from: AttendanceDate(iso: "2026-03-01")!,
                to: AttendanceDate(iso: "2026-03-10")!
            )
            #expect(summary.days.map(\.successes) == Array(repeating: 3_000, count: 10))
            #expect(summary.participants == 3_000)
            #expect(summary.rewards.first?.pointSum == 300_000)

            // …and from indexes only.
            let calls: [String: String] = [
                "read_outcome": "2, 'gen-1234-9'",
                "read_member": "2, 1234",
                "read_summary_days": "2, '2026-03-01', '2026-03-10'",
                "read_summary_rewards": "2, '2026-03-03', '2026-03-04'",
                "read_summary_totals": "2",
            ]
            func plan(_ name: String, _ arguments: String) throws -> String {
                let plan = try connection.execute("EXPLAIN (COSTS OFF) EXECUTE \(name)(\(arguments))")
                return (0..<plan.count).compactMap { plan.string($0, 0) }.joined(separator: "\n")
            }
            for (name, arguments) in calls.sorted(by: { $0.key < $1.key }) {
                let text = try plan(name, arguments)
                print("plan of \(name):\n\(text)\n")
                #expect(!text.contains("Seq Scan"), "\(name) scans a table:\n\(text)")
            }

            // The batch's look-up of each member's latest day reads the unique key backwards (migration 0015 dropped
            // the descending index over the same columns).
            try connection.execute(
                "PREPARE batch_latest(bigint[], bigint[]) AS " + AttendanceStore.latestSnapshotsQuery
            )
            let text = try plan("batch_latest", "'{2,2,3}', '{1234,7,99}'")
            print("plan of the batch's latest-day look-up:\n\(text)\n")
            #expect(text.contains("Index Scan Backward using uq_att_history_event_member_date"), "\(text)")
            #expect(!text.contains("Seq Scan"), "\(text)")
            let latest = try AttendanceStore.latestSnapshots(
                [.init(eventID: 2, memberID: 1_234), .init(eventID: 3, memberID: 2_999_999)],
                on: connection
            )
            #expect(latest.count == 1)
            #expect(latest[.init(eventID: 2, memberID: 1_234)]?.latest?.total == 10)
        }
    }
}
