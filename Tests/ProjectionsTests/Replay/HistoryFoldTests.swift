import Domain
import Projections
import Testing

@Suite("Replay: folding successes into totals and streaks", .timeLimit(.minutes(5)))
struct HistoryFoldTests {
    static let member = HistoryFold.Member(eventID: 1, memberID: 10)
    static let other = HistoryFold.Member(eventID: 1, memberID: 11)

    static func day(_ iso: String) -> AttendanceDate { AttendanceDate(iso: iso)! }

    /// (day, expected step) for one member, in log order.
    static let cases: [(String, HistoryFold.Step)] = [
        ("2028-02-27", .snapshot(.init(date: day("2028-02-27"), total: 1, streak: 1))),
        ("2028-02-28", .snapshot(.init(date: day("2028-02-28"), total: 2, streak: 2))),
        ("2028-02-29", .snapshot(.init(date: day("2028-02-29"), total: 3, streak: 3))),  // leap day
        ("2028-02-29", .skippedSameDay),
        ("2028-03-01", .snapshot(.init(date: day("2028-03-01"), total: 4, streak: 4))),
        ("2028-02-20", .skippedEarlierDay),
        ("2028-03-03", .snapshot(.init(date: day("2028-03-03"), total: 5, streak: 1))),  // 03-02 missed
        ("2028-12-31", .snapshot(.init(date: day("2028-12-31"), total: 6, streak: 1))),
        ("2029-01-01", .snapshot(.init(date: day("2029-01-01"), total: 7, streak: 2))),  // across the year
    ]

    @Test func totalsAndStreaksFollowTheRules() {
        var fold = HistoryFold()
        for (day, expected) in Self.cases {
            #expect(fold.apply(member: Self.member, day: Self.day(day)) == expected, "\(day)")
        }
    }

    @Test func aNewMemberStartsFromOne() {
        var fold = HistoryFold()
        _ = fold.apply(member: Self.member, day: Self.day("2026-03-01"))
        #expect(
            fold.apply(member: Self.other, day: Self.day("2026-03-02"))
                == .snapshot(.init(date: Self.day("2026-03-02"), total: 1, streak: 1))
        )
    }

    @Test func aResumedFoldContinuesTheCheckpointedMember() {
        var fold = HistoryFold(member: Self.member, latest: .init(date: Self.day("2026-03-01"), total: 9, streak: 4))
        #expect(
            fold.apply(member: Self.member, day: Self.day("2026-03-02"))
                == .snapshot(.init(date: Self.day("2026-03-02"), total: 10, streak: 5))
        )
    }
}
