import Domain

/// One CHECK_IN row of `event_attendance_log`, as a rebuild reads it.
struct LoggedSuccess: Sendable {
    let logID: Int64
    let member: HistoryFold.Member
    let policyVersion: Int?
    let requestedAt: Timestamp?
    /// The attendance_date the original decision recorded.
    let recordedDate: AttendanceDate?
    /// Catch-up only: the member's latest rebuilt counters before this row (nil when none).
    let rebuiltBefore: AttendanceSnapshot?
}

/// The log queries of a rebuild. Both read through a server-side cursor in (event_id, member_id, id) order, so
/// the client holds one chunk at a time whatever the size of the log.
enum HistoryLogQuery {
    static let cursorName = "replay_history_log"

    private static let columns = """
        l.id, l.event_id, l.member_id, l.policy_version, (extract(epoch FROM l.requested_at) * 1000000)::bigint,
        l.attendance_date - DATE '1970-01-01'
        """

    /// CHECK_IN rows after the keyset position `$1, $2, $3` (event_id, member_id, id).
    static let afterPosition = """
        DECLARE \(cursorName) NO SCROLL CURSOR FOR
        SELECT \(columns)
        FROM event_attendance_log l
        WHERE l.status = 'CHECK_IN' AND (l.event_id, l.member_id, l.id) > ($1::bigint, $2::bigint, $3::bigint)
        ORDER BY l.event_id, l.member_id, l.id
        """

    /// CHECK_IN rows the shadow has neither rebuilt nor skipped (logged since the rebuild read its part of the
    /// log), each with its member's latest rebuilt counters to continue from.
    static let notYetRebuilt = """
        DECLARE \(cursorName) NO SCROLL CURSOR FOR
        SELECT \(columns), s.day, s.total, s.streak
        FROM event_attendance_log l
        LEFT JOIN LATERAL (
            SELECT r.attendance_date - DATE '1970-01-01' AS day, r.total_attendance_count AS total,
                   r.streak_attendance_count AS streak
            FROM event_attendance_history_rebuild r
            WHERE r.event_id = l.event_id AND r.member_id = l.member_id
            ORDER BY r.attendance_date DESC
            LIMIT 1
        ) s ON true
        WHERE l.status = 'CHECK_IN'
          AND NOT EXISTS (SELECT 1 FROM event_attendance_history_rebuild r WHERE r.attendance_log_id = l.id)
          AND NOT EXISTS (SELECT 1 FROM history_rebuild_skipped k WHERE k.attendance_log_id = l.id)
        ORDER BY l.event_id, l.member_id, l.id
        """

    static func fetch(_ count: Int, on connection: PostgresConnection) throws -> [LoggedSuccess] {
        let rows = try connection.execute("FETCH FORWARD \(count) FROM \(cursorName)")
        var successes: [LoggedSuccess] = []
        successes.reserveCapacity(rows.count)
        let withStart = rows.columns.count >= 9
        for row in 0..<rows.count {
            guard let logID = rows.int64(row, 0), let eventID = rows.int64(row, 1), let memberID = rows.int64(row, 2)
            else { continue }
            var rebuiltBefore: AttendanceSnapshot?
            if withStart, let day = rows.int(row, 6), let total = rows.int(row, 7), let streak = rows.int(row, 8) {
                rebuiltBefore = AttendanceSnapshot(
                    date: AttendanceDate(daysSinceEpoch: day),
                    total: total,
                    streak: streak
                )
            }
            successes.append(
                LoggedSuccess(
                    logID: logID,
                    member: HistoryFold.Member(eventID: eventID, memberID: memberID),
                    policyVersion: rows.int(row, 3),
                    requestedAt: rows.int64(row, 4).map(Timestamp.init(microsecondsSinceEpoch:)),
                    recordedDate: rows.int(row, 5).map(AttendanceDate.init(daysSinceEpoch:)),
                    rebuiltBefore: rebuiltBefore
                )
            )
        }
        return successes
    }

    static func close(on connection: PostgresConnection) throws {
        try connection.execute("CLOSE \(cursorName)")
    }
}
