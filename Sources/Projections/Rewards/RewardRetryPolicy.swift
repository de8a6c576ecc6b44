/// When a reward is tried again, and when the settler gives up and parks it.
public struct RewardRetryPolicy: Sendable, Hashable {
    /// Attempts (since the last operator re-drive) before a reward is parked. Default 8.
    public var maxAttempts: Int
    /// Delay ceiling after the first failed attempt; doubles per attempt. Default 1 s.
    public var initialBackoff: Duration
    /// Largest delay between attempts. Default 5 min.
    public var maximumBackoff: Duration

    public init(maxAttempts: Int = 8, initialBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(300))
    {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    /// Exponential backoff with jitter after attempt `attempt` (1-based): uniformly in [c/2, c] where
    /// c = min(maximum, initial · 2^(attempt-1)). `jitter` in 0...1 picks the point, so tests stay deterministic.
    /// A server's Retry-After is honoured when it asks for longer.
    public func delay(afterAttempt attempt: Int, jitter: Double, retryAfter: Duration? = nil) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(maximumBackoff, initialBackoff * (1 << exponent))
        let fraction = 0.5 + 0.5 * min(max(jitter, 0), 1)
        let delay = ceiling * fraction
        guard let retryAfter else { return delay }
        return max(delay, min(retryAfter, maximumBackoff))
    }
}
