import Foundation

/// Moves old FAIL rows of `event_attendance_log` out of the database, so the log stays bounded by its successes.
///
/// Only FAIL rows: nothing references them (a success has a history row, which references its log row by the
/// seed's foreign key), replay rebuilds history from CHECK_IN rows, and the event summary reads its counters. Rows
/// are archived only once they are older than any redelivery could be (`minimumAge`: the input topic keeps 7 days).
///
/// Each chunk is one transaction: its rows are selected and locked, deleted, handed to `write` (which must make
/// them durable, e.g. append and fsync), and only then committed. A failure before the commit deletes nothing; a
/// failure after `write` and before the commit leaves the rows in the table and in the archive, so a second run
/// archives them again: an archive may hold a row twice (deduplicate by `id`), never lose one.
public enum AttendanceLogArchive {
    /// Requests older than this can no longer be redelivered by Kafka (input topic retention: 7 days) and are
    /// past any upstream retry worth honouring.
    public static let minimumAgeDays = 14
    static let minimumAge = TimeInterval(minimumAgeDays * 86_400)

    public struct TooRecent: Error, CustomStringConvertible {
        public let cutoff: Date
        public var description: String {
            "refusing to archive FAIL rows newer than \(AttendanceLogArchive.minimumAgeDays) days "
                + "(cutoff \(cutoff)): a redelivered or retried request could still need its row to stay idempotent"
        }
    }

    /// One archived row, as written to the archive (every column of the log row).
    public struct Row: Codable, Equatable, Sendable {
        public let id: Int64
        public let eventID: Int64
        public let memberID: Int64
        public let requestID: String
        public let failReason: String?
        public let failDetail: String?
        public let requestedAt: String?
        public let attendanceDate: String?
        public let channel: String?
        public let policyVersion: Int?
        public let sourceTopic: String
        public let sourcePartition: Int
        public let sourceOffset: Int64
        public let messageTimestamp: String?
        public let traceParent: String?
        public let createdAt: String

        enum CodingKeys: String, CodingKey {
            case id, channel
            case eventID = "event_id", memberID = "member_id", requestID = "request_id", failReason = "fail_reason"
            case failDetail = "fail_detail", requestedAt = "requested_at", attendanceDate = "attendance_date"
            case policyVersion = "policy_version", sourceTopic = "source_topic", sourcePartition = "source_partition"
            case sourceOffset = "source_offset", messageTimestamp = "message_timestamp", traceParent = "trace_parent"
            case createdAt = "created_at"
        }
    }

    /// Archives FAIL rows created before `cutoff`, `chunkSize` at a time, in id order. Returns how many.
    public static func archiveFailures(
        createdBefore cutoff: Date,
        now: Date = Date(),
        chunkSize: Int = 10_000,
        on connection: PostgresConnection,
        write: ([Row]) throws -> Void
    ) throws -> Int {
        guard now.timeIntervalSince(cutoff) >= Self.minimumAge else { throw TooRecent(cutoff: cutoff) }
        let cutoffText = ISO8601DateFormatter().string(from: cutoff)
        var after: Int64 = 0
        var archived = 0
        while true {
            let (count, last) = try connection.transaction { connection -> (Int, Int64?) in
                let picked = try connection.execute(
                    """
                    SELECT id FROM event_attendance_log
                    WHERE id > $1 AND status = 'FAIL' AND created_at < $2::timestamptz
                    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
                    """,
                    [after, cutoffText, chunkSize]
                )
                let ids = (0..<picked.count).compactMap { picked.int64($0, 0) }
                guard let last = ids.last else { return (0, nil) }
                let deleted = try connection.execute(
                    """
                    DELETE FROM event_attendance_log l
                    WHERE l.id = ANY($1::bigint[])
                      AND NOT EXISTS (SELECT 1 FROM event_attendance_history h WHERE h.attendance_log_id = l.id)
                    RETURNING l.id, l.event_id, l.member_id, l.request_id, l.fail_reason, l.fail_detail,
                              to_char(l.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                              to_char(l.attendance_date, 'YYYY-MM-DD'), l.channel, l.policy_version, l.source_topic,
                              l.source_partition, l.source_offset,
                              to_char(l.message_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                              l.trace_parent, to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                    """,
                    [ids.map { $0 as Int64? }]
                )
                var rows: [Row] = []
                rows.reserveCapacity(deleted.count)
                for row in 0..<deleted.count {
                    rows.append(
                        Row(
                            id: deleted.int64(row, 0) ?? 0,
                            eventID: deleted.int64(row, 1) ?? 0,
                            memberID: deleted.int64(row, 2) ?? 0,
                            requestID: deleted.string(row, 3) ?? "",
                            failReason: deleted.string(row, 4),
                            failDetail: deleted.string(row, 5),
                            requestedAt: deleted.string(row, 6),
                            attendanceDate: deleted.string(row, 7),
                            channel: deleted.string(row, 8),
                            policyVersion: deleted.int(row, 9),
                            sourceTopic: deleted.string(row, 10) ?? "",
                            sourcePartition: deleted.int(row, 11) ?? 0,
                            sourceOffset: deleted.int64(row, 12) ?? 0,
                            messageTimestamp: deleted.string(row, 13),
                            traceParent: deleted.string(row, 14),
                            createdAt: deleted.string(row, 15) ?? ""
                        )
                    )
                }
                rows.sort { $0.id < $1.id }
                if !rows.isEmpty { try write(rows) }
                return (rows.count, last)
            }
            guard let last else { return archived }
            archived += count
            after = last
        }
    }
}
