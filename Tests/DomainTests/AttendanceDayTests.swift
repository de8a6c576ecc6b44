import Testing

@testable import Domain

@Suite(.timeLimit(.minutes(1)))
struct AttendanceDayTests {
    @Test(
        "Asia/Seoul midnight, written with either offset",
        arguments: [
            ("2026-11-23T23:59:59+09:00", "2026-11-23"),
            ("2026-11-23T23:59:59.999999+09:00", "2026-11-23"),
            ("2026-11-24T00:00:00+09:00", "2026-11-24"),
            ("2026-11-23T14:59:59Z", "2026-11-23"),
            ("2026-11-23T15:00:00Z", "2026-11-24"),
            ("2026-11-23T10:00:00-05:00", "2026-11-24"),
            ("2028-02-28T15:00:00Z", "2028-02-29"),
            ("2028-02-29T14:59:59Z", "2028-02-29"),
            ("2028-02-29T15:00:00Z", "2028-03-01"),
        ]
    )
    func seoul(instant: String, expected: String) {
        let policy = makePolicy(timeZone: "Asia/Seoul")
        #expect(policy.attendanceDate(of: timestamp(instant)).description == expected)
    }

    @Test(
        "America/New_York across both DST switches",
        arguments: [
            // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT; local midnights are -05:00 before, -04:00 after.
            ("2026-03-08T04:59:59Z", "2026-03-07"),
            ("2026-03-08T05:00:00Z", "2026-03-08"),
            ("2026-03-08T06:59:59Z", "2026-03-08"),
            ("2026-03-08T07:00:00Z", "2026-03-08"),
            ("2026-03-09T03:59:59Z", "2026-03-08"),
            ("2026-03-09T04:00:00Z", "2026-03-09"),
            // 2026-11-01: clocks fall back from 02:00 EDT to 01:00 EST.
            ("2026-11-01T03:59:59Z", "2026-10-31"),
            ("2026-11-01T04:00:00Z", "2026-11-01"),
            ("2026-11-01T05:30:00Z", "2026-11-01"),
            ("2026-11-01T06:30:00Z", "2026-11-01"),
            ("2026-11-02T04:59:59Z", "2026-11-01"),
            ("2026-11-02T05:00:00Z", "2026-11-02"),
        ]
    )
    func newYork(instant: String, expected: String) {
        let policy = makePolicy(timeZone: "America/New_York")
        #expect(policy.attendanceDate(of: timestamp(instant)).description == expected)
    }

    @Test("UTC policy and instants before 1970")
    func utcAndPreEpoch() {
        let policy = makePolicy(timeZone: "UTC")
        #expect(policy.attendanceDate(of: timestamp("2024-02-29T23:59:59.999999Z")).description == "2024-02-29")
        #expect(policy.attendanceDate(of: timestamp("1969-12-31T23:59:59.5Z")).description == "1969-12-31")
    }
}
