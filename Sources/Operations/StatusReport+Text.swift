import Foundation

extension StatusReport {
    /// The operator's screen. Stale components (no heartbeat for a minute) are marked.
    public func text(now: Date = Date()) -> String {
        var lines: [String] = []
        lines.append(
            "attendance status  schema \(schema)  group \(groupID)  at \(ISO8601DateFormatter().string(from: generatedAt))"
        )
        lines.append("")
        let topic = partitions.first?.topic ?? "attendance.check-in-requests.v1"
        lines.append(
            "check-ins  \(topic)  lag \(totalLag)  oldest unprocessed \(Self.age(oldestUnprocessedAgeSeconds))"
        )
        lines.append("  " + Self.columns(["partition", "stored", "high", "lag", "oldest"]))
        for p in partitions {
            lines.append(
                "  "
                    + Self.columns([
                        "\(p.partition)", p.storedOffset.map(String.init) ?? "-", "\(p.highWatermark)", "\(p.lag)",
                        Self.age(p.oldestAgeSeconds),
                    ])
            )
        }
        lines.append("")
        lines.append(
            "outbox     slot \(outbox.slot) "
                + (!outbox.slotExists
                    ? "MISSING (run `attendance migrate`; messages emitted meanwhile are not published)"
                    : (outbox.slotActive
                        ? "streaming, last acknowledged \(Self.age(outbox.replyAgeSeconds ?? 0)) ago"
                        : "NOT STREAMED (no relay running)")
                        + ", retaining \(outbox.retainedBytes / 1_048_576) MiB of WAL")
                + (outbox.messages > 0
                    ? "; \(outbox.messages) legacy rows, oldest \(Self.age(outbox.oldestAgeSeconds ?? 0))" : "")
        )
        lines.append(
            "rewards    pending \(rewards.pending) | retrying \(rewards.retrying) | parked \(rewards.parked)"
                + " | failed \(rewards.failed) | succeeded \(rewards.succeeded) | over budget \(rewards.budgetExceeded)"
        )
        lines.append(
            "DLQ        "
                + deadLetters.map { "\($0.topic) \($0.messages) (\($0.retained) retained)" }.joined(separator: " | ")
        )
        lines.append("")
        if components.isEmpty {
            lines.append(
                "components none reported in the last day (component_heartbeat is written by running services)"
            )
        } else {
            lines.append("components")
            for c in components {
                let silent = now.timeIntervalSince(c.heartbeatAt)
                let state =
                    silent > 60
                    ? "STALE, last heartbeat \(Self.age(silent)) ago" : "up, heartbeat \(Self.age(silent)) ago"
                var line = "  " + Self.columns([c.component, c.instance], width: 28) + state
                if let error = c.lastError.map({ $0.count > 240 ? $0.prefix(240) + "…" : Substring($0) }) {
                    line +=
                        "\n    last error \(c.lastErrorAt.map { Self.age(now.timeIntervalSince($0)) + " ago" } ?? ""): \(error)"
                } else {
                    line += "  no error"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func age(_ seconds: Double?) -> String {
        guard let seconds else { return "?" }
        switch seconds {
        case ..<60: return String(format: "%.1f s", seconds)
        case ..<3_600: return String(format: "%.0f min", seconds / 60)
        default: return String(format: "%.1f h", seconds / 3_600)
        }
    }

    private static func columns(_ values: [String], width: Int = 11) -> String {
        values.map { $0.padding(toLength: max(width, $0.count + 1), withPad: " ", startingAt: 0) }.joined()
    }
}
