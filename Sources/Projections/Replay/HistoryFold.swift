import Domain

/// Folds CHECK_IN log rows, in (event, member, log id) order, into the counters of PRODUCT §3: total = the
/// member's previous total + 1; streak = previous streak + 1 if the previous success was the day before, else 1.
///
/// Pure and O(1) in memory: it keeps only the member being folded. A row that could never have become a history
/// row (a second success on a day already counted, or a day before the member's latest success) is skipped and
/// reported, not folded: the live table's keys and append-only rule would have refused it too.
public struct HistoryFold: Sendable {
    public struct Member: Hashable, Sendable {
        public let eventID: Int64
        public let memberID: Int64

        public init(eventID: Int64, memberID: Int64) {
            self.eventID = eventID
            self.memberID = memberID
        }
    }

    public enum Step: Hashable, Sendable {
        case snapshot(AttendanceSnapshot)
        case skippedSameDay
        case skippedEarlierDay
    }

    public private(set) var member: Member?
    public private(set) var latest: AttendanceSnapshot?

    /// Starts empty, or inside `member` after `latest` (resuming from a checkpoint).
    public init(member: Member? = nil, latest: AttendanceSnapshot? = nil) {
        self.member = member
        self.latest = latest
    }

    /// Starts `member` from `latest` (a member's counters taken from an earlier rebuild), dropping the current one.
    public mutating func restart(at member: Member, latest: AttendanceSnapshot?) {
        self.member = member
        self.latest = latest
    }

    public mutating func apply(member: Member, day: AttendanceDate) -> Step {
        if member != self.member {
            self.member = member
            self.latest = nil
        }
        guard let latest else {
            let first = AttendanceSnapshot(date: day, total: 1, streak: 1)
            self.latest = first
            return .snapshot(first)
        }
        if day == latest.date { return .skippedSameDay }
        if day < latest.date { return .skippedEarlierDay }
        let continues = latest.date.adding(days: 1) == day
        let next = AttendanceSnapshot(date: day, total: latest.total + 1, streak: continues ? latest.streak + 1 : 1)
        self.latest = next
        return .snapshot(next)
    }
}
