import Foundation
import Testing

@testable import Domain

@Suite(.timeLimit(.minutes(1)))
struct TimestampTests {
    /// 2026-11-24T00:15:00Z in microseconds.
    static let reference: Int64 = 1_795_479_300_000_000

    @Test(
        "valid RFC 3339 forms",
        arguments: [
            ("2026-11-24T00:15:00Z", reference),
            ("2026-11-24t00:15:00z", reference),
            ("2026-11-24 00:15:00Z", reference),
            ("2026-11-24T09:15:00+09:00", reference),
            ("2026-11-23T19:15:00-05:00", reference),
            ("2026-11-24T00:15:00+00:00", reference),
            ("2026-11-24T00:15:00-00:00", reference),
            ("2026-11-24T05:45:00+05:30", reference),
            ("2026-11-24T00:15:00.5Z", reference + 500_000),
            ("2026-11-24T00:15:00.123456Z", reference + 123_456),
            ("2026-11-24T00:15:00.123456789Z", reference + 123_456),
            ("2026-11-24T00:15:00.000001+00:00", reference + 1),
            ("2026-11-24T00:14:60Z", reference - 1),
            ("1970-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59.999999Z", -1),
            ("2024-02-29T12:00:00+23:59", 1_709_121_660_000_000),
        ]
    )
    func parsesValidForms(text: String, micros: Int64) {
        #expect(Timestamp(rfc3339: text)?.microsecondsSinceEpoch == micros)
    }

    @Test(
        "everything else is refused",
        arguments: [
            "", "2026-11-24", "2026-11-24T00:15:00", "2026-11-24T00:15Z", "2026-11-24T00:15:00.Z",
            "2026-11-24T00:15:00.1234567890Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
            "2026-11-24T24:00:00Z", "2026-11-24T23:60:00Z", "2026-11-24T23:59:61Z", "2026-13-01T00:00:00Z",
            "2026-11-31T00:00:00Z", "2026-11-24T00:15:00+24:00", "2026-11-24T00:15:00+09:60",
            "2026-11-24T00:15:00+0900", "2026-11-24T00:15:00+09", "2026-11-24T00:15:00Z ", " 2026-11-24T00:15:00Z",
            "2026-11-24T00:15:00Zjunk", "2026-11-24T00:15:00+09:00:00", "2026-11-24X00:15:00Z",
            "2026-11-24  00:15:00Z", "20261124T001500Z", "2026-11-24T00:15:00 Z", "garbage",
            "2026-11-24T0a:15:00Z", "+2026-11-24T00:15:00Z",
        ]
    )
    func refusesInvalidForms(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test(
        "description is UTC RFC 3339 with six fractional digits",
        arguments: [
            (reference, "2026-11-24T00:15:00.000000Z"),
            (reference + 123_456, "2026-11-24T00:15:00.123456Z"),
            (0, "1970-01-01T00:00:00.000000Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
            (951_782_400_000_000, "2000-02-29T00:00:00.000000Z"),
        ]
    )
    func description(micros: Int64, text: String) {
        let timestamp = Timestamp(microsecondsSinceEpoch: micros)
        #expect(timestamp.description == text)
        #expect(Timestamp(rfc3339: text) == timestamp)
    }

    @Test("Date and millisecond conversions keep the instant")
    func conversions() {
        let timestamp = Timestamp(microsecondsSinceEpoch: Self.reference + 654_321)
        #expect(Timestamp(timestamp.date) == timestamp)
        #expect(
            Timestamp(millisecondsSinceEpoch: 1_795_479_300_123)?.microsecondsSinceEpoch == Self.reference + 123_000
        )
        // Any producer sets a Kafka timestamp: one beyond the microsecond range is no timestamp, not a trap.
        #expect(Timestamp(millisecondsSinceEpoch: Int64.max) == nil)
        #expect(Timestamp(millisecondsSinceEpoch: Int64.min / 999) == nil)
        #expect(Timestamp(Date(timeIntervalSince1970: 1.5)).microsecondsSinceEpoch == 1_500_000)
        #expect(timestamp.adding(seconds: -300).microsecondsSinceEpoch == Self.reference + 654_321 - 300_000_000)
        let now = Timestamp.now()
        #expect(abs(now.microsecondsSinceEpoch - Timestamp(Date()).microsecondsSinceEpoch) < 60_000_000)
    }
}
