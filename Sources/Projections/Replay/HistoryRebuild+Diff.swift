import Domain

extension HistoryRebuild {
    /// Brings the shadow up to date with the log (see `catchUp`) and compares it with the live table, in one
    /// REPEATABLE READ transaction: the live rows and the log are read as of the same moment. Writes nothing live.
    public func diff() throws -> HistoryDiffReport {
        try withReplayLock {
            try requireCompleteRun()
            return try writer.transaction { connection in
                try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                let caughtUp = try catchUp(on: connection)
                var report = try Self.compare(on: connection, sampleLimit: configuration.diffSampleLimit)
                report.caughtUp = caughtUp
                return report
            }
        }
    }

    private static let comparison = """
        FROM event_attendance_history h
        FULL JOIN event_attendance_history_rebuild s ON s.attendance_log_id = h.attendance_log_id
        """

    private static let differs = """
        (h.event_id, h.member_id, h.attendance_date, h.total_attendance_count, h.streak_attendance_count)
        IS DISTINCT FROM (s.event_id, s.member_id, s.attendance_date, s.total_attendance_count, s.streak_attendance_count)
        """

    static func compare(on connection: PostgresConnection, sampleLimit: Int) throws -> HistoryDiffReport {
        let counts = try connection.execute(
            """
            SELECT count(h.attendance_log_id), count(s.attendance_log_id),
                   count(*) FILTER (WHERE h.attendance_log_id IS NULL),
                   count(*) FILTER (WHERE s.attendance_log_id IS NULL),
                   count(*) FILTER (WHERE h.attendance_log_id IS NOT NULL AND s.attendance_log_id IS NOT NULL AND \(differs))
            \(comparison)
            """
        )
        var report = HistoryDiffReport()
        report.liveRows = counts.int64(0, 0) ?? 0
        report.rebuiltRows = counts.int64(0, 1) ?? 0
        report.missing = counts.int64(0, 2) ?? 0
        report.extra = counts.int64(0, 3) ?? 0
        report.different = counts.int64(0, 4) ?? 0
        report.identical = report.liveRows - report.extra - report.different
        report.participantCountsDiffering =
            try connection.execute("SELECT count(*) FROM (\(participantCountsToFix)) AS d").int64(0, 0) ?? 0
        guard sampleLimit > 0, !report.isIdentical else { return report }

        let samples = try connection.execute(
            """
            SELECT coalesce(h.attendance_log_id, s.attendance_log_id),
                   h.event_id, h.member_id, to_char(h.attendance_date, 'YYYY-MM-DD'),
                   h.total_attendance_count, h.streak_attendance_count,
                   s.event_id, s.member_id, to_char(s.attendance_date, 'YYYY-MM-DD'),
                   s.total_attendance_count, s.streak_attendance_count
            \(comparison)
            WHERE h.attendance_log_id IS NULL OR s.attendance_log_id IS NULL OR \(differs)
            ORDER BY 1
            LIMIT $1
            """,
            [sampleLimit]
        )
        for row in 0..<samples.count {
            let live = snapshot(samples, row, 1)
            let rebuilt = snapshot(samples, row, 6)
            let kind: HistoryDiffReport.Kind = live == nil ? .missing : rebuilt == nil ? .extra : .different
            report.samples.append(
                .init(kind: kind, attendanceLogID: samples.int64(row, 0) ?? 0, live: live, rebuilt: rebuilt)
            )
        }
        return report
    }

    private static func snapshot(_ rows: PostgresRows, _ row: Int, _ column: Int) -> HistoryDiffReport.Snapshot? {
        guard let eventID = rows.int64(row, column), let memberID = rows.int64(row, column + 1),
            let date = rows.string(row, column + 2), let total = rows.int(row, column + 3),
            let streak = rows.int(row, column + 4)
        else { return nil }
        return .init(eventID: eventID, memberID: memberID, attendanceDate: date, total: total, streak: streak)
    }

    /// Events whose participant counter differs from the distinct members of the rebuilt history, with the right count.
    static let participantCountsToFix = """
        SELECT coalesce(r.event_id, c.event_id) AS event_id, coalesce(r.participants, 0) AS participants
        FROM (SELECT event_id, count(DISTINCT member_id) AS participants
              FROM event_attendance_history_rebuild GROUP BY event_id) r
        FULL JOIN event_participant_count c ON c.event_id = r.event_id
        WHERE c.participants IS DISTINCT FROM coalesce(r.participants, 0)
        """
}
