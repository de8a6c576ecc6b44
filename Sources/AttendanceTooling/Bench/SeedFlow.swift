import CommandSupport
import Domain
import Foundation
import Projections

/// The seed design's per-message flow, for the benchmark's comparison: one transaction per request, a lock
/// per (event, member) (an advisory lock standing in for the Redis lock), single-row reads and inserts.
/// Same rules (Domain) and same tables as the batch projector, so only the I/O pattern differs.
struct SeedFlow {
    let connection: PostgresConnection
    private var policies: [Int64: (version: Int, policy: EventPolicy)] = [:]

    init(connection: PostgresConnection) {
        self.connection = connection
    }

    mutating func process(key: [UInt8]?, value: [UInt8], messageTimestamp: Timestamp, offset: Int64) throws {
        guard case .success(let request) = CheckInMessage.parse(key: key, value: value) else { return }
        try connection.transaction { connection in
            try connection.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                ["\(request.eventID):\(request.memberID)"]
            )
            let done = try connection.execute(
                "SELECT 1 FROM event_attendance_log WHERE event_id = $1 AND request_id = $2",
                [request.eventID, request.requestID]
            )
            guard done.count == 0 else { return }
            let versioned = try policy(request.eventID, on: connection)
            var latest: AttendanceSnapshot?
            let rows = try connection.execute(
                """
                SELECT to_char(attendance_date, 'YYYY-MM-DD'), total_attendance_count, streak_attendance_count
                FROM event_attendance_history WHERE event_id = $1 AND member_id = $2
                ORDER BY attendance_date DESC LIMIT 1
                """,
                [request.eventID, request.memberID]
            )
            if rows.count == 1, let date = rows.string(0, 0).flatMap(AttendanceDate.init(iso:)),
                let total = rows.int(0, 1), let streak = rows.int(0, 2)
            {
                latest = AttendanceSnapshot(date: date, total: total, streak: streak)
            }
            let decision = CheckInRules.decide(
                request,
                in: CheckInContext(
                    policy: versioned?.policy,
                    messageTimestamp: messageTimestamp,
                    member: MemberAttendance(latest: latest),
                    participantCount: 0
                )
            )
            let status: String
            let reason: String?
            switch decision.outcome {
            case .checkedIn:
                status = "CHECK_IN"
                reason = nil
            case .failed(let failReason, _):
                status = "FAIL"
                reason = failReason.rawValue
            }
            let log = try connection.execute(
                """
                INSERT INTO event_attendance_log (event_id, member_id, request_id, status, fail_reason, requested_at,
                    attendance_date, policy_version, source_topic, source_partition, source_offset)
                VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::date, $8, 'baseline', 0, $9) RETURNING id
                """,
                [
                    request.eventID, request.memberID, request.requestID, status, reason,
                    request.requestedAt?.description, decision.attendanceDate?.description, versioned?.version, offset,
                ]
            )
            guard case .checkedIn(let snapshot, let rewards) = decision.outcome, let logID = log.int64(0, 0) else {
                return
            }
            let history = try connection.execute(
                """
                INSERT INTO event_attendance_history (event_id, member_id, attendance_log_id, attendance_date,
                    total_attendance_count, streak_attendance_count)
                VALUES ($1, $2, $3, $4::date, $5, $6) RETURNING id
                """,
                [request.eventID, request.memberID, logID, snapshot.date.description, snapshot.total, snapshot.streak]
            )
            guard let historyID = history.int64(0, 0) else { return }
            for grant in rewards {
                var amount: Int64?
                var group: String?
                if case .point(let points) = grant.reward { amount = points }
                if case .coupon(let coupon) = grant.reward { group = coupon }
                var rule: String?
                if case .bonus(let id) = grant.kind { rule = id }
                try connection.execute(
                    """
                    INSERT INTO event_attendance_reward_log (idempotency_key, event_id, member_id, attendance_history_id,
                        attendance_date, reward_kind, bonus_rule_id, reward_type, point_amount, coupon_group_id)
                    VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, $9, $10)
                    """,
                    [
                        grant.idempotencyKey, request.eventID, request.memberID, historyID, snapshot.date.description,
                        grant.kind.name, rule, amount == nil ? "COUPON" : "POINT", amount, group,
                    ]
                )
            }
        }
    }

    private mutating func policy(_ eventID: Int64, on connection: PostgresConnection) throws -> (
        version: Int, policy: EventPolicy
    )? {
        if let cached = policies[eventID] { return cached }
        let rows = try connection.execute(
            """
            SELECT v.version, v.policy::text FROM event e
            JOIN event_policy_version v ON v.event_id = e.id AND v.version = e.policy_version WHERE e.id = $1
            """,
            [eventID]
        )
        guard rows.count == 1, let version = rows.int(0, 0), let text = rows.string(0, 1) else { return nil }
        let loaded = (version, try EventPolicy.decode(json: Data(text.utf8)))
        policies[eventID] = loaded
        return loaded
    }
}
