/// How far a rebuild is, for progress lines: rows so far (including earlier, resumed-from runs), the rate of
/// this session and the time left at that rate.
public struct ReplayProgress: Sendable, Hashable {
    /// Rows read so far, over every session of this run.
    public let rowsDone: Int64
    /// CHECK_IN rows the log held when the run started (the log may grow meanwhile: a floor, not a promise).
    public let rowsExpected: Int64
    /// Rows read by this session, over `elapsed`.
    public let rowsThisSession: Int64
    public let elapsed: Duration

    public init(rowsDone: Int64, rowsExpected: Int64, rowsThisSession: Int64, elapsed: Duration) {
        self.rowsDone = rowsDone
        self.rowsExpected = rowsExpected
        self.rowsThisSession = rowsThisSession
        self.elapsed = elapsed
    }

    public var rowsPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(rowsThisSession) / seconds : 0
    }

    /// Between 0 and 1.
    public var fraction: Double {
        rowsExpected > 0 ? min(1, Double(rowsDone) / Double(rowsExpected)) : 1
    }

    /// Time left at this session's rate; nil until there is a rate.
    public var estimatedRemaining: Duration? {
        let rate = rowsPerSecond
        guard rate > 0 else { return nil }
        return .milliseconds(Int64(Double(max(0, rowsExpected - rowsDone)) / rate * 1_000))
    }
}
