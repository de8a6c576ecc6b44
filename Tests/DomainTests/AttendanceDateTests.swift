import Testing

@testable import Domain

@Suite(.timeLimit(.minutes(1)))
struct AttendanceDateTests {
    @Test(
        "known days since the epoch",
        arguments: [
            ("1970-01-01", 0),
            ("1969-12-31", -1),
            ("2000-02-29", 11_016),
            ("2000-03-01", 11_017),
            ("2024-02-29", 19_782),
            ("2100-02-28", 47_540),
            ("2100-03-01", 47_541),
            ("2026-11-24", 20_781),
            ("0001-01-01", -719_162),
            ("9999-12-31", 2_932_896),
        ]
    )
    func knownDays(iso: String, days: Int) throws {
        let date = try #require(AttendanceDate(iso: iso))
        #expect(date.daysSinceEpoch == days)
        #expect(date.description == iso)
        #expect(AttendanceDate(daysSinceEpoch: days) == date)
    }

    @Test("every day from 1600 to 2500 round-trips through year, month, day and text")
    func roundTripsOverAWideRange() throws {
        let first = try #require(AttendanceDate(year: 1600, month: 1, day: 1))
        let last = try #require(AttendanceDate(year: 2500, month: 12, day: 31))
        var previous: (year: Int, month: Int, day: Int)?
        for days in first.daysSinceEpoch...last.daysSinceEpoch {
            let date = AttendanceDate(daysSinceEpoch: days)
            let parts = (date.year, date.month, date.day)
            #expect(AttendanceDate(year: parts.0, month: parts.1, day: parts.2) == date)
            if days % 97 == 0 {
                #expect(AttendanceDate(iso: date.description) == date)
            }
            if let previous {
                // Consecutive days: next day in the month, or the 1st of the next month/year.
                let isNextDay =
                    (parts.0 == previous.year && parts.1 == previous.month && parts.2 == previous.day + 1)
                    || (parts.2 == 1
                        && ((parts.0 == previous.year && parts.1 == previous.month + 1)
                            || (parts.0 == previous.year + 1 && parts.1 == 1 && previous.month == 12)))
                #expect(isNextDay)
            }
            previous = parts
        }
    }

    @Test(
        "invalid dates are rejected",
        arguments: [
            (2100, 2, 29), (2023, 2, 29), (1900, 2, 29), (2026, 4, 31), (2026, 13, 1), (2026, 0, 1),
            (2026, 1, 0), (2026, 1, 32),
        ]
    )
    func invalidDates(year: Int, month: Int, day: Int) {
        #expect(AttendanceDate(year: year, month: month, day: day) == nil)
    }

    @Test(
        "ISO text must be exactly YYYY-MM-DD",
        arguments: [
            "", "2026-1-01", "2026-01-1", "26-01-01", "2026/01/01", "2026-01-01 ", " 2026-01-01", "2026-02-30",
            "2026-00-10", "+2026-01-01", "2026-01-01T00:00:00Z", "２０２６-01-01",
        ]
    )
    func invalidISO(text: String) {
        #expect(AttendanceDate(iso: text) == nil)
    }

    @Test("adding days crosses months, years and leap days")
    func addingDays() {
        #expect(AttendanceDate(iso: "2024-02-28")?.adding(days: 1).description == "2024-02-29")
        #expect(AttendanceDate(iso: "2024-02-29")?.adding(days: 1).description == "2024-03-01")
        #expect(AttendanceDate(iso: "2026-12-31")?.adding(days: 1).description == "2027-01-01")
        #expect(AttendanceDate(iso: "2027-01-01")?.adding(days: -1).description == "2026-12-31")
        #expect(AttendanceDate(iso: "2026-11-24")?.adding(days: 0).description == "2026-11-24")
    }

    @Test("dates order by day")
    func ordering() throws {
        let earlier = try #require(AttendanceDate(iso: "2026-12-31"))
        let later = try #require(AttendanceDate(iso: "2027-01-01"))
        #expect(earlier < later)
        #expect(!(later < earlier))
    }
}
