/// A calendar day (proleptic Gregorian), stored as days since 1970-01-01.
///
/// It carries no time zone: which day an instant falls on is decided by an event's policy
/// (``EventPolicy/attendanceDate(of:)``).
public struct AttendanceDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let daysSinceEpoch: Int

    public init(daysSinceEpoch: Int) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// `nil` unless `month` is 1–12 and `day` exists in that month (leap years included).
    public init?(year: Int, month: Int, day: Int) {
        guard CivilCalendar.isValid(year: year, month: month, day: day) else { return nil }
        self.daysSinceEpoch = CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
    }

    /// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day, nothing else).
    public init?(iso: String) {
        var iso = iso
        let parsed = iso.withUTF8 { bytes -> AttendanceDate? in
            guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                let year = DecimalDigits.value(bytes, 0..<4),
                let month = DecimalDigits.value(bytes, 5..<7),
                let day = DecimalDigits.value(bytes, 8..<10)
            else { return nil }
            return AttendanceDate(year: year, month: month, day: day)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    public var year: Int { CivilCalendar.civil(fromDaysSinceEpoch: daysSinceEpoch).year }
    public var month: Int { CivilCalendar.civil(fromDaysSinceEpoch: daysSinceEpoch).month }
    public var day: Int { CivilCalendar.civil(fromDaysSinceEpoch: daysSinceEpoch).day }

    /// `YYYY-MM-DD`; years outside 0–9999 get a sign and as many digits as they need.
    public var description: String {
        var text = ""
        text.reserveCapacity(10)
        appendISO(to: &text)
        return text
    }

    public func adding(days: Int) -> AttendanceDate {
        AttendanceDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    public static func < (lhs: AttendanceDate, rhs: AttendanceDate) -> Bool {
        lhs.daysSinceEpoch < rhs.daysSinceEpoch
    }

    func appendISO(to text: inout String) {
        let (year, month, day) = CivilCalendar.civil(fromDaysSinceEpoch: daysSinceEpoch)
        if (0...9999).contains(year) {
            DecimalDigits.append(year, width: 4, to: &text)
        } else {
            text += year < 0 ? "-" : "+"
            DecimalDigits.append(year.magnitude, width: 4, to: &text)
        }
        text += "-"
        DecimalDigits.append(month, width: 2, to: &text)
        text += "-"
        DecimalDigits.append(day, width: 2, to: &text)
    }
}
