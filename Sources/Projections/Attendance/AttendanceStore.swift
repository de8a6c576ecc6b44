import Domain

/// The SQL of the check-in projection. Every statement is parameterised: the batch's rows are written by binary
/// COPY, multi-row reads and counter updates go through `unnest` over array parameters, so a batch costs a fixed
/// number of round trips whatever its size.
enum AttendanceStore {
    static func processedRequests(
        _ keys: [CheckInProjector.RequestKey],
        on connection: PostgresConnection
    ) throws -> Set<CheckInProjector.RequestKey> {
        let rows = try connection.execute(
            """
            SELECT l.event_id, l.request_id
            FROM event_attendance_log l
            JOIN unnest($1::bigint[], $2::text[]) AS k(event_id, request_id)
              ON l.event_id = k.event_id AND l.request_id = k.request_id
            """,
            [keys.map { $0.eventID as Int64? }, keys.map { $0.requestID as String? }]
        )
        var found = Set<CheckInProjector.RequestKey>()
        for row in 0..<rows.count {
            guard let eventID = rows.int64(row, 0), let requestID = rows.string(row, 1) else { continue }
            found.insert(.init(eventID: eventID, requestID: requestID))
        }
        return found
    }

    /// Locks the participant counters of capped events until commit, in id order (no deadlock between
    /// consumers), so first-come-first-served holds across partitions.
    static func lockParticipantCounts(eventIDs: [Int64], on connection: PostgresConnection) throws -> [Int64: Int64] {
        guard !eventIDs.isEmpty else { return [:] }
        let rows = try connection.execute(
            """
            SELECT event_id, participants FROM event_participant_count
            WHERE event_id = ANY($1::bigint[]) ORDER BY event_id FOR UPDATE
            """,
            [eventIDs.sorted().map { $0 as Int64? }]
        )
        var counts: [Int64: Int64] = [:]
        for row in 0..<rows.count {
            if let id = rows.int64(row, 0), let count = rows.int64(row, 1) { counts[id] = count }
        }
        return counts
    }

    static func addParticipants(_ added: [Int64: Int64], on connection: PostgresConnection) throws {
        guard !added.isEmpty else { return }
        let ids = added.keys.sorted()
        try connection.execute(
            """
            INSERT INTO event_participant_count (event_id, participants)
            SELECT e, n FROM unnest($1::bigint[], $2::bigint[]) AS d(e, n) ORDER BY e
            ON CONFLICT (event_id) DO UPDATE SET participants = event_participant_count.participants + EXCLUDED.participants
            """,
            [ids.map { $0 as Int64? }, ids.map { added[$0] }]
        )
    }

    /// One daily counter of the read side: requests of an event on an attendance day with one outcome
    /// (`CHECK_IN`, `NEW_PARTICIPANT` or a fail reason), from one source partition.
    struct DailyCountKey: Hashable {
        let eventID: Int64
        let date: AttendanceDate
        let outcome: String
        let partition: Int32
    }

    /// Adds a batch's counts in one statement. Rows are per partition, and a partition has one writer at a time,
    /// so this never waits on another consumer; sorted, so the row locks are always taken in the same order.
    static func addDailyCounts(_ counts: [DailyCountKey: Int64], on connection: PostgresConnection) throws {
        guard !counts.isEmpty else { return }
        let keys = counts.keys.sorted {
            ($0.eventID, $0.date.daysSinceEpoch, $0.outcome, $0.partition)
                < ($1.eventID, $1.date.daysSinceEpoch, $1.outcome, $1.partition)
        }
        try connection.execute(
            """
            INSERT INTO event_attendance_daily_count (event_id, attendance_date, outcome, source_partition, requests)
            SELECT * FROM unnest($1::bigint[], $2::date[], $3::text[], $4::int[], $5::bigint[])
            ON CONFLICT (event_id, attendance_date, outcome, source_partition)
            DO UPDATE SET requests = event_attendance_daily_count.requests + EXCLUDED.requests
            """,
            [
                keys.map { $0.eventID as Int64? }, keys.map { $0.date.description as String? },
                keys.map { $0.outcome as String? }, keys.map { $0.partition as Int32? }, keys.map { counts[$0] },
            ]
        )
    }

    /// `$1` event ids, `$2` member ids (pairs); each pair's latest success, if any.
    static let latestSnapshotsQuery = """
        SELECT k.event_id, k.member_id, to_char(h.attendance_date, 'YYYY-MM-DD'),
               h.total_attendance_count, h.streak_attendance_count
        FROM unnest($1::bigint[], $2::bigint[]) AS k(event_id, member_id)
        CROSS JOIN LATERAL (
            SELECT attendance_date, total_attendance_count, streak_attendance_count
            FROM event_attendance_history
            WHERE event_id = k.event_id AND member_id = k.member_id
            ORDER BY attendance_date DESC
            LIMIT 1
        ) h
        """

