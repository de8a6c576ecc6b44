import Domain

/// The row of `history_rebuild_run`: the state of this schema's one rebuild, checkpointed with every chunk.
struct HistoryRebuildRun: Sendable {
    enum Status: String, Sendable {
        case running = "RUNNING"
        case complete = "COMPLETE"
        case swapped = "SWAPPED"
    }

    var status: Status
    var rowsExpected: Int64
    var counts: HistoryRebuildCounts
    /// The last log row folded, and its member's counters after it (nil before the first chunk).
    var position: (logID: Int64, member: HistoryFold.Member, latest: AttendanceSnapshot?)?

    /// Empties the shadow and starts a new run expecting `rowsExpected` rows. One transaction.
    static func start(rowsExpected: Int64, on connection: PostgresConnection) throws -> HistoryRebuildRun {
        try connection.transaction { connection in
            try connection.execute("TRUNCATE event_attendance_history_rebuild")
            try connection.execute("DELETE FROM history_rebuild_run")
            try connection.execute(
                "INSERT INTO history_rebuild_run (status, rows_expected) VALUES ('RUNNING', $1)",
                [rowsExpected]
            )
        }
        return HistoryRebuildRun(status: .running, rowsExpected: rowsExpected, counts: HistoryRebuildCounts())
    }

    static func load(on connection: PostgresConnection) throws -> HistoryRebuildRun? {
        let rows = try connection.execute(
            """
            SELECT status, rows_expected, rows_replayed, rows_written, skipped_same_day, skipped_earlier, date_mismatches,
                   missing_policies, last_log_id, last_event_id, last_member_id,
                   last_date - DATE '1970-01-01', last_total, last_streak
            FROM history_rebuild_run
            """
        )
        guard rows.count == 1, let status = rows.string(0, 0).flatMap(Status.init(rawValue:)) else { return nil }
        var counts = HistoryRebuildCounts()
        counts.replayed = rows.int64(0, 2) ?? 0
        counts.written = rows.int64(0, 3) ?? 0
        counts.skippedSameDay = rows.int64(0, 4) ?? 0
        counts.skippedEarlierDay = rows.int64(0, 5) ?? 0
        counts.dateMismatches = rows.int64(0, 6) ?? 0
        counts.missingPolicies = rows.int64(0, 7) ?? 0
        var run = HistoryRebuildRun(status: status, rowsExpected: rows.int64(0, 1) ?? 0, counts: counts)
        if let logID = rows.int64(0, 8), let eventID = rows.int64(0, 9), let memberID = rows.int64(0, 10) {
            var latest: AttendanceSnapshot?
            if let days = rows.int(0, 11), let total = rows.int(0, 12), let streak = rows.int(0, 13) {
                latest = AttendanceSnapshot(date: AttendanceDate(daysSinceEpoch: days), total: total, streak: streak)
            }
            run.position = (logID, HistoryFold.Member(eventID: eventID, memberID: memberID), latest)
        }
        return run
    }

    /// Records progress; must run in the transaction that wrote the chunk's shadow rows.
    func checkpoint(on connection: PostgresConnection) throws {
        let latest = position?.latest
        try connection.execute(
            """
            UPDATE history_rebuild_run SET
                status = $1, rows_replayed = $2, rows_written = $3, skipped_same_day = $4, skipped_earlier = $5,
                date_mismatches = $6, missing_policies = $7, last_log_id = $8, last_event_id = $9, last_member_id = $10,
                last_date = $11::date, last_total = $12, last_streak = $13, updated_at = now()
            """,
            [
                status.rawValue, counts.replayed, counts.written, counts.skippedSameDay, counts.skippedEarlierDay,
                counts.dateMismatches, counts.missingPolicies, position?.logID, position?.member.eventID,
                position?.member.memberID, latest?.date.description, latest?.total, latest?.streak,
            ]
        )
    }

    static func markSwapped(on connection: PostgresConnection) throws {
        try connection.execute("UPDATE history_rebuild_run SET status = 'SWAPPED', updated_at = now()")
    }
}
