/// What the fake reward API does wrong, and how often. Rates are probabilities in 0...1, rolled per request in
/// the order below (a request meets at most one fault).
public struct FakeRewardFaults: Sendable, Hashable {
    /// Added to every request before it is handled.
    public var latency: Duration = .zero
    /// Extra random latency in [0, latencyJitter].
    public var latencyJitter: Duration = .zero
    /// Answer 503 without paying.
    public var serverErrorRate = 0.0
    /// Answer 429 (with `Retry-After: 1`) without paying.
    public var throttleRate = 0.0
    /// Hang for `hangDuration` before handling (the client times out; nothing was paid).
    public var timeoutRate = 0.0
    /// Pay, then hang for `hangDuration` before answering: the response is lost to a client with a shorter
    /// timeout, and only the same key again tells it that it was paid.
    public var droppedResponseRate = 0.0
    public var hangDuration: Duration = .seconds(10)
    /// Members the APIs refuse permanently (403).
    public var refusedMembers: Set<Int64> = []
    /// Coupon groups the coupon API refuses permanently (422, e.g. a closed campaign).
    public var closedCouponGroups: Set<String> = []
    /// Everything answers 503 (an outage), until switched back.
    public var down = false

    public init() {}

    /// The transient failures of the benchmark: `rate` split between 503 and 429.
    public static func transient(_ rate: Double, latency: Duration) -> FakeRewardFaults {
        var faults = FakeRewardFaults()
        faults.latency = latency
        faults.serverErrorRate = rate / 2
        faults.throttleRate = rate / 2
        return faults
    }

    /// Problems with a setting, each naming it; empty when valid.
    public var problems: [String] {
        var problems: [String] = []
        let rates = [
            ("server-error-rate", serverErrorRate), ("throttle-rate", throttleRate), ("timeout-rate", timeoutRate),
            ("dropped-response-rate", droppedResponseRate),
        ]
        for (name, rate) in rates where !(0...1).contains(rate) { problems.append("\(name) must be within 0...1") }
        if rates.map(\.1).reduce(0, +) > 1 { problems.append("the fault rates add up to more than 1") }
        if latency < .zero || latencyJitter < .zero || hangDuration < .zero {
            problems.append("latency, latency jitter and hang duration must not be negative")
        }
        return problems
    }
}
