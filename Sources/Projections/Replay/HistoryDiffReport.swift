/// The live table against the rebuilt one, matched by `attendance_log_id`. Counts are exact; `samples` lists the
/// first differing rows in log order.
public struct HistoryDiffReport: Sendable, Hashable, Codable {
    public struct Snapshot: Sendable, Hashable, Codable {
        public let eventID: Int64
        public let memberID: Int64
        public let attendanceDate: String
        public let total: Int
        public let streak: Int

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id"
            case memberID = "member_id"
            case attendanceDate = "attendance_date"
            case total = "total_attendance_count"
            case streak = "streak_attendance_count"
        }
    }

    public enum Kind: String, Sendable, Hashable, Codable {
        /// Rebuilt from the log, absent from the live table.
        case missing
        /// In the live table, but the log gives no such success.
        case extra
        /// In both, with a different event, member, day, total or streak.
        case different
    }

    public struct Sample: Sendable, Hashable, Codable {
        public let kind: Kind
        public let attendanceLogID: Int64
        public let live: Snapshot?
        public let rebuilt: Snapshot?

        enum CodingKeys: String, CodingKey {
            case kind
            case attendanceLogID = "attendance_log_id"
            case live, rebuilt
        }
    }

    public var liveRows: Int64 = 0
    public var rebuiltRows: Int64 = 0
    public var identical: Int64 = 0
    public var missing: Int64 = 0
    public var extra: Int64 = 0
    public var different: Int64 = 0
    /// Events whose `event_participant_count` differs from the distinct members of the rebuilt history.
    public var participantCountsDiffering: Int64 = 0
    /// Log rows rebuilt just before this diff because they were logged after the rebuild read the log.
    public var caughtUp = HistoryRebuildCounts()
    public var samples: [Sample] = []

    public init() {}

    public var isIdentical: Bool { missing == 0 && extra == 0 && different == 0 && participantCountsDiffering == 0 }

    enum CodingKeys: String, CodingKey {
        case liveRows = "live_rows"
        case rebuiltRows = "rebuilt_rows"
        case identical, missing, extra, different
        case participantCountsDiffering = "participant_counts_differing"
        case caughtUp = "caught_up"
        case samples
    }
}