    /// Each member's latest success: one probe per member of the unique key (event, member, date), read backwards.
    static func latestSnapshots(
        _ keys: [CheckInProjector.MemberKey],
        on connection: PostgresConnection
    ) throws -> [CheckInProjector.MemberKey: MemberAttendance] {
        guard !keys.isEmpty else { return [:] }
        let rows = try connection.execute(
            latestSnapshotsQuery,
            [keys.map { $0.eventID as Int64? }, keys.map { $0.memberID as Int64? }]
        )
        var members: [CheckInProjector.MemberKey: MemberAttendance] = [:]
        for row in 0..<rows.count {
            guard let eventID = rows.int64(row, 0), let memberID = rows.int64(row, 1),
                let date = rows.string(row, 2).flatMap(AttendanceDate.init(iso:)),
                let total = rows.int(row, 3), let streak = rows.int(row, 4)
            else { continue }
            members[.init(eventID: eventID, memberID: memberID)] = MemberAttendance(
                latest: AttendanceSnapshot(date: date, total: total, streak: streak)
            )
        }
        return members
    }

    /// Which of the given (member, day) pairs are recorded successes (for requests older than the latest success).
    static func successDays(
        _ pairs: [(CheckInProjector.MemberKey, AttendanceDate)],
        on connection: PostgresConnection
    ) throws -> [(CheckInProjector.MemberKey, AttendanceDate)] {
        guard !pairs.isEmpty else { return [] }
        let rows = try connection.execute(
            """
            SELECT h.event_id, h.member_id, to_char(h.attendance_date, 'YYYY-MM-DD')
            FROM event_attendance_history h
            JOIN unnest($1::bigint[], $2::bigint[], $3::date[]) AS k(event_id, member_id, attendance_date)
              ON h.event_id = k.event_id AND h.member_id = k.member_id AND h.attendance_date = k.attendance_date
            """,
            [
                pairs.map { $0.0.eventID as Int64? },
                pairs.map { $0.0.memberID as Int64? },
                pairs.map { $0.1.description as String? },
            ]
        )
        var found: [(CheckInProjector.MemberKey, AttendanceDate)] = []
        for row in 0..<rows.count {
            guard let eventID = rows.int64(row, 0), let memberID = rows.int64(row, 1),
                let date = rows.string(row, 2).flatMap(AttendanceDate.init(iso:))
            else { continue }
            found.append((.init(eventID: eventID, memberID: memberID), date))
        }
        return found
    }

    /// Takes ids for a batch's log and history rows from their sequences, in one round trip, so that the rows
    /// can be written by COPY with their links (history → log, reward → history) already in place. Ids come
    /// back in the order asked for; ids of a batch that rolls back are skipped, as with any sequence.
    static func allocateIDs(logRows: Int, historyRows: Int, on connection: PostgresConnection) throws -> (
        log: [Int64], history: [Int64]
    ) {
        guard logRows + historyRows > 0 else { return ([], []) }
        let rows = try connection.execute(
            """
            SELECT 0, nextval('event_attendance_log_id_seq') FROM generate_series(1, $1::int)
            UNION ALL
            SELECT 1, nextval('event_attendance_history_id_seq') FROM generate_series(1, $2::int)
            """,
            [logRows, historyRows]
        )
        var log: [Int64] = [], history: [Int64] = []
        log.reserveCapacity(logRows)
        history.reserveCapacity(historyRows)
        for row in 0..<rows.count {
            guard let id = rows.int64(row, 1) else { continue }
            if rows.int64(row, 0) == 0 { log.append(id) } else { history.append(id) }
        }
        // Ascending, whatever order the rows came in: replay folds a member's log in id order.
        log.sort()
        history.sort()
        guard log.count == logRows, history.count == historyRows else {
            // Never expected; retriable, so that the batch is tried again rather than its messages set aside.
            throw PostgresError(
                code: .protocolViolation,
                message:
                    "asked for \(logRows) log and \(historyRows) history ids, got \(log.count) and \(history.count)",
                isRetriable: true
            )
        }
        return (log, history)
    }

    /// The log's unique key, whose violation means a request of the batch was logged before.
    static let logRequestKeyConstraint = "uq_att_log_event_request"

