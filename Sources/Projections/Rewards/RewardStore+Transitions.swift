import Domain

extension RewardStore {
    /// Applies each attempt's transition under its guard, then writes the outbox messages of the rows that moved.
    static func applyTransitions(
        _ attempts: [RewardAttemptRecord],
        topics: TopicNames,
        on connection: PostgresConnection
    ) throws -> RewardRecordSummary {
        var summary = RewardRecordSummary()
        var succeed: [(RewardAttemptRecord, String)] = []
        var fail: [(RewardAttemptRecord, String)] = []
        var retry: [(RewardAttemptRecord, Duration, String)] = []
        var park: [(RewardAttemptRecord, String)] = []
        for attempt in attempts {
            switch attempt.transition {
            case .succeed(let transactionID): succeed.append((attempt, transactionID))
            case .fail(let reason): fail.append((attempt, reason))
            case .retry(let delay, let reason): retry.append((attempt, delay, reason))
            case .park(let reason): park.append((attempt, reason))
            case .refuse, .ignore: break
            }
        }
        let byID = Dictionary(attempts.map { ($0.reward.id, $0.reward) }, uniquingKeysWith: { first, _ in first })
        let now = Timestamp.now()
        var outbox: [OutboxMessage] = []

        // A success or a permanent refusal is the API's word: it is recorded whichever attempt brought it, as long
        // as the reward is still pending (a later claim by another settler gets the same answer for the same key).
        if !succeed.isEmpty {
            let rows = try connection.execute(
                """
                UPDATE event_attendance_reward_log r
                SET status = 'SUCCEEDED', transaction_id = x.transaction_id, last_error = NULL,
                    next_attempt_at = NULL, settled_at = now(), updated_at = now()
                FROM unnest($1::bigint[], $2::text[]) AS x(id, transaction_id)
                WHERE r.id = x.id AND r.status = 'PENDING'
                RETURNING r.id, r.attempts, r.transaction_id
                """,
                [succeed.map { $0.0.reward.id as Int64? }, succeed.map { $0.1 as String? }]
            )
            summary.succeeded = rows.count
            for row in 0..<rows.count {
                guard let id = rows.int64(row, 0), let reward = byID[id] else { continue }
                outbox.append(
                    settlement(reward, .succeeded, rows.string(row, 2), nil, rows.int(row, 1) ?? 0, now, topics)
                )
            }
        }
        if !fail.isEmpty {
            let rows = try connection.execute(
                """
                UPDATE event_attendance_reward_log r
                SET status = 'FAILED', last_error = x.reason, next_attempt_at = NULL, settled_at = now(),
                    updated_at = now()
                FROM unnest($1::bigint[], $2::text[]) AS x(id, reason)
                WHERE r.id = x.id AND r.status = 'PENDING'
                RETURNING r.id, r.attempts, r.last_error, r.budget_reserved
                """,
                [fail.map { $0.0.reward.id as Int64? }, fail.map { String($0.1.prefix(500)) as String? }]
            )
            summary.failed = rows.count
            var released: [ClaimedReward] = []
            for row in 0..<rows.count {
                guard let id = rows.int64(row, 0), let reward = byID[id] else { continue }
                outbox.append(
                    settlement(reward, .failed, nil, rows.string(row, 2), rows.int(row, 1) ?? 0, now, topics)
                )
                if rows.bool(row, 3) == true { released.append(reward) }
            }
            // Never paid: its budget share goes back to the event.
            try releaseBudgets(released, on: connection)
        }
        // Retries and parking only by the attempt that holds the claim: a stale settler must not reschedule a
        // reward someone else is calling for right now.
        if !retry.isEmpty {
            let rows = try connection.execute(
                """
                UPDATE event_attendance_reward_log r
                SET next_attempt_at = now() + x.delay_ms * interval '1 millisecond', last_error = x.reason,
                    updated_at = now()
                FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[]) AS x(id, attempt, delay_ms, reason)
                WHERE r.id = x.id AND r.status = 'PENDING' AND r.attempts = x.attempt
                RETURNING r.id
                """,
                [
                    retry.map { $0.0.reward.id as Int64? },
                    retry.map { $0.0.reward.attempt as Int? },
                    retry.map { $0.1.wholeMilliseconds as Int64? },
                    retry.map { String($0.2.prefix(500)) as String? },
                ]
            )
            summary.retried = rows.count
        }
        if !park.isEmpty {
            let rows = try connection.execute(
                """
                UPDATE event_attendance_reward_log r
                SET status = 'PARKED', last_error = x.reason, next_attempt_at = NULL, settled_at = now(),
                    updated_at = now()
                FROM unnest($1::bigint[], $2::int[], $3::text[]) AS x(id, attempt, reason),
                     event_attendance_history h
                WHERE r.id = x.id AND r.status = 'PENDING' AND r.attempts = x.attempt
                  AND h.id = r.attendance_history_id
                RETURNING r.id, r.attempts, r.last_error, h.attendance_log_id,
                          (extract(epoch FROM r.created_at) * 1000000)::bigint,
                          -- The first failed call since the last re-drive: the dead letter's first failure time.
                          (SELECT (extract(epoch FROM min(a.started_at)) * 1000000)::bigint
                           FROM event_attendance_reward_attempt a
                           WHERE a.reward_log_id = r.id AND a.attempt > r.attempts_at_redrive
                             AND a.outcome IN ('RETRYABLE', 'UNKNOWN'))
                """,
                [
                    park.map { $0.0.reward.id as Int64? },
                    park.map { $0.0.reward.attempt as Int? },
                    park.map { String($0.1.prefix(500)) as String? },
                ]
            )
            summary.parked = rows.count
            for row in 0..<rows.count {
                guard let id = rows.int64(row, 0), let reward = byID[id] else { continue }
                let attempts = rows.int(row, 1) ?? 0
                let reason = rows.string(row, 2)
                outbox.append(settlement(reward, .parked, nil, reason, attempts, now, topics))
                let createdAt = Timestamp(microsecondsSinceEpoch: rows.int64(row, 4) ?? 0)
                outbox.append(
                    OutboxMessage(
                        topic: topics.rewardCommandsDLQ,
                        key: reward.messageKey,
                        payload: RewardSettlementMessage.commandPayload(
                            reward: reward,
                            attendanceLogID: rows.int64(row, 3) ?? 0,
                            createdAt: createdAt
                        ),
                        headers: DeadLetterHeaders(
                            reason: .rewardParked,
                            detail: reason ?? "",
                            attempts: attempts,
                            firstFailureAt: rows.int64(row, 5).map { Timestamp(microsecondsSinceEpoch: $0) },
                            lastFailureAt: now
                        ).headers
                    )
                )
            }
        }
        summary.stale = attempts.count - summary.succeeded - summary.failed - summary.retried - summary.parked
        try OutboxStore.append(outbox, on: connection)
        return summary
    }

    static func settlement(
        _ reward: ClaimedReward,
        _ status: RewardStatus,
        _ transactionID: String?,
        _ reason: String?,
        _ attempts: Int,
        _ settledAt: Timestamp,
        _ topics: TopicNames
    ) -> OutboxMessage {
        OutboxMessage(
            topic: topics.rewardSettlements,
            key: reward.messageKey,
            payload: RewardSettlementMessage.payload(
                reward: reward,
                status: status,
                transactionID: transactionID,
                reason: reason,
                attempts: attempts,
                settledAt: settledAt
            )
        )
    }
}
