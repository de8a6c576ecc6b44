import Domain

/// Generated earned rewards, for benchmarks and tests of settlement: check-in successes written straight to the
/// log, history and reward log (one DAILY reward per member-day), as the check-in pipeline would have left them.
public enum RewardBacklog {
    /// Writes `members` × `days` successes of event `eventID` (which must exist), from `firstDay`, each earning
    /// a DAILY reward of `points` points, or a coupon of `couponGroupID` when given.
    @discardableResult
    public static func seed(
        eventID: Int64,
        members: Int,
        days: Int,
        firstDay: String = "2026-03-01",
        points: Int64 = 10,
        couponGroupID: String? = nil,
        on connection: PostgresConnection
    ) throws -> Int {
        try connection.transaction { db in
            try db.execute(
                """
                INSERT INTO event_attendance_log
                    (event_id, member_id, request_id, status, requested_at, attendance_date, source_topic,
                     source_partition, source_offset)
                SELECT $1::bigint, m, 'seed-' || m || '-' || d, 'CHECK_IN', now(), $4::date + d, 'seed', 0,
                       m::bigint * 1000 + d
                FROM generate_series(1, $2::int) AS m, generate_series(0, $3::int - 1) AS d
                """,
                [eventID, members, days, firstDay]
            )
            try db.execute(
                """
                INSERT INTO event_attendance_history
                    (event_id, member_id, attendance_log_id, attendance_date, total_attendance_count,
                     streak_attendance_count)
                SELECT event_id, member_id, id, attendance_date, 1, 1
                FROM event_attendance_log WHERE event_id = $1 AND source_topic = 'seed'
                """,
                [eventID]
            )
            let rows = try db.execute(
                """
                INSERT INTO event_attendance_reward_log
                    (idempotency_key, event_id, member_id, attendance_history_id, attendance_date, reward_kind,
                     reward_type, point_amount, coupon_group_id)
                SELECT 'att:' || event_id || ':' || member_id || ':' || to_char(attendance_date, 'YYYY-MM-DD') || ':DAILY',
                       event_id, member_id, id, attendance_date, 'DAILY',
                       CASE WHEN $3::text IS NULL THEN 'POINT' ELSE 'COUPON' END,
                       CASE WHEN $3::text IS NULL THEN $2::bigint END, $3::text
                FROM event_attendance_history WHERE event_id = $1
                ORDER BY member_id, attendance_date
                """,
                [eventID, points, couponGroupID]
            )
            return rows.affectedRows
        }
    }

    /// The reward commands of every pending reward, in reward log order (per member: in the order earned), as
    /// (Kafka key, value) pairs of `attendance.reward-commands.v1`.
    public static func commands(on connection: PostgresConnection) throws -> [(key: [UInt8], value: [UInt8])] {
        let rows = try connection.execute(
            """
            SELECT \(RewardStore.rewardColumns), h.attendance_log_id
            FROM event_attendance_reward_log r JOIN event_attendance_history h ON h.id = r.attendance_history_id
            WHERE r.status = 'PENDING' ORDER BY r.id
            """
        )
        let now = Timestamp.now()
        return (0..<rows.count).compactMap { row in
            guard let reward = RewardStore.reward(rows, row) else { return nil }
            let value = RewardSettlementMessage.commandPayload(
                reward: reward,
                attendanceLogID: rows.int64(row, 13) ?? 0,
                createdAt: now
            )
            return (reward.messageKey, value)
        }
    }
}
