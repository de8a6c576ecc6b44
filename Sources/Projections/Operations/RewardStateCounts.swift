/// Rewards by settlement state, as an operator reads them: a pending reward that was attempted before is *retrying*.
public struct RewardStateCounts: Sendable, Hashable, Codable {
    /// Pending, never attempted yet.
    public var pending = 0
    /// Pending after at least one failed attempt (waiting for its backoff, or being re-driven).
    public var retrying = 0
    public var parked = 0
    public var failed = 0
    public var succeeded = 0
    public var budgetExceeded = 0

    public init() {}

    /// The `state` label values of `attendance_rewards`, with their counts.
    public var labelled: [(state: String, count: Int)] {
        [
            ("pending", pending), ("retrying", retrying), ("parked", parked), ("failed", failed),
            ("succeeded", succeeded), ("budget_exceeded", budgetExceeded),
        ]
    }

    enum CodingKeys: String, CodingKey {
        case pending, retrying, parked, failed, succeeded
        case budgetExceeded = "budget_exceeded"
    }

    /// One scan of the whole reward log (a full scan: mind the sampling interval on a large table).
    public static func load(on connection: PostgresConnection) throws -> RewardStateCounts {
        let rows = try connection.execute(
            """
            SELECT status, attempts > 0, count(*) FROM event_attendance_reward_log GROUP BY 1, 2
            """
        )
        var counts = RewardStateCounts()
        for row in 0..<rows.count {
            let count = rows.int(row, 2) ?? 0
            switch rows.string(row, 0).flatMap(RewardStatus.init(rawValue:)) {
            case .pending: if rows.bool(row, 1) == true { counts.retrying += count } else { counts.pending += count }
            case .parked: counts.parked += count
            case .failed: counts.failed += count
            case .succeeded: counts.succeeded += count
            case .budgetExceeded: counts.budgetExceeded += count
            case nil: break
            }
        }
        return counts
    }
}
