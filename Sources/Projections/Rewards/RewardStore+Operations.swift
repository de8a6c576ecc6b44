import Domain

/// One reward as an operator sees it (`attendance rewards list`).
public struct RewardListing: Sendable, Hashable {
    public let idempotencyKey: String
    public let eventID: Int64
    public let memberID: Int64
    public let rewardType: String
    /// Points, or the coupon group.
    public let payout: String
    public let status: String
    public let attempts: Int
    public let transactionID: String?
    public let lastError: String?
    public let nextAttemptAt: String?
    public let updatedAt: String
}

extension RewardStore {
    /// Rewards by status (all when nil), optionally of one event, most recently changed first.
    public static func list(
        status: RewardStatus?,
        eventID: Int64?,
        limit: Int,
        on connection: PostgresConnection
    ) throws -> [RewardListing] {
        let rows = try connection.execute(
            """
            SELECT idempotency_key, event_id, member_id, reward_type,
                   coalesce(point_amount::text, coupon_group_id), status, attempts, transaction_id, last_error,
                   to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM event_attendance_reward_log
            WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR event_id = $2)
            ORDER BY updated_at DESC, id DESC
            LIMIT $3
            """,
            [status?.rawValue, eventID, limit]
        )
        return (0..<rows.count).map { row in
            RewardListing(
                idempotencyKey: rows.string(row, 0) ?? "",
                eventID: rows.int64(row, 1) ?? 0,
                memberID: rows.int64(row, 2) ?? 0,
                rewardType: rows.string(row, 3) ?? "",
                payout: rows.string(row, 4) ?? "",
                status: rows.string(row, 5) ?? "",
                attempts: rows.int(row, 6) ?? 0,
                transactionID: rows.string(row, 7),
                lastError: rows.string(row, 8),
                nextAttemptAt: rows.string(row, 9),
                updatedAt: rows.string(row, 10) ?? ""
            )
        }
    }

    /// How many rewards are in each status (statuses with none are absent).
    public static func counts(eventID: Int64? = nil, on connection: PostgresConnection) throws -> [RewardStatus: Int] {
        let rows = try connection.execute(
            """
            SELECT status, count(*) FROM event_attendance_reward_log
            WHERE ($1::bigint IS NULL OR event_id = $1) GROUP BY status
            """,
            [eventID]
        )
        var counts: [RewardStatus: Int] = [:]
        for row in 0..<rows.count {
            if let status = rows.string(row, 0).flatMap(RewardStatus.init(rawValue:)) {
                counts[status] = rows.int(row, 1)
            }
        }
        return counts
    }

    /// An operator's re-drive: parked rewards (the given keys, or all of an event, or all) become pending and due
    /// now, with a fresh allowance of attempts; the same idempotency key is used, so a reward that was in fact paid
    /// comes back SUCCEEDED with its first transaction id. Rewards that are not parked are untouched, so running
    /// it twice changes nothing the second time.
    ///
    /// - Returns: the keys that were re-driven.
    public static func redrive(
        keys: [String],
        eventID: Int64?,
        on connection: PostgresConnection
    ) throws -> [String] {
        let rows = try connection.execute(
            """
            UPDATE event_attendance_reward_log
            SET status = 'PENDING', attempts_at_redrive = attempts, next_attempt_at = now(), settled_at = NULL,
                last_error = 're-driven by an operator after: ' || coalesce(last_error, ''), updated_at = now()
            WHERE status = 'PARKED'
              AND (cardinality($1::text[]) = 0 OR idempotency_key = ANY($1::text[]))
              AND ($2::bigint IS NULL OR event_id = $2)
            RETURNING idempotency_key
            """,
            [keys.map { $0 as String? }, eventID]
        )
        return (0..<rows.count).compactMap { rows.string($0, 0) }
    }
}
