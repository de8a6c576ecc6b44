import Domain

/// The SQL of the check-in projection. Every statement is parameterised; multi-row reads and writes go
/// through `unnest` over array parameters, so a batch costs a fixed number of round trips whatever its size.
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

    /// Each member's latest success (one index probe per member on the seed's (event, member, date DESC) index).
    static func latestSnapshots(
        _ keys: [CheckInProjector.MemberKey],
        on connection: PostgresConnection
    ) throws -> [CheckInProjector.MemberKey: MemberAttendance] {
        guard !keys.isEmpty else { return [:] }
        let rows = try connection.execute(
            """
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
            """,
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

    /// Appends log rows; returns their ids by (event_id, request_id). A row that another transaction
    /// logged first is absent from the result (ON CONFLICT DO NOTHING), and the caller retries the batch.
    static func insertLog(
        _ rows: [CheckInProjector.LogRow],
        on connection: PostgresConnection
    ) throws -> [CheckInProjector.RequestKey: Int64] {
        guard !rows.isEmpty else { return [:] }
        var eventIDs: [Int64?] = [], memberIDs: [Int64?] = [], requestIDs: [String?] = []
        var statuses: [String?] = [], reasons: [String?] = [], details: [String?] = []
        var requestedAt: [String?] = [], dates: [String?] = [], channels: [String?] = []
        var versions: [Int?] = [], topics: [String?] = [], partitions: [Int32?] = [], offsets: [Int64?] = []
        var timestamps: [String?] = [], traces: [String?] = []
        for row in rows {
            let request = row.request
            eventIDs.append(request.eventID)
            memberIDs.append(request.memberID)
            requestIDs.append(request.requestID)
            switch row.decision.outcome {
            case .checkedIn:
                statuses.append("CHECK_IN")
                reasons.append(nil)
                details.append(nil)
            case .failed(let reason, let detail):
                statuses.append("FAIL")
                reasons.append(reason.rawValue)
                details.append(detail)
            }
            requestedAt.append(request.requestedAt?.description)
            dates.append(row.decision.attendanceDate?.description)
            channels.append(request.channel)
            versions.append(row.policyVersion)
            topics.append(row.envelope.position.topic)
            partitions.append(row.envelope.position.partition)
            offsets.append(row.envelope.position.offset)
            timestamps.append(row.envelope.timestamp?.description)
            traces.append(request.traceParent)
        }
        let result = try connection.execute(
            """
            INSERT INTO event_attendance_log (
                event_id, member_id, request_id, status, fail_reason, fail_detail, requested_at, attendance_date,
                channel, policy_version, source_topic, source_partition, source_offset, message_timestamp, trace_parent)
            SELECT e, m, r, s, fr, fd, ra, d, c, v, t, p, o, mt, tp
            FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                        $7::timestamptz[], $8::date[], $9::text[], $10::int[], $11::text[], $12::int[],
                        $13::bigint[], $14::timestamptz[], $15::text[])
                 WITH ORDINALITY AS x(e, m, r, s, fr, fd, ra, d, c, v, t, p, o, mt, tp, n)
            ORDER BY n
            ON CONFLICT (event_id, request_id) DO NOTHING
            RETURNING id, event_id, request_id
            """,
            [
                eventIDs, memberIDs, requestIDs, statuses, reasons, details, requestedAt, dates, channels, versions,
                topics, partitions, offsets, timestamps, traces,
            ]
        )
        var ids: [CheckInProjector.RequestKey: Int64] = [:]
        ids.reserveCapacity(result.count)
        for row in 0..<result.count {
            guard let id = result.int64(row, 0), let eventID = result.int64(row, 1),
                let requestID = result.string(row, 2)
            else { continue }
            ids[.init(eventID: eventID, requestID: requestID)] = id
        }
        return ids
    }

    /// Appends history rows; returns history ids by attendance_log_id.
    static func insertHistory(
        _ rows: [(eventID: Int64, memberID: Int64, logID: Int64, snapshot: AttendanceSnapshot)],
        on connection: PostgresConnection
    ) throws -> [Int64: Int64] {
        guard !rows.isEmpty else { return [:] }
        let result = try connection.execute(
            """
            INSERT INTO event_attendance_history (
                event_id, member_id, attendance_log_id, attendance_date, total_attendance_count, streak_attendance_count)
            SELECT e, m, l, d, t, s
            FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::date[], $5::int[], $6::int[])
                 WITH ORDINALITY AS x(e, m, l, d, t, s, n)
            ORDER BY n
            RETURNING id, attendance_log_id
            """,
            [
                rows.map { $0.eventID as Int64? },
                rows.map { $0.memberID as Int64? },
                rows.map { $0.logID as Int64? },
                rows.map { $0.snapshot.date.description as String? },
                rows.map { $0.snapshot.total as Int? },
                rows.map { $0.snapshot.streak as Int? },
            ]
        )
        var ids: [Int64: Int64] = [:]
        for row in 0..<result.count {
            if let id = result.int64(row, 0), let logID = result.int64(row, 1) { ids[logID] = id }
        }
        return ids
    }

    struct RewardRow {
        let grant: RewardGrant
        let eventID: Int64
        let memberID: Int64
        let historyID: Int64
        let date: AttendanceDate
    }

    /// The reward snapshot: one PENDING row per earned reward, keyed by its idempotency key.
    static func insertRewards(_ rows: [RewardRow], on connection: PostgresConnection) throws {
        guard !rows.isEmpty else { return }
        var ruleIDs: [String?] = [], types: [String?] = [], amounts: [Int64?] = [], groups: [String?] = []
        for row in rows {
            if case .bonus(let ruleID) = row.grant.kind { ruleIDs.append(ruleID) } else { ruleIDs.append(nil) }
            switch row.grant.reward {
            case .point(let amount):
                types.append("POINT")
                amounts.append(amount)
                groups.append(nil)
            case .coupon(let groupID):
                types.append("COUPON")
                amounts.append(nil)
                groups.append(groupID)
            case .none:
                // RewardGrant never carries NONE (Domain drops it); refuse rather than store a bogus reward.
                throw RewardSnapshotError(idempotencyKey: row.grant.idempotencyKey)
            }
        }
        try connection.execute(
            """
            INSERT INTO event_attendance_reward_log (
                idempotency_key, event_id, member_id, attendance_history_id, attendance_date,
                reward_kind, bonus_rule_id, reward_type, point_amount, coupon_group_id)
            SELECT k, e, m, h, d, rk, ri, rt, pa, cg
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::date[], $6::text[], $7::text[],
                        $8::text[], $9::bigint[], $10::text[])
                 WITH ORDINALITY AS x(k, e, m, h, d, rk, ri, rt, pa, cg, n)
            ORDER BY n
            """,
            [
                rows.map { $0.grant.idempotencyKey as String? },
                rows.map { $0.eventID as Int64? },
                rows.map { $0.memberID as Int64? },
                rows.map { $0.historyID as Int64? },
                rows.map { $0.date.description as String? },
                rows.map { $0.grant.kind.name as String? },
                ruleIDs, types, amounts, groups,
            ]
        )
    }
}

struct RewardSnapshotError: Error, CustomStringConvertible {
    let idempotencyKey: String
    var description: String { "reward \(idempotencyKey) has type NONE, which is never paid" }
}
