import CommandSupport
import Foundation
import Synchronization

/// Produce-to-commit latencies in milliseconds, one per message, for percentiles at the end of a run.
final class LatencyRecorder: Sendable {
    private let samples = Mutex<[Int32]>([])
    /// Per commit second (since the epoch): the worst latency of a message committed in it.
    private let worstBySecond = Mutex<[Int64: Int32]>([:])
    private let lastCommit = Atomic<Int64>(0)

    func record(messageTimestamps: [Int64]) {
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        lastCommit.store(now, ordering: .relaxed)
        var worst: Int32 = 0
        samples.withLock { samples in
            for timestamp in messageTimestamps {
                let latency = Int32(clamping: now - timestamp)
                samples.append(latency)
                worst = max(worst, latency)
            }
        }
        worstBySecond.withLock { $0[now / 1_000] = max($0[now / 1_000] ?? 0, worst) }
    }

    var lastCommitMilliseconds: Int64 { lastCommit.load(ordering: .relaxed) }

    func percentiles(_ points: [Double]) -> [Int32] {
        let sorted = samples.withLock { $0.sorted() }
        guard !sorted.isEmpty else { return points.map { _ in 0 } }
        return points.map { sorted[min(sorted.count - 1, Int(Double(sorted.count) * $0))] }
    }

    /// The worst latency of each `window` seconds of commits since `start`, in order, e.g. `120 135 980 140`: whether
    /// a run's tail is one stall, a climb (a queue building up) or spread over the run.
    func worstByWindow(seconds window: Int64, since start: Date) -> String {
        let origin = Int64(start.timeIntervalSince1970)
        var worst: [Int64: Int32] = [:]
        for (second, latency) in worstBySecond.withLock({ $0 }) {
            let slot = max(0, second - origin) / window
            worst[slot] = max(worst[slot] ?? 0, latency)
        }
        guard let last = worst.keys.max() else { return "" }
        return (0...last).map { worst[$0].map(String.init) ?? "-" }.joined(separator: " ")
    }

    func reset() {
        samples.withLock { $0.removeAll() }
        worstBySecond.withLock { $0.removeAll() }
    }
}

enum ProcessMemory {
    /// Peak resident set size (VmHWM) of this process, in MiB.
    static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        let kib = Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0") ?? 0
        return kib / 1_024
    }

    static func cpuModel() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
        else { return "unknown CPU" }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }
}
