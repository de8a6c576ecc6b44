import Domain
import Foundation

/// What `events apply` did to one event.
public enum EventApplyOutcome: Sendable, Hashable, CustomStringConvertible {
    case created(version: Int)
    case updated(version: Int)
    case unchanged(version: Int)

    public var version: Int {
        switch self {
        case .created(let version), .updated(let version), .unchanged(let version): version
        }
    }

    public var description: String {
        switch self {
        case .created(let version): "created (policy version \(version))"
        case .updated(let version): "updated (policy version \(version))"
        case .unchanged(let version): "unchanged (policy version \(version))"
        }
    }
}

/// Events and their versioned policies in Postgres.
public enum EventCatalog {
    /// Stores a validated policy. The same canonical document again changes nothing; a different one
    /// becomes the next version, used for requests processed from then on (consumers re-read version
    /// numbers every batch). Runs in its own transaction, serialised per event by a row lock.
    public static func apply(_ policy: EventPolicy, on connection: PostgresConnection) throws -> EventApplyOutcome {
        let document = String(decoding: policy.canonicalJSON(), as: UTF8.self)
        return try connection.transaction { connection in
            // Serialise concurrent applies of one event (the row may not exist yet, so lock on the id).
            try connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('attendance.event:' || $1::text, 0))",
                [policy.id]
            )
            let current = try connection.execute(
                """
                SELECT e.policy_version, v.checksum, encode(sha256(convert_to($2::text, 'UTF8')), 'hex')
                FROM event e JOIN event_policy_version v ON v.event_id = e.id AND v.version = e.policy_version
                WHERE e.id = $1
                """,
                [policy.id, document]
            )
            let version: Int
            let outcome: EventApplyOutcome
            if current.count == 1, let stored = current.int(0, 0) {
                if current.string(0, 1) == current.string(0, 2) { return .unchanged(version: stored) }
                version = stored + 1
                outcome = .updated(version: version)
            } else {
                version = 1
                outcome = .created(version: version)
            }
            let daily = rewardColumns(policy.dailyReward)
            try connection.execute(
                """
                INSERT INTO event (id, name, status, starts_at, ends_at, timezone, max_attendance_days, max_participants,
                                   daily_reward_type, daily_point_amount, daily_coupon_group_id, policy_version)
                VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9, $10, $11, $12)
                ON CONFLICT (id) DO UPDATE SET
                    name = EXCLUDED.name, status = EXCLUDED.status, starts_at = EXCLUDED.starts_at,
                    ends_at = EXCLUDED.ends_at, timezone = EXCLUDED.timezone,
                    max_attendance_days = EXCLUDED.max_attendance_days, max_participants = EXCLUDED.max_participants,
                    daily_reward_type = EXCLUDED.daily_reward_type, daily_point_amount = EXCLUDED.daily_point_amount,
                    daily_coupon_group_id = EXCLUDED.daily_coupon_group_id, policy_version = EXCLUDED.policy_version,
                    updated_at = now()
                """,
                [
                    policy.id, policy.name, policy.status.rawValue, policy.startsAt.description,
                    policy.endsAt.description, policy.timeZoneIdentifier, policy.maxAttendanceDays,
                    policy.maxParticipants, daily.type, daily.amount, daily.group, version,
                ]
            )
            try connection.execute(
                """
                INSERT INTO event_policy_version (event_id, version, policy, checksum)
                VALUES ($1, $2, $3::text::jsonb, encode(sha256(convert_to($3::text, 'UTF8')), 'hex'))
                """,
                [policy.id, version, document]
            )
            try connection.execute("DELETE FROM event_attendance_bonus_rule WHERE event_id = $1", [policy.id])
            for (position, rule) in policy.bonusRules.enumerated() {
                let reward = rewardColumns(rule.reward)
                try connection.execute(
                    """
                    INSERT INTO event_attendance_bonus_rule (event_id, rule_id, position, trigger_type, trigger_count,
                        repeat, bonus_reward_type, bonus_point_amount, bonus_coupon_group_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """,
                    [
                        policy.id, rule.id, position, rule.trigger.rawValue, rule.count, rule.repeats,
                        reward.type, reward.amount, reward.group,
                    ]
                )
            }
            try connection.execute(
                "INSERT INTO event_participant_count (event_id, participants) VALUES ($1, 0) ON CONFLICT DO NOTHING",
                [policy.id]
            )
            return outcome
        }
    }

    private static func rewardColumns(_ reward: RewardSpec) -> (type: String?, amount: Int64?, group: String?) {
        switch reward {
        case .point(let amount): ("POINT", amount, nil)
        case .coupon(let groupID): ("COUPON", nil, groupID)
        case .none: ("NONE", nil, nil)
        }
    }
}
