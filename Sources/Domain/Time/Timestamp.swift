import Foundation

/// An instant with microsecond precision, the resolution Postgres `timestamptz` stores.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let microsecondsPerDay: Int64 = 86_400 * microsecondsPerSecond

    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Kafka message timestamps are milliseconds since the epoch. Any producer sets them, so a value whose
    /// microseconds do not fit in `Int64` (±292,000 years) is no timestamp: nil, not a trap.
    public init?(millisecondsSinceEpoch: Int64) {
        let (micros, overflow) = millisecondsSinceEpoch.multipliedReportingOverflow(by: 1_000)
        guard !overflow else { return nil }
        self.microsecondsSinceEpoch = micros
    }

    /// Rounds to the nearest microsecond: `Date` is a `Double`, so truncating would turn
    /// `Timestamp(t.date)` into `t` minus one microsecond about half of the time.
    /// Dates beyond the `Int64` microsecond range (±292,000 years) are clamped to it.
    public init(_ date: Date) {
        let micros = (date.timeIntervalSince1970 * Double(Self.microsecondsPerSecond)).rounded()
        if micros.isNaN {
            self.microsecondsSinceEpoch = 0
        } else if micros >= Double(Int64.max) {
            self.microsecondsSinceEpoch = .max
        } else if micros <= Double(Int64.min) {
            self.microsecondsSinceEpoch = .min
        } else {
            self.microsecondsSinceEpoch = Int64(micros)
        }
    }

    public var date: Date {
        Date(timeIntervalSince1970: Double(microsecondsSinceEpoch) / Double(Self.microsecondsPerSecond))
    }

    public static func now() -> Timestamp {
        Timestamp(Date())
    }

    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + seconds * Self.microsecondsPerSecond)
    }

    /// Whole seconds since the epoch, rounded towards the past (also for instants before 1970).
    var secondsSinceEpoch: Int64 {
        CivilCalendar.floorDivide(microsecondsSinceEpoch, Self.microsecondsPerSecond)
    }

    /// RFC 3339 in UTC with six fractional digits, e.g. `2026-11-24T00:15:00.000000Z`.
    /// Postgres accepts the same text as a `timestamptz` literal.
    public var description: String {
        let day = CivilCalendar.floorDivide(microsecondsSinceEpoch, Self.microsecondsPerDay)
        let microsOfDay = microsecondsSinceEpoch - day * Self.microsecondsPerDay
        let secondsOfDay = microsOfDay / Self.microsecondsPerSecond
        var text = ""
        text.reserveCapacity(27)
        AttendanceDate(daysSinceEpoch: Int(day)).appendISO(to: &text)
        text += "T"
        DecimalDigits.append(secondsOfDay / 3600, width: 2, to: &text)
        text += ":"
        DecimalDigits.append(secondsOfDay / 60 % 60, width: 2, to: &text)
        text += ":"
        DecimalDigits.append(secondsOfDay % 60, width: 2, to: &text)
        text += "."
        DecimalDigits.append(microsOfDay % Self.microsecondsPerSecond, width: 6, to: &text)
        text += "Z"
        return text
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }
}