    /// Appends log rows with the given ids by binary COPY. A request logged before (by an earlier batch, or by
    /// another consumer right now) fails the whole COPY on `uq_att_log_event_request`; see
    /// ``CheckInProjector`` for how the batch is retried.
    static func copyLog(_ rows: [CheckInProjector.LogRow], ids: [Int64], on connection: PostgresConnection) throws {
        try connection.copyIn(
            """
            COPY event_attendance_log (
                id, event_id, member_id, request_id, status, fail_reason, fail_detail, requested_at, attendance_date,
                channel, policy_version, source_topic, source_partition, source_offset, message_timestamp, trace_parent)
            FROM STDIN (FORMAT binary)
            """,
            binaryRows: rows.indices,
            fieldsPerRow: 16
        ) { (index, copy) in
            let row = rows[index]
            let request = row.request
            copy.append(int64: ids[index])
            copy.append(int64: request.eventID)
            copy.append(int64: request.memberID)
            copy.append(text: request.requestID)
            switch row.decision.outcome {
            case .checkedIn:
                copy.append(text: "CHECK_IN")
                copy.append(text: nil)
                copy.append(text: nil)
            case .failed(let reason, let detail):
                copy.append(text: "FAIL")
                copy.append(text: reason.rawValue)
                copy.append(text: detail)
            }
            try copy.append(timestampMicrosecondsSinceUnixEpoch: request.requestedAt?.microsecondsSinceEpoch)
            try copy.append(dateDaysSinceUnixEpoch: row.decision.attendanceDate?.daysSinceEpoch)
            copy.append(text: request.channel)
            try copy.append(int32: row.policyVersion)
            copy.append(text: row.envelope.position.topic)
            try copy.append(int32: Int(row.envelope.position.partition))
            copy.append(int64: row.envelope.position.offset)
            try copy.append(timestampMicrosecondsSinceUnixEpoch: row.envelope.timestamp?.microsecondsSinceEpoch)
            copy.append(text: request.traceParent)
        }
    }

    struct HistoryRow {
        let id: Int64
        let eventID: Int64
        let memberID: Int64
        let logID: Int64
        let snapshot: AttendanceSnapshot
    }

    /// Appends history rows with the given ids by binary COPY.
    static func copyHistory(_ rows: [HistoryRow], on connection: PostgresConnection) throws {
        try connection.copyIn(
            """
            COPY event_attendance_history (
                id, event_id, member_id, attendance_log_id, attendance_date, total_attendance_count,
                streak_attendance_count)
            FROM STDIN (FORMAT binary)
            """,
            binaryRows: rows,
            fieldsPerRow: 7
        ) { (row, copy) in
            copy.append(int64: row.id)
            copy.append(int64: row.eventID)
            copy.append(int64: row.memberID)
            copy.append(int64: row.logID)
            try copy.append(dateDaysSinceUnixEpoch: row.snapshot.date.daysSinceEpoch)
            try copy.append(int32: row.snapshot.total)
            try copy.append(int32: row.snapshot.streak)
        }
    }

    struct RewardRow {
        let grant: RewardGrant
        let eventID: Int64
        let memberID: Int64
        let historyID: Int64
        let date: AttendanceDate
    }

    /// The reward snapshot: one PENDING row per earned reward, keyed by its idempotency key.
    static func copyRewards(_ rows: [RewardRow], on connection: PostgresConnection) throws {
        try connection.copyIn(
            """
            COPY event_attendance_reward_log (
                idempotency_key, event_id, member_id, attendance_history_id, attendance_date,
                reward_kind, bonus_rule_id, reward_type, point_amount, coupon_group_id)
            FROM STDIN (FORMAT binary)
            """,
            binaryRows: rows,
            fieldsPerRow: 10
        ) { (row, copy) in
            copy.append(text: row.grant.idempotencyKey)
            copy.append(int64: row.eventID)
            copy.append(int64: row.memberID)
            copy.append(int64: row.historyID)
            try copy.append(dateDaysSinceUnixEpoch: row.date.daysSinceEpoch)
            copy.append(text: row.grant.kind.name)
            if case .bonus(let ruleID) = row.grant.kind { copy.append(text: ruleID) } else { copy.append(text: nil) }
            switch row.grant.reward {
            case .point(let amount):
                copy.append(text: "POINT")
                copy.append(int64: amount)
                copy.append(text: nil)
            case .coupon(let groupID):
                copy.append(text: "COUPON")
                copy.append(int64: nil)
                copy.append(text: groupID)
            case .none:
                // RewardGrant never carries NONE (Domain drops it); refuse rather than store a bogus reward.
                throw RewardSnapshotError(idempotencyKey: row.grant.idempotencyKey)
            }
        }
    }
}

struct RewardSnapshotError: Error, CustomStringConvertible {
    let idempotencyKey: String
    var description: String { "reward \(idempotencyKey) has type NONE, which is never paid" }
}
