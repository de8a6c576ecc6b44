import Domain

/// SQL of reward settlement. Every state change is a guarded UPDATE (`WHERE status = 'PENDING' …`) whose
/// RETURNING rows are the only ones that publish outbox messages, in the same transaction: an outcome is
/// recorded and announced exactly once however often a command is redelivered or two settlers race.
///
/// Blocking (libpq): call from a dedicated thread.
public enum RewardStore {
    /// Columns read into a ``ClaimedReward`` (table alias `r`).
    static let rewardColumns = """
        r.id, r.idempotency_key, r.event_id, r.member_id, to_char(r.attendance_date, 'YYYY-MM-DD'), r.reward_kind,
        r.bonus_rule_id, r.reward_type, r.point_amount, r.coupon_group_id, r.attempts, r.attempts_at_redrive,
        r.budget_reserved
        """

    /// Claims the pending, due rewards among `keys` for one attempt each: counts the attempt and leases the row
    /// until `now() + lease` (when it becomes due again if no outcome is recorded, e.g. the settler died). Rewards
    /// that are settled, leased by another settler or scheduled for later are left alone: whoever holds them, or
    /// the scheduler, settles them. Then reserves budget shares; rewards the budget refuses are settled as
    /// BUDGET_EXCEEDED here (no call is made).
    ///
    /// - Returns: the rewards to call the API for, and how many the budget refused.
    public static func claim(
        keys: [String],
        lease: Duration,
        topics: TopicNames,
        on connection: PostgresConnection
    ) throws -> (claimed: [ClaimedReward], refused: Int) {
        guard !keys.isEmpty else { return ([], 0) }
        return try connection.transaction { connection in
            // Due is written with coalesce so that only the key's unique index can serve this query: with
            // `next_attempt_at IS NULL OR …` the planner may scan the scheduler's partial indexes (every pending
            // reward) when its statistics think they are small, which they are except during a backlog.
            let rows = try connection.execute(
                """
                WITH candidate AS (
                    SELECT id FROM event_attendance_reward_log
                    WHERE idempotency_key = ANY($1::text[]) AND status = 'PENDING'
                      AND coalesce(next_attempt_at, '-infinity') <= now()
                    ORDER BY id
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE event_attendance_reward_log r
                SET attempts = r.attempts + 1,
                    next_attempt_at = now() + $2::bigint * interval '1 millisecond',
                    updated_at = now()
                FROM candidate c
                WHERE r.id = c.id
                RETURNING \(rewardColumns)
                """,
                [keys.map { $0 as String? }, lease.wholeMilliseconds]
            )
            var claimed = (0..<rows.count).compactMap { Self.reward(rows, $0) }
            let refused = try reserveBudgets(&claimed, topics: topics, on: connection)
            return (claimed, refused)
        }
    }

    /// Records finished attempts and applies their transitions, in one transaction.
    public static func record(
        _ attempts: [RewardAttemptRecord],
        topics: TopicNames,
        on connection: PostgresConnection
    ) throws -> RewardRecordSummary {
        guard !attempts.isEmpty else { return RewardRecordSummary() }
        return try connection.transaction { connection in
            try insertAttempts(attempts, on: connection)
            return try applyTransitions(attempts, topics: topics, on: connection)
        }
    }

    /// Gives back claims that were never attempted (the API's circuit is open): the attempt is uncounted and the
    /// reward is due again after `delay`.
    public static func release(_ rewards: [ClaimedReward], delay: Duration, on connection: PostgresConnection) throws {
        guard !rewards.isEmpty else { return }
        try connection.execute(
            """
            UPDATE event_attendance_reward_log r
            SET attempts = r.attempts - 1, next_attempt_at = now() + $3::bigint * interval '1 millisecond',
                last_error = 'not attempted: circuit open', updated_at = now()
            FROM unnest($1::bigint[], $2::int[]) AS x(id, attempt)
            WHERE r.id = x.id AND r.status = 'PENDING' AND r.attempts = x.attempt
            """,
            [rewards.map { $0.id as Int64? }, rewards.map { $0.attempt as Int? }, delay.wholeMilliseconds]
        )
    }

    /// Keys of pending rewards that are due: retries whose time came, leases that ran out, and (after `grace`)
    /// rewards no settler ever claimed.
    public static func due(limit: Int, grace: Duration, on connection: PostgresConnection) throws -> [String] {
        let rows = try connection.execute(
            """
            (SELECT idempotency_key FROM event_attendance_reward_log
             WHERE status = 'PENDING' AND next_attempt_at IS NOT NULL AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1)
            UNION ALL
            (SELECT idempotency_key FROM event_attendance_reward_log
             WHERE status = 'PENDING' AND next_attempt_at IS NULL
               AND created_at < now() - $2::bigint * interval '1 millisecond'
             ORDER BY created_at LIMIT $1)
            """,
            [limit, grace.wholeMilliseconds]
        )
        return (0..<rows.count).compactMap { rows.string($0, 0) }
    }

    static func reward(_ rows: PostgresRows, _ row: Int) -> ClaimedReward? {
        guard let id = rows.int64(row, 0), let key = rows.string(row, 1), let eventID = rows.int64(row, 2),
            let memberID = rows.int64(row, 3), let date = rows.string(row, 4), let kind = rows.string(row, 5)
        else { return nil }
        let payout: ClaimedReward.Payout
        switch rows.string(row, 7) {
        case "POINT":
            guard let amount = rows.int64(row, 8) else { return nil }
            payout = .points(amount)
        case "COUPON":
            guard let group = rows.string(row, 9) else { return nil }
            payout = .coupon(groupID: group)
        default:
            return nil
        }
        return ClaimedReward(
            id: id,
            idempotencyKey: key,
            eventID: eventID,
            memberID: memberID,
            attendanceDate: date,
            kind: kind,
            bonusRuleID: rows.string(row, 6),
            payout: payout,
            attempt: rows.int(row, 10) ?? 0,
            attemptsAtRedrive: rows.int(row, 11) ?? 0,
            budgetReserved: rows.bool(row, 12) ?? false
        )
    }

    private static func insertAttempts(_ attempts: [RewardAttemptRecord], on connection: PostgresConnection) throws {
        try connection.copyIn(
            """
            COPY event_attendance_reward_attempt
                (reward_log_id, attempt, started_at, latency_ms, http_status, outcome, transaction_id, error)
            FROM STDIN (FORMAT binary)
            """,
            binaryRows: attempts,
            fieldsPerRow: 8
        ) { (attempt, copy) in
            copy.append(int64: attempt.reward.id)
            try copy.append(int32: attempt.reward.attempt)
            try copy.append(timestampMicrosecondsSinceUnixEpoch: attempt.startedAt.microsecondsSinceEpoch)
            copy.append(float64: attempt.latency.milliseconds)
            try copy.append(int32: attempt.httpStatus)
            copy.append(text: attempt.result.outcomeName)
            if case .paid(let id) = attempt.result { copy.append(text: id) } else { copy.append(text: nil) }
            copy.append(text: attempt.result.reason.map { String($0.prefix(500).filter { $0 != "\u{0}" }) })
        }
    }
}

extension Duration {
    /// Whole milliseconds (truncated), for `$n::bigint * interval '1 millisecond'`.
    var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Fractional milliseconds, for latency columns.
    var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}
