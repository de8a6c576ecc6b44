import Domain
import Foundation

/// The read side's queries (PRODUCT §9), each answered from an index in one round trip (the event summary in
/// four): an outcome by the log's unique (event_id, request_id), a member's days by the seed's
/// (event_id, member_id, attendance_date DESC) index, their rewards by (event_id, member_id, attendance_date)
/// (migration 0014), an event's days from the per-day counters the batch maintains.
///
/// Not thread-safe: one instance per connection, used from the thread that owns the connection.
public final class AttendanceReadStore {
    public let connection: PostgresConnection
    private var policyCache = PolicyCache()
    private var policyCheckedAt: [Int64: ContinuousClock.Instant] = [:]
    private var policies: [Int64: VersionedPolicy] = [:]
    /// How long a policy is served without asking whether a newer version was applied.
    public var policyFreshness: Duration = .seconds(1)

    public init(connection: PostgresConnection) throws {
        self.connection = connection
        try Self.prepare(on: connection)
    }

    /// The event's current policy, or nil when there is no such event.
    public func policy(eventID: Int64) throws -> VersionedPolicy? {
        let now = ContinuousClock.now
        if let checked = policyCheckedAt[eventID], now - checked < policyFreshness { return policies[eventID] }
        let found = try policyCache.policies(for: [eventID], on: connection)[eventID]
        policies[eventID] = found
        policyCheckedAt[eventID] = now
        if policyCheckedAt.count > 10_000 { policyCheckedAt.removeAll(keepingCapacity: true) }
        return found
    }

    public func outcome(eventID: Int64, requestID: String) throws -> CheckInOutcomeRecord? {
        let rows = try connection.executePrepared("read_outcome", [eventID, requestID])
        guard rows.count > 0, let memberID = rows.int64(0, 0), let status = rows.string(0, 1),
            let processedAt = rows.int64(0, 10)
        else { return nil }
        var rewards: [RewardRecord] = []
        for row in 0..<rows.count where !rows.isNull(row, 11) {
            if let reward = Self.reward(rows, row, from: 11) { rewards.append(reward) }
        }
        return CheckInOutcomeRecord(
            eventID: eventID,
            memberID: memberID,
            requestID: requestID,
            status: status,
            failReason: rows.string(0, 2),
            attendanceDate: rows.string(0, 3).flatMap(AttendanceDate.init(iso:)),
            total: rows.int(0, 4),
            streak: rows.int(0, 5),
            policyVersion: rows.int(0, 6),
            requestedAt: rows.int64(0, 7).map { Timestamp(microsecondsSinceEpoch: $0) },
            channel: rows.string(0, 8),
            processedAt: Timestamp(microsecondsSinceEpoch: processedAt),
            rewards: rewards
        )
    }

    public func memberAttendance(eventID: Int64, memberID: Int64) throws -> MemberAttendanceRecord {
        let rows = try connection.executePrepared("read_member", [eventID, memberID])
        var days: [AttendanceSnapshot] = []
        var rewards: [RewardRecord] = []
        for row in 0..<rows.count {
            if rows.string(row, 0) == "D" {
                guard let date = rows.string(row, 1).flatMap(AttendanceDate.init(iso:)), let total = rows.int(row, 2),
                    let streak = rows.int(row, 3)
                else { continue }
                days.append(AttendanceSnapshot(date: date, total: total, streak: streak))
            } else if let reward = Self.reward(rows, row, from: 4) {
                rewards.append(reward)
            }
        }
        return MemberAttendanceRecord(days: days, rewards: rewards)
    }

    public func eventSummary(eventID: Int64, from: AttendanceDate, to: AttendanceDate) throws -> EventSummaryRecord {
        let range: [(any PostgresBindable)?] = [eventID, from.description, to.description]
        let counts = try connection.executePrepared("read_summary_days", range)
        var days: [EventSummaryRecord.Day] = []
        for row in 0..<counts.count {
            guard let date = counts.string(row, 0).flatMap(AttendanceDate.init(iso:)),
                let outcome = counts.string(row, 1),
                let requests = counts.int64(row, 2)
            else { continue }
            if days.last?.date != date { days.append(.init(date: date)) }
            switch outcome {
            case "CHECK_IN": days[days.count - 1].successes = requests
            case "NEW_PARTICIPANT": days[days.count - 1].newParticipants = requests
            default: days[days.count - 1].failures[outcome] = requests
            }
        }
        let groups = try connection.executePrepared("read_summary_rewards", range)
        var rewards: [EventSummaryRecord.RewardGroup] = []
        for row in 0..<groups.count {
            guard let kind = groups.string(row, 0), let type = groups.string(row, 1), let status = groups.string(row, 2)
            else { continue }
            rewards.append(
                .init(
                    kind: kind,
                    type: type,
                    status: status,
                    count: groups.int64(row, 3) ?? 0,
                    pointSum: groups.int64(row, 4) ?? 0
                )
            )
        }
        let totals = try connection.executePrepared("read_summary_totals", [eventID])
        return EventSummaryRecord(
            participants: totals.count > 0 ? totals.int64(0, 0) ?? 0 : 0,
            days: days,
            rewards: rewards,
            pointsReserved: totals.count > 0 ? totals.int64(0, 1) ?? 0 : 0,
            couponsReserved: totals.count > 0 ? totals.int64(0, 2) ?? 0 : 0
        )
    }

