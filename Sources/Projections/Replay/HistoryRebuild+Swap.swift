import Domain

extension HistoryRebuild {
    /// Makes the live table equal to the rebuilt one, in ONE transaction under an exclusive lock on the live
    /// table; returns the diff that was applied.
    ///
    /// The live table is corrected in place rather than replaced by the shadow: its indexes, constraints and the
    /// foreign key from `event_attendance_reward_log.attendance_history_id` stay as they are, and every row the
    /// rebuild agrees with keeps its id (rows are matched by `attendance_log_id`). Rows the log does not support are
    /// deleted, rows with different snapshots updated, missing rows inserted (with the log row's `created_at`, when
    /// the success was first recorded), and the participant counters set to the rebuilt distinct members.
    ///
    /// The ACCESS EXCLUSIVE lock makes readers and consumers wait for the swap, never see half of it, and means no
    /// consumer decides on counters the swap is about to change: a batch that already read history holds its lock
    /// until it commits, and the swap waits for it (at most `swapLockTimeout`, then gives up with nothing changed).
    /// Under the lock, the shadow first catches up with what was logged since the rebuild.
    ///
    /// - Throws: `HistoryReplayError(.swapRefused)` when a live row the log does not support is referenced by a
    ///   reward (nothing is changed then).
    public func swap() throws -> HistoryDiffReport {
        try withReplayLock {
            try requireCompleteRun()
            let timeout =
                configuration.swapLockTimeout.components.seconds * 1_000
                + configuration.swapLockTimeout.components.attoseconds / 1_000_000_000_000_000
            return try writer.transaction { connection in
                try connection.execute("SELECT set_config('lock_timeout', $1, true)", ["\(max(1, timeout))ms"])
                try connection.execute("LOCK TABLE event_attendance_history IN ACCESS EXCLUSIVE MODE")
                try connection.execute("SELECT set_config('lock_timeout', '0', true)")
                let caughtUp = try catchUp(on: connection)
                var report = try Self.compare(on: connection, sampleLimit: configuration.diffSampleLimit)
                report.caughtUp = caughtUp
                try Self.apply(on: connection)
                try HistoryRebuildRun.markSwapped(on: connection)
                return report
            }
        }
    }

    private static func apply(on connection: PostgresConnection) throws {
        do {
            try connection.execute(
                """
                DELETE FROM event_attendance_history h
                WHERE NOT EXISTS (SELECT 1 FROM event_attendance_history_rebuild s WHERE s.attendance_log_id = h.attendance_log_id)
                """
            )
        } catch {
            guard error.sqlState == "23503" else { throw error }
            throw HistoryReplayError(
                .swapRefused,
                "live history rows that the log does not support are referenced by rewards "
                    + "(event_attendance_reward_log); nothing was changed. See the diff's extra rows."
            )
        }
        try connection.execute(
            """
            UPDATE event_attendance_history h SET
                event_id = s.event_id, member_id = s.member_id, attendance_date = s.attendance_date,
                total_attendance_count = s.total_attendance_count, streak_attendance_count = s.streak_attendance_count
            FROM event_attendance_history_rebuild s
            WHERE s.attendance_log_id = h.attendance_log_id
              AND (h.event_id, h.member_id, h.attendance_date, h.total_attendance_count, h.streak_attendance_count)
                  IS DISTINCT FROM
                  (s.event_id, s.member_id, s.attendance_date, s.total_attendance_count, s.streak_attendance_count)
            """
        )
        try connection.execute(
            """
            INSERT INTO event_attendance_history (
                event_id, member_id, attendance_log_id, attendance_date, total_attendance_count, streak_attendance_count,
                created_at)
            SELECT s.event_id, s.member_id, s.attendance_log_id, s.attendance_date, s.total_attendance_count,
                   s.streak_attendance_count, l.created_at::timestamp
            FROM event_attendance_history_rebuild s
            JOIN event_attendance_log l ON l.id = s.attendance_log_id
            WHERE NOT EXISTS (SELECT 1 FROM event_attendance_history h WHERE h.attendance_log_id = s.attendance_log_id)
            ORDER BY s.attendance_log_id
            """
        )
        try connection.execute(
            """
            INSERT INTO event_participant_count (event_id, participants)
            SELECT event_id, participants FROM (\(participantCountsToFix)) AS d
            ON CONFLICT (event_id) DO UPDATE SET participants = EXCLUDED.participants
            """
        )
    }
}
