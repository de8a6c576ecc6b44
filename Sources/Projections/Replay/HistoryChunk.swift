import Domain

/// One chunk of log rows folded into shadow rows, rendered as COPY text, plus the rows it skipped.
struct HistoryChunk {
    enum SkipReason: String {
        case sameDay = "SAME_DAY"
        case earlierDay = "EARLIER_DAY"
        case noDay = "NO_DAY"
    }

    /// `COPY event_attendance_history_rebuild (…) FROM STDIN` text: only digits, dashes, tabs and newlines.
    private(set) var shadowRows: [UInt8] = []
    private(set) var skipped: [(logID: Int64, reason: SkipReason)] = []
    /// The last row folded and its member's counters after it: the checkpoint.
    private(set) var last: (logID: Int64, member: HistoryFold.Member, latest: AttendanceSnapshot?)?

    /// Folds `rows` (in log order) into `fold`, counting into `counts`.
    init(
        _ rows: [LoggedSuccess],
        fold: inout HistoryFold,
        policies: ReplayPolicies,
        counts: inout HistoryRebuildCounts
    ) {
        shadowRows.reserveCapacity(rows.count * 48)
        for row in rows {
            counts.replayed += 1
            if let start = row.rebuiltBefore, fold.member != row.member {
                fold.restart(at: row.member, latest: start)
            }
            var day = row.recordedDate
            if let version = row.policyVersion, let at = row.requestedAt,
                let policyDay = policies.attendanceDate(eventID: row.member.eventID, version: version, of: at)
            {
                if policyDay != row.recordedDate { counts.dateMismatches += 1 }
                day = policyDay
            } else {
                counts.missingPolicies += 1
            }
            if let day {
                switch fold.apply(member: row.member, day: day) {
                case .snapshot(let snapshot):
                    counts.written += 1
                    append(row, snapshot)
                case .skippedSameDay:
                    counts.skippedSameDay += 1
                    skipped.append((row.logID, .sameDay))
                case .skippedEarlierDay:
                    counts.skippedEarlierDay += 1
                    skipped.append((row.logID, .earlierDay))
                }
            } else {
                skipped.append((row.logID, .noDay))
            }
            last = (row.logID, row.member, fold.member == row.member ? fold.latest : nil)
        }
    }

    /// Writes the chunk into the shadow tables (inside the caller's transaction).
    func write(on connection: PostgresConnection) throws {
        if !shadowRows.isEmpty {
            try connection.copyIn(
                """
                COPY event_attendance_history_rebuild (attendance_log_id, event_id, member_id, attendance_date,
                    total_attendance_count, streak_attendance_count) FROM STDIN
                """,
                data: shadowRows
            )
        }
        if !skipped.isEmpty {
            try connection.execute(
                """
                INSERT INTO history_rebuild_skipped (attendance_log_id, reason)
                SELECT * FROM unnest($1::bigint[], $2::text[])
                """,
                [skipped.map { $0.logID as Int64? }, skipped.map { $0.reason.rawValue as String? }]
            )
        }
    }

    private mutating func append(_ row: LoggedSuccess, _ snapshot: AttendanceSnapshot) {
        appendDecimal(row.logID)
        shadowRows.append(UInt8(ascii: "\t"))
        appendDecimal(row.member.eventID)
        shadowRows.append(UInt8(ascii: "\t"))
        appendDecimal(row.member.memberID)
        shadowRows.append(UInt8(ascii: "\t"))
        shadowRows.append(contentsOf: snapshot.date.description.utf8)
        shadowRows.append(UInt8(ascii: "\t"))
        appendDecimal(Int64(snapshot.total))
        shadowRows.append(UInt8(ascii: "\t"))
        appendDecimal(Int64(snapshot.streak))
        shadowRows.append(UInt8(ascii: "\n"))
    }

    private mutating func appendDecimal(_ value: Int64) {
        if value < 0 { shadowRows.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { shadowRows.append(buffer[index]) }
        }
    }
}
