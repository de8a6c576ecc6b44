import CommandSupport
import Foundation
import Projections
import Synchronization

/// Progress of a long run on standard error: one line redrawn in place with a bar and an ETA on a terminal,
/// plain lines (at most one every 5 seconds) when standard error is a file or a pipe.
final class ProgressDisplay: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let lastPlainLine = Mutex<ContinuousClock.Instant?>(nil)
    private let drewOnTerminal = Atomic<Bool>(false)

    func show(_ progress: ReplayProgress) {
        if isTerminal {
            let width = 30
            let filled = Int(progress.fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r[\(bar)] \(Self.describe(progress))\u{1B}[K")
            drewOnTerminal.store(true, ordering: .relaxed)
        } else {
            let now = ContinuousClock.now
            let due = lastPlainLine.withLock { last in
                guard last.map({ now - $0 >= .seconds(5) }) ?? true else { return false }
                last = now
                return true
            }
            if due { write("replay: " + Self.describe(progress) + "\n") }
        }
    }

    /// Ends the redrawn line so later output starts on a line of its own.
    func finish() {
        if drewOnTerminal.load(ordering: .relaxed) { write("\n") }
    }

    static func describe(_ progress: ReplayProgress) -> String {
        let eta = progress.estimatedRemaining.map { Self.clock($0) } ?? "--:--"
        return String(format: "%5.1f%%", progress.fraction * 100)
            + "  \(progress.rowsDone) of ~\(progress.rowsExpected) rows  "
            + String(format: "%.0f rows/s", progress.rowsPerSecond) + "  ETA \(eta)"
    }

    private static func clock(_ duration: Duration) -> String {
        let total = Int(duration.components.seconds)
        return total >= 3_600
            ? String(format: "%d:%02d:%02d", total / 3_600, total / 60 % 60, total % 60)
            : String(format: "%02d:%02d", total / 60, total % 60)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
