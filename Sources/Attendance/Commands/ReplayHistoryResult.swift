import CommandSupport
import Foundation
import Projections

/// What `replay history` did, as a short report or JSON.
struct ReplayHistoryResult: Sendable, Encodable {
    var rebuild: HistoryRebuildCounts?
    var seconds: Double?
    var stoppedAt: ReplayProgress?
    var diff: HistoryDiffReport?
    var swapped = false

    enum CodingKeys: String, CodingKey {
        case status, rebuild, seconds, diff, swapped
        case rowsDone = "rows_done"
        case rowsExpected = "rows_expected"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let status =
            stoppedAt != nil
            ? "stopped" : swapped ? "swapped" : (diff?.isIdentical ?? false) ? "identical" : "different"
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(rebuild, forKey: .rebuild)
        try container.encodeIfPresent(seconds, forKey: .seconds)
        try container.encodeIfPresent(diff, forKey: .diff)
        try container.encode(swapped, forKey: .swapped)
        if let stoppedAt {
            try container.encode(stoppedAt.rowsDone, forKey: .rowsDone)
            try container.encode(stoppedAt.rowsExpected, forKey: .rowsExpected)
        }
    }

    func jsonEncoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    func reportLines() -> [String] {
        var lines: [String] = []
        if let stoppedAt {
            lines.append(
                "stopped after \(stoppedAt.rowsDone) of ~\(stoppedAt.rowsExpected) log rows; "
                    + "`attendance replay history --resume` continues from there. Nothing live changed."
            )
            return lines
        }
        if let rebuild {
            let rate = seconds.map { $0 > 0 ? Double(rebuild.replayed) / $0 : 0 } ?? 0
            lines.append(
                "rebuilt \(rebuild.written) history rows from \(rebuild.replayed) CHECK_IN log rows"
                    + (seconds.map { String(format: " in %.1f s (%.0f rows/s)", $0, rate) } ?? "")
            )
            lines.append(
                "  skipped: \(rebuild.skippedSameDay) same day, \(rebuild.skippedEarlierDay) earlier day; "
                    + "recorded day differs from its policy's: \(rebuild.dateMismatches); policy version missing: "
                    + "\(rebuild.missingPolicies)"
            )
        }
        guard let diff else { return lines }
        lines.append(
            "diff (live vs rebuilt, by attendance_log_id): live \(diff.liveRows), rebuilt \(diff.rebuiltRows), "
                + "identical \(diff.identical), missing \(diff.missing), extra \(diff.extra), "
                + "different \(diff.different), participant counters differing \(diff.participantCountsDiffering)"
        )
        if diff.caughtUp.replayed > 0 {
            lines.append("  caught up \(diff.caughtUp.replayed) log rows logged since the rebuild read the log")
        }
        for sample in diff.samples {
            lines.append(
                "  \(sample.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) log \(sample.attendanceLogID): "
                    + "live \(Self.describe(sample.live)) | rebuilt \(Self.describe(sample.rebuilt))"
            )
        }
        if swapped {
            lines.append(
                diff.isIdentical
                    ? "swap: nothing to change" : "swap: applied; the live table now equals the rebuilt one"
            )
        } else {
            lines.append(
                diff.isIdentical
                    ? "identical: nothing to swap" : "not swapped: run again with --diff-only --swap to apply"
            )
        }
        return lines
    }

    private static func describe(_ snapshot: HistoryDiffReport.Snapshot?) -> String {
        guard let snapshot else { return "—" }
        return "event \(snapshot.eventID) member \(snapshot.memberID) \(snapshot.attendanceDate) "
            + "total \(snapshot.total) streak \(snapshot.streak)"
    }
}
