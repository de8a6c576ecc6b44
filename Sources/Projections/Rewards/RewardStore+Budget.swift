import Domain

extension RewardStore {
    /// Reserves each claimed reward's share of its event's budget (`point_budget`, `coupon_budget` of the event's
    /// current policy version), once per reward. A reservation is one guarded UPDATE on the event's usage row, so
    /// concurrent settlers serialise on its lock and the sum can never pass the cap. Rewards refused are moved to
    /// BUDGET_EXCEEDED (their claim uncounted: no call is made) and removed from `claimed`.
    ///
    /// - Returns: how many were refused.
    static func reserveBudgets(
        _ claimed: inout [ClaimedReward],
        topics: TopicNames,
        on connection: PostgresConnection
    ) throws -> Int {
        let needing = claimed.filter { !$0.budgetReserved }
        guard !needing.isEmpty else { return 0 }
        let eventIDs = Array(Set(needing.map(\.eventID)))
        let caps = try connection.execute(
            """
            SELECT DISTINCT ON (event_id) event_id, (policy->>'point_budget')::bigint, (policy->>'coupon_budget')::bigint
            FROM event_policy_version WHERE event_id = ANY($1::bigint[])
            ORDER BY event_id, version DESC
            """,
            [eventIDs.map { $0 as Int64? }]
        )
        var pointCaps: [Int64: Int64] = [:]
        var couponCaps: [Int64: Int64] = [:]
        for row in 0..<caps.count {
            guard let event = caps.int64(row, 0) else { continue }
            pointCaps[event] = caps.int64(row, 1)
            couponCaps[event] = caps.int64(row, 2)
        }
        let capped = needing.filter { reward in
            switch reward.payout {
            case .points: pointCaps[reward.eventID] != nil
            case .coupon: couponCaps[reward.eventID] != nil
            }
        }
        guard !capped.isEmpty else { return 0 }
        try connection.execute(
            "INSERT INTO event_reward_budget_usage (event_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING",
            [Array(Set(capped.map(\.eventID))).map { $0 as Int64? }]
        )
        var reserved: [Int64] = []
        var refused: [(ClaimedReward, String)] = []
        // One lock order (event, then reward) for every settler, so two claims never deadlock on usage rows.
        for reward in capped.sorted(by: { ($0.eventID, $0.id) < ($1.eventID, $1.id) }) {
            let result: PostgresRows
            let reason: String
            switch reward.payout {
            case .points(let amount):
                let cap = pointCaps[reward.eventID] ?? 0
                reason = "point budget of event \(reward.eventID) (\(cap)) cannot cover \(amount) more points"
                result = try connection.execute(
                    """
                    UPDATE event_reward_budget_usage SET points_reserved = points_reserved + $2, updated_at = now()
                    WHERE event_id = $1 AND points_reserved + $2 <= $3
                    """,
                    [reward.eventID, amount, cap]
                )
            case .coupon:
                let cap = couponCaps[reward.eventID] ?? 0
                reason = "coupon budget of event \(reward.eventID) (\(cap)) is used up"
                result = try connection.execute(
                    """
                    UPDATE event_reward_budget_usage SET coupons_reserved = coupons_reserved + 1, updated_at = now()
                    WHERE event_id = $1 AND coupons_reserved + 1 <= $2
                    """,
                    [reward.eventID, cap]
                )
            }
            if result.affectedRows == 1 { reserved.append(reward.id) } else { refused.append((reward, reason)) }
        }
        if !reserved.isEmpty {
            try connection.execute(
                "UPDATE event_attendance_reward_log SET budget_reserved = true WHERE id = ANY($1::bigint[])",
                [reserved.map { $0 as Int64? }]
            )
        }
        guard !refused.isEmpty else { return 0 }
        let rows = try connection.execute(
            """
            UPDATE event_attendance_reward_log r
            SET status = 'BUDGET_EXCEEDED', attempts = r.attempts - 1, last_error = x.reason, next_attempt_at = NULL,
                settled_at = now(), updated_at = now()
            FROM unnest($1::bigint[], $2::text[]) AS x(id, reason)
            WHERE r.id = x.id AND r.status = 'PENDING'
            RETURNING r.id, r.attempts, r.last_error
            """,
            [refused.map { $0.0.id as Int64? }, refused.map { $0.1 as String? }]
        )
        let byID = Dictionary(refused.map { ($0.0.id, $0.0) }, uniquingKeysWith: { first, _ in first })
        let now = Timestamp.now()
        var outbox: [OutboxMessage] = []
        for row in 0..<rows.count {
            guard let id = rows.int64(row, 0), let reward = byID[id] else { continue }
            outbox.append(
                settlement(reward, .budgetExceeded, nil, rows.string(row, 2), rows.int(row, 1) ?? 0, now, topics)
            )
        }
        try OutboxStore.append(outbox, on: connection)
        let refusedIDs = Set(refused.map(\.0.id))
        claimed.removeAll { refusedIDs.contains($0.id) }
        return refused.count
    }

    /// Gives the shares of rewards that were never paid back to their events.
    static func releaseBudgets(_ rewards: [ClaimedReward], on connection: PostgresConnection) throws {
        guard !rewards.isEmpty else { return }
        try connection.execute(
            """
            UPDATE event_reward_budget_usage u
            SET points_reserved = u.points_reserved - x.points, coupons_reserved = u.coupons_reserved - x.coupons,
                updated_at = now()
            FROM (SELECT event_id, sum(points) AS points, sum(coupons) AS coupons
                  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS y(event_id, points, coupons)
                  GROUP BY event_id) AS x
            WHERE u.event_id = x.event_id
            """,
            [
                rewards.map { $0.eventID as Int64? },
                rewards.map { reward -> Int64? in if case .points(let amount) = reward.payout { amount } else { 0 } },
                rewards.map { reward -> Int64? in if case .coupon = reward.payout { 1 } else { 0 } },
            ]
        )
        try connection.execute(
            "UPDATE event_attendance_reward_log SET budget_reserved = false WHERE id = ANY($1::bigint[])",
            [rewards.map { $0.id as Int64? }]
        )
    }
}
