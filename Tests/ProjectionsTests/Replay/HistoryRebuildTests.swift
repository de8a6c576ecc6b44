import Domain
import Foundation
import Projections
import Testing

/// `replay history` against the real projector's output: rebuild, diff, swap, resume, and no side effects.
@Suite("Replay: history rebuilt from the event log", .serialized, .timeLimit(.minutes(5)))
struct HistoryRebuildTests {
    /// Runs `body` with a freshly filled fixture on a thread of its own (libpq blocks).
    private func withFixture(_ body: @escaping @Sendable (inout ReplayFixture) throws -> Void) async throws {
        try await TestDatabase.withSchema(create: false) { schema in
            try await onThread {
                var fixture = try ReplayFixture(schema: schema)
                defer { fixture.close() }
                try fixture.fillStandardHistory()
                try body(&fixture)
            }
        }
    }

    @Test func aRebuildOfAnIntactTableIsIdenticalAndHasNoSideEffects() async throws {
        try await withFixture { fixture in
            let live = try fixture.liveHistory()
            let effects = try fixture.sideEffectCounts()
            #expect(live.count > 300)
            #expect(try fixture.count("event_attendance_reward_log") > 0)
            // The log holds the failures a rebuild must not count: re-taps, and late requests for earlier days.
            let reasons = try fixture.rows(
                "SELECT DISTINCT fail_reason FROM event_attendance_log WHERE status = 'FAIL'"
            )
            #expect(Set(reasons.compactMap { $0[0] }).isSuperset(of: ["ALREADY_CHECKED_IN", "OUT_OF_ORDER"]))
            // Two policy versions of the plain event decided its rows, in zones 5 hours apart.
            #expect(
                try fixture.rows("SELECT DISTINCT policy_version FROM event_attendance_log WHERE event_id = 7").count
                    == 2
            )

            let rebuild = try fixture.rebuild()
            guard case .completed(let counts) = try rebuild.rebuild(resume: false) else {
                Issue.record("the rebuild did not complete")
                return
            }
            #expect(counts.written == Int64(live.count))
            #expect(counts.replayed == counts.written)
            #expect(counts.dateMismatches == 0 && counts.missingPolicies == 0)
            #expect(counts.skippedSameDay == 0 && counts.skippedEarlierDay == 0)
            let report = try rebuild.diff()
            #expect(report.isIdentical)
            #expect(report.identical == Int64(live.count) && report.rebuiltRows == report.liveRows)
            #expect(report.samples.isEmpty)
            #expect(try fixture.rebuiltHistory() == live.map { Array($0.dropFirst()) })
            #expect(try fixture.liveHistory() == live)
            #expect(try fixture.sideEffectCounts() == effects)
        }
    }

    @Test func aCorruptedTableIsDiffedAndSwappedBackToTheOriginal() async throws {
        try await withFixture { fixture in
            let original = try fixture.liveHistory()
            let participants = try fixture.rows("SELECT * FROM event_participant_count ORDER BY event_id")
            // Lose rows (the plain event's rows are referenced by nothing), a whole member among them.
            let deleted = try fixture.connection.execute(
                """
                DELETE FROM event_attendance_history
                WHERE event_id = \(ReplayFixture.plainEvent) AND (member_id = 3 OR attendance_log_id % 4 = 0)
                """
            ).affectedRows
            // Corrupt snapshots of rewarded rows (referenced by rewards: the ids must survive the swap).
            let corrupted = try fixture.connection.execute(
                """
                UPDATE event_attendance_history SET total_attendance_count = total_attendance_count + 5,
                       streak_attendance_count = 1
                WHERE event_id = \(ReplayFixture.rewardedEvent) AND member_id IN (2, 5)
                """
            ).affectedRows
            // A row the log does not support: a FAIL row's log id.
            try fixture.connection.execute(
                """
                INSERT INTO event_attendance_history (event_id, member_id, attendance_log_id, attendance_date,
                    total_attendance_count, streak_attendance_count)
                SELECT event_id, member_id, id, DATE '2020-01-01', 1, 1 FROM event_attendance_log
                WHERE status = 'FAIL' AND event_id = \(ReplayFixture.plainEvent) ORDER BY id LIMIT 1
                """
            )
            try fixture.connection.execute("UPDATE event_participant_count SET participants = 99")
            let effects = try fixture.sideEffectCounts()
            #expect(deleted > 20 && corrupted > 10)

            let rebuild = try fixture.rebuild(chunkSize: 37)
            _ = try rebuild.rebuild(resume: false)
            let report = try rebuild.diff()
            #expect(report.missing == Int64(deleted))
            #expect(report.different == Int64(corrupted))
            #expect(report.extra == 1)
            #expect(report.participantCountsDiffering == 2)
            #expect(report.samples.count == 20)
            #expect(Set(report.samples.map(\.kind)).isSubset(of: [.missing, .different, .extra]))
            // Nothing live changed without --swap.
            #expect(try fixture.count("event_attendance_history") == original.count - deleted + 1)

            let applied = try rebuild.swap()
            #expect(applied.missing == Int64(deleted) && applied.different == Int64(corrupted) && applied.extra == 1)
            let repaired = try fixture.liveHistory()
            // Same rows, snapshots, totals and streaks as before the damage; untouched rows keep their ids.
            #expect(repaired.map { Array($0.dropFirst()) } == original.map { Array($0.dropFirst()) })
            let originalIDs = Dictionary(uniqueKeysWithValues: original.map { ($0[1], $0[0]) })
            let keptIDs = repaired.filter { row in
                row[2] == "\(ReplayFixture.rewardedEvent)" && originalIDs[row[1]] == row[0]
            }
            #expect(keptIDs.count == original.filter { $0[2] == "\(ReplayFixture.rewardedEvent)" }.count)
            #expect(try fixture.rows("SELECT * FROM event_participant_count ORDER BY event_id") == participants)
            // The reward log still points at the history rows of its own member-days.
            #expect(
                try fixture.count(
                    """
                    event_attendance_reward_log r JOIN event_attendance_history h ON h.id = r.attendance_history_id
                    WHERE h.member_id = r.member_id AND h.attendance_date = r.attendance_date
                    """
                ) == fixture.count("event_attendance_reward_log")
            )
            #expect(try rebuild.diff().isIdentical)
            #expect(try fixture.sideEffectCounts() == effects)
        }
    }

    @Test func aRebuildRunTwiceGivesTheSameRows() async throws {
        try await withFixture { fixture in
            let rebuild = try fixture.rebuild(chunkSize: 50)
            _ = try rebuild.rebuild(resume: false)
            let first = try fixture.rebuiltHistory()
            _ = try rebuild.rebuild(resume: false)
            #expect(try fixture.rebuiltHistory() == first)
            #expect(first.count == (try fixture.count("event_attendance_history")))
        }
    }

    @Test func aRebuildStoppedAndResumedGivesTheSameRowsAsOneRun() async throws {
        try await withFixture { fixture in
            try fixture.connection.execute(
                "DELETE FROM event_attendance_history WHERE event_id = \(ReplayFixture.plainEvent)"
            )
            let uninterrupted = try fixture.rebuild(chunkSize: 1_000)
            _ = try uninterrupted.rebuild(resume: false)
            let expected = try fixture.rebuiltHistory()

            #expect(throws: HistoryReplayError.self) { try fixture.rebuild().rebuild(resume: true) }
            // Chunks of 7 rows stop in the middle of members; every stop resumes from the committed checkpoint.
            var chunks = 0
            let first = try fixture.rebuild(chunkSize: 7)
            let outcome = try first.rebuild(resume: false, progress: { _ in chunks += 1 }, shouldStop: { chunks >= 3 })
            guard case .stopped(let progress) = outcome else {
                Issue.record("the rebuild did not stop")
                return
            }
            #expect(progress.rowsDone == 21)
            #expect(try fixture.count("event_attendance_history_rebuild") == 21)
            #expect(throws: HistoryReplayError.self) { try first.diff() }
            var resumes = 0
            var outcomeAfterResume: HistoryRebuild.Outcome
            repeat {
                var chunksThisTime = 0
                outcomeAfterResume = try fixture.rebuild(chunkSize: 7 + resumes).rebuild(
                    resume: true,
                    progress: { _ in chunksThisTime += 1 },
                    shouldStop: { chunksThisTime >= 5 }
                )
                resumes += 1
            } while !outcomeAfterResume.isCompleted
            #expect(resumes > 3)
            #expect(try fixture.rebuiltHistory() == expected)
            let report = try first.diff()
            #expect(report.missing == Int64(expected.filter { $0[1] == "\(ReplayFixture.plainEvent)" }.count))
            #expect(report.extra == 0 && report.different == 0)
        }
    }

    @Test func rowsLoggedAfterTheRebuildAreCaughtUpBeforeTheDiff() async throws {
        try await withFixture { fixture in
            let rebuild = try fixture.rebuild()
            _ = try rebuild.rebuild(resume: false)
            try fixture.checkIns(days: 40..<45, members: 1...14)  // old members continue, two new ones start
            let report = try rebuild.diff()
            #expect(report.caughtUp.written > 50)
            #expect(report.isIdentical)
            #expect(try fixture.rebuiltHistory() == fixture.liveHistory().map { Array($0.dropFirst()) })
        }
    }

    @Test func aSwapRefusesToDeleteRowsThatRewardsReference() async throws {
        try await withFixture { fixture in
            let rebuild = try fixture.rebuild()
            _ = try rebuild.rebuild(resume: false)
            // The log no longer supports a rewarded success (as if its log row had been lost).
            try fixture.connection.execute(
                """
                DELETE FROM event_attendance_history_rebuild WHERE attendance_log_id =
                    (SELECT min(attendance_log_id) FROM event_attendance_history WHERE event_id = \(ReplayFixture.rewardedEvent))
                """
            )
            try fixture.connection.execute(
                """
                INSERT INTO history_rebuild_skipped
                SELECT min(attendance_log_id), 'NO_DAY' FROM event_attendance_history WHERE event_id = \(ReplayFixture.rewardedEvent)
                """
            )
            let before = try fixture.liveHistory()
            #expect(throws: HistoryReplayError.self) { try rebuild.swap() }
            #expect(try fixture.liveHistory() == before)
        }
    }
}

extension HistoryRebuild.Outcome {
    var isCompleted: Bool {
        if case .completed = self { return true }
        return false
    }
}

/// Runs `body` on a thread of its own (libpq blocks) and resumes with its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let thread = ThreadExecutor(name: "test-replay")
    defer { thread.shutdown() }
    return try await thread.run(body)
}
