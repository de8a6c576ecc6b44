import Domain

/// Fills an event with generated history in SQL, for benchmarks and plan tests: every member of 1…`members`
/// succeeded on each of `days` days from `firstDay` (so total and streak both count up), with a settled DAILY
/// point reward per success and the read side's counters. Rows carry the source topic `generated`.
///
/// Generated in the server (no client round trip per row), so a million rows take seconds, not minutes.
public enum AttendanceHistoryGenerator {
    public static func generate(
        eventID: Int64,
        members: Int,
        days: Int,
        firstDay: AttendanceDate,
        timezone: String,
        on connection: PostgresConnection
    ) throws {
        try connection.transaction { connection in
            try connection.execute(
                """
                INSERT INTO event_attendance_log (event_id, member_id, request_id, status, requested_at, attendance_date,
                    policy_version, source_topic, source_partition, source_offset, message_timestamp)
                SELECT $1::bigint, m, 'gen-' || m || '-' || d, 'CHECK_IN',
                       (($4::date + d) + time '12:00') AT TIME ZONE $5::text, $4::date + d, 1, 'generated',
                       (m % 12)::int, m * 1000 + d, now()
                FROM generate_series(1, $2::bigint) AS m, generate_series(0, $3::int - 1) AS d
                ORDER BY d, m
                """,
                [eventID, Int64(members), days, firstDay.description, timezone]
            )
            try connection.execute(
                """
                INSERT INTO event_attendance_history (event_id, member_id, attendance_log_id, attendance_date,
                    total_attendance_count, streak_attendance_count)
                SELECT event_id, member_id, id, attendance_date, (attendance_date - $2::date) + 1, (attendance_date - $2::date) + 1
                FROM event_attendance_log
                WHERE event_id = $1::bigint AND source_topic = 'generated'
                """,
                [eventID, firstDay.description]
            )
            try connection.execute(
                """
                INSERT INTO event_attendance_reward_log (idempotency_key, event_id, member_id, attendance_history_id,
                    attendance_date, reward_kind, reward_type, point_amount, status, attempts, transaction_id, settled_at)
                SELECT 'att:' || event_id || ':' || member_id || ':' || attendance_date || ':DAILY', event_id, member_id,
                       id, attendance_date, 'DAILY', 'POINT', 10, 'SUCCEEDED', 1, 'tx-' || id, now()
                FROM event_attendance_history
                WHERE event_id = $1::bigint
                ON CONFLICT DO NOTHING
                """,
                [eventID]
            )
            try connection.execute(
                """
                INSERT INTO event_attendance_daily_count (event_id, attendance_date, outcome, source_partition, requests)
                SELECT event_id, attendance_date, 'CHECK_IN', -2, count(*)
                FROM event_attendance_log WHERE event_id = $1::bigint AND source_topic = 'generated'
                GROUP BY 1, 2
                UNION ALL
                SELECT $1::bigint, $3::date, 'NEW_PARTICIPANT', -2, $2::bigint
                ON CONFLICT (event_id, attendance_date, outcome, source_partition)
                DO UPDATE SET requests = event_attendance_daily_count.requests + EXCLUDED.requests
                """,
                [eventID, Int64(members), firstDay.description]
            )
            try connection.execute(
                """
                INSERT INTO event_participant_count (event_id, participants) VALUES ($1::bigint, $2::bigint)
                ON CONFLICT (event_id) DO UPDATE SET participants = event_participant_count.participants + EXCLUDED.participants
                """,
                [eventID, Int64(members)]
            )
        }
        try connection.execute("ANALYZE event_attendance_log")
        try connection.execute("ANALYZE event_attendance_history")
        try connection.execute("ANALYZE event_attendance_reward_log")
        try connection.execute("ANALYZE event_attendance_daily_count")
    }
}
