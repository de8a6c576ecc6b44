/// What the caller knows of one member's history in one event.
public struct MemberAttendance: Sendable {
    /// The member's latest success, `nil` if none.
    public var latest: AttendanceSnapshot?
    /// Success days the caller loaded, all on or before ``latest``'s date. May be partial: the
    /// caller loads the days it needs (at least the day of the request being decided, if it is a success day).
    public var successDays: Set<AttendanceDate>

    /// ``successDays`` always includes ``latest``'s date, whether or not the caller passed it.
    public init(latest: AttendanceSnapshot?, successDays: Set<AttendanceDate> = []) {
        self.latest = latest
        self.successDays = successDays
        if let latest { self.successDays.insert(latest.date) }
    }

    /// Records a success decided within a batch, so the next request of the member sees it.
    public mutating func record(_ snapshot: AttendanceSnapshot) {
        successDays.insert(snapshot.date)
        if latest.map({ snapshot.date >= $0.date }) ?? true {
            latest = snapshot
        }
    }
}
