import Domain
import Logging

/// Rebuilds `event_attendance_history` from `event_attendance_log` into the shadow table
/// `event_attendance_history_rebuild`, diffs the two, and swaps the rebuilt contents in (PRODUCT §6).
///
/// No side effects: it reads the log and policy versions and writes only the shadow tables (no outbox rows, no
/// reward rows, no Kafka, no external calls) until `swap()`, which changes only the live history rows and the
/// participant counters.
///
/// Two connections: `reader` streams the log through a cursor in one REPEATABLE READ snapshot; `writer` commits
/// each chunk of shadow rows together with the checkpoint, so a stopped or crashed rebuild resumes where its last
/// chunk committed and gives the same rows as an uninterrupted one. Blocking: run it on a `ThreadExecutor`.
public final class HistoryRebuild {
    public struct Configuration: Sendable {
        /// Log rows per chunk (one fetch, one COPY, one commit).
        public var chunkSize = 20_000
        /// Differing rows listed in a diff report (the counts are always complete).
        public var diffSampleLimit = 20
        /// How long the swap waits for the exclusive lock on the live table before giving up.
        public var swapLockTimeout: Duration = .seconds(10)

        public init() {}
    }

    public enum Outcome: Sendable {
        /// Every log row is rebuilt.
        case completed(HistoryRebuildCounts)
        /// Stopped on request after a committed chunk; `replay history --resume` continues.
        case stopped(ReplayProgress)
    }

    public let configuration: Configuration
    let reader: PostgresConnection
    let writer: PostgresConnection
    let logger: Logger

    public init(
        configuration: Configuration = Configuration(),
        reader: PostgresConnection,
        writer: PostgresConnection,
        logger: Logger = Logger(label: "attendance.replay")
    ) {
        self.configuration = configuration
        self.reader = reader
        self.writer = writer
        self.logger = logger
    }

    /// Rebuilds from scratch (emptying the shadow) or, with `resume`, continues the unfinished run.
    ///
    /// - Parameters:
    ///   - progress: called after every committed chunk.
    ///   - shouldStop: asked before every chunk; returning true stops after the last committed one.
    public func rebuild(
        resume: Bool,
        progress: (ReplayProgress) -> Void = { _ in },
        shouldStop: () -> Bool = { false }
    ) throws -> Outcome {
        try withReplayLock {
            var run: HistoryRebuildRun
            if resume {
                guard let loaded = try HistoryRebuildRun.load(on: writer), loaded.status == .running else {
                    throw HistoryReplayError(
                        .nothingToResume,
                        "no unfinished rebuild in this schema; start one without --resume"
                    )
                }
                run = loaded
            } else {
                let expected = try writer.execute("SELECT count(*) FROM event_attendance_log WHERE status = 'CHECK_IN'")
                run = try HistoryRebuildRun.start(rowsExpected: expected.int64(0, 0) ?? 0, on: writer)
            }
            let policies = try ReplayPolicies.load(on: writer)
            var fold = HistoryFold(member: run.position?.member, latest: run.position?.latest)
            let after = run.position.map { ($0.member.eventID, $0.member.memberID, $0.logID) } ?? (.min, .min, .min)
            let clock = ContinuousClock()
            let started = clock.now
            let rowsBefore = run.counts.replayed

            try reader.transaction { reader in
                try reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                try reader.execute(HistoryLogQuery.afterPosition, [after.0, after.1, after.2])
                while !shouldStop() {
                    let rows = try HistoryLogQuery.fetch(configuration.chunkSize, on: reader)
                    if rows.isEmpty {
                        run.status = .complete
                        break
                    }
                    let chunk = HistoryChunk(rows, fold: &fold, policies: policies, counts: &run.counts)
                    run.position = chunk.last
                    try writer.transaction { writer in
                        try chunk.write(on: writer)
                        try run.checkpoint(on: writer)
                    }
                    progress(
                        ReplayProgress(
                            rowsDone: run.counts.replayed,
                            rowsExpected: run.rowsExpected,
                            rowsThisSession: run.counts.replayed - rowsBefore,
                            elapsed: clock.now - started
                        )
                    )
                }
            }
            guard run.status == .complete else {
                logger.debug("rebuild stopped", metadata: ["rows": "\(run.counts.replayed)"])
                return .stopped(
                    ReplayProgress(
                        rowsDone: run.counts.replayed,
                        rowsExpected: run.rowsExpected,
                        rowsThisSession: run.counts.replayed - rowsBefore,
                        elapsed: clock.now - started
                    )
                )
            }
            try writer.transaction { try run.checkpoint(on: $0) }
            return .completed(run.counts)
        }
    }

    /// Rebuilds what the log gained since the rebuild read it (rows the shadow has neither rebuilt nor skipped),
    /// continuing each member from its latest rebuilt counters. Runs in the caller's transaction on `writer`.
    ///
    /// A member's rows commit in log-id order (one partition, one consumer, batches in order), so rows logged
    /// after the rebuild's snapshot always come after the member's rebuilt ones.
    func catchUp(on connection: PostgresConnection) throws -> HistoryRebuildCounts {
        let policies = try ReplayPolicies.load(on: connection)
        var counts = HistoryRebuildCounts()
        var fold = HistoryFold()
        try connection.execute(HistoryLogQuery.notYetRebuilt)
        while true {
            let rows = try HistoryLogQuery.fetch(configuration.chunkSize, on: connection)
            if rows.isEmpty { break }
            try HistoryChunk(rows, fold: &fold, policies: policies, counts: &counts).write(on: connection)
        }
        try HistoryLogQuery.close(on: connection)
        return counts
    }

    /// The run must be complete (or already swapped) before a diff or swap.
    func requireCompleteRun() throws {
        guard let run = try HistoryRebuildRun.load(on: writer) else {
            throw HistoryReplayError(.rebuildIncomplete, "no rebuild in this schema; run `replay history` first")
        }
        guard run.status != .running else {
            throw HistoryReplayError(
                .rebuildIncomplete,
                "the rebuild stopped at \(run.counts.replayed) of ~\(run.rowsExpected) rows; finish it with --resume"
            )
        }
    }

    /// Holds this schema's replay lock (a session advisory lock on `writer`) while `body` runs.
    func withReplayLock<T>(_ body: () throws -> T) throws -> T {
        let key = "attendance.replay-history:"
        let locked = try writer.execute(
            "SELECT pg_try_advisory_lock(hashtextextended($1 || current_schema(), 0))",
            [key]
        )
        guard locked.bool(0, 0) == true else {
            throw HistoryReplayError(.alreadyRunning, "another replay history holds this schema's replay lock")
        }
        defer {
            do {
                try writer.execute("SELECT pg_advisory_unlock(hashtextextended($1 || current_schema(), 0))", [key])
            } catch {
                logger.warning(
                    "could not release the replay lock (it goes with the session)",
                    metadata: ["error": "\(error)"]
                )
            }
        }
        return try body()
    }
}