    // MARK: - SQL

    /// The reward columns every read selects, in this order (see `reward(_:_:from:)`).
    static let rewardColumns = """
        r.idempotency_key, to_char(r.attendance_date, 'YYYY-MM-DD'), r.reward_kind, r.bonus_rule_id, r.reward_type,
        r.point_amount, r.coupon_group_id, r.status, r.attempts, r.transaction_id, r.last_error,
        (extract(epoch FROM r.settled_at) * 1000000)::bigint
        """

    /// The statements, by name; `EXPLAIN` of each is in the read-side tests.
    public static let statements: [(name: String, sql: String)] = [
        (
            "read_outcome",
            """
            SELECT l.member_id, l.status, l.fail_reason, to_char(l.attendance_date, 'YYYY-MM-DD'),
                   h.total_attendance_count, h.streak_attendance_count, l.policy_version,
                   (extract(epoch FROM l.requested_at) * 1000000)::bigint, l.channel, NULL,
                   (extract(epoch FROM l.created_at) * 1000000)::bigint,
                   \(rewardColumns)
            FROM event_attendance_log l
            LEFT JOIN event_attendance_history h ON h.attendance_log_id = l.id
            LEFT JOIN event_attendance_reward_log r
              ON h.id IS NOT NULL AND r.event_id = l.event_id AND r.member_id = l.member_id
             AND r.attendance_date = l.attendance_date
            WHERE l.event_id = $1::bigint AND l.request_id = $2::text
            ORDER BY r.id
            """
        ),
        (
            "read_member",
            """
            SELECT 'D', to_char(h.attendance_date, 'YYYY-MM-DD'), h.total_attendance_count, h.streak_attendance_count,
                   NULL, NULL, NULL, NULL, NULL, NULL::bigint, NULL, NULL, NULL::int, NULL, NULL, NULL::bigint
            FROM event_attendance_history h
            WHERE h.event_id = $1::bigint AND h.member_id = $2::bigint
            UNION ALL
            SELECT 'R', NULL, NULL, NULL, \(rewardColumns)
            FROM event_attendance_reward_log r
            WHERE r.event_id = $1::bigint AND r.member_id = $2::bigint
            ORDER BY 1, 2, 6, 5
            """
        ),
        (
            "read_summary_days",
            """
            SELECT to_char(attendance_date, 'YYYY-MM-DD'), outcome, sum(requests)::bigint
            FROM event_attendance_daily_count
            WHERE event_id = $1::bigint AND attendance_date BETWEEN $2::date AND $3::date
            GROUP BY attendance_date, outcome
            ORDER BY attendance_date, outcome
            """
        ),
        (
            "read_summary_rewards",
            """
            SELECT reward_kind, reward_type, status, count(*), coalesce(sum(point_amount), 0)::bigint
            FROM event_attendance_reward_log
            WHERE event_id = $1::bigint AND attendance_date BETWEEN $2::date AND $3::date
            GROUP BY reward_kind, reward_type, status
            ORDER BY reward_kind, reward_type, status
            """
        ),
        (
            "read_summary_totals",
            """
            SELECT coalesce((SELECT participants FROM event_participant_count WHERE event_id = $1::bigint), 0),
                   coalesce((SELECT points_reserved FROM event_reward_budget_usage WHERE event_id = $1::bigint), 0),
                   coalesce((SELECT coupons_reserved FROM event_reward_budget_usage WHERE event_id = $1::bigint), 0)
            """
        ),
    ]

    static func prepare(on connection: PostgresConnection) throws {
        for statement in statements { try connection.prepare(statement.name, statement.sql) }
    }

    private static func reward(_ rows: PostgresRows, _ row: Int, from column: Int) -> RewardRecord? {
        guard let key = rows.string(row, column),
            let date = rows.string(row, column + 1).flatMap(AttendanceDate.init(iso:)),
            let kind = rows.string(row, column + 2), let type = rows.string(row, column + 4),
            let status = rows.string(row, column + 7)
        else { return nil }
        return RewardRecord(
            idempotencyKey: key,
            attendanceDate: date,
            kind: kind,
            bonusRuleID: rows.string(row, column + 3),
            type: type,
            pointAmount: rows.int64(row, column + 5),
            couponGroupID: rows.string(row, column + 6),
            status: status,
            attempts: rows.int(row, column + 8) ?? 0,
            transactionID: rows.string(row, column + 9),
            lastError: rows.string(row, column + 10),
            settledAt: rows.int64(row, column + 11).map { Timestamp(microsecondsSinceEpoch: $0) }
        )
    }
}
