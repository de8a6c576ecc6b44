/// A circuit breaker for one reward API, as a state machine without I/O or clocks: callers pass `now` and act on
/// the returned decisions (guarded by a `Mutex` in ``RewardCircuitBreakers``).
///
///     closed ──(failureThreshold consecutive failures)──► open ──(openDuration)──► half-open
///     half-open ──(probe succeeds)──► closed        half-open ──(probe fails)──► open
///
/// Failures are the API's trouble (5xx, 429, timeouts, connection errors); a 200 or a permanent 4xx means it is up.
public struct CircuitBreaker: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Consecutive failures that open the circuit. Default 20.
        public var failureThreshold: Int
        /// How long it stays open before letting probes through. Default 5 s.
        public var openDuration: Duration
        /// Calls let through while half-open. Default 1.
        public var halfOpenProbes: Int

        public init(failureThreshold: Int = 20, openDuration: Duration = .seconds(5), halfOpenProbes: Int = 1) {
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
            self.halfOpenProbes = halfOpenProbes
        }
    }

    public enum State: Sendable, Hashable {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen(probesInFlight: Int)
    }

    public enum Decision: Sendable, Hashable {
        case call
        /// Do not call; try again after this long.
        case reject(retryAfter: Duration)
    }

    /// A state change worth a log line or a metric.
    public enum Change: Sendable, Hashable {
        case opened
        case halfOpened
        case closed
    }

    public let configuration: Configuration
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether a call may go out now.
    public mutating func acquire(now: ContinuousClock.Instant) -> (Decision, Change?) {
        switch state {
        case .closed:
            return (.call, nil)
        case .open(let until):
            guard now >= until else { return (.reject(retryAfter: until - now), nil) }
            state = .halfOpen(probesInFlight: 1)
            return (.call, .halfOpened)
        case .halfOpen(let probes):
            guard probes < configuration.halfOpenProbes else {
                return (.reject(retryAfter: configuration.openDuration), nil)
            }
            state = .halfOpen(probesInFlight: probes + 1)
            return (.call, nil)
        }
    }

    /// The outcome of a call that `acquire` let through.
    public mutating func record(success: Bool, now: ContinuousClock.Instant) -> Change? {
        switch (state, success) {
        case (.closed, true):
            state = .closed(consecutiveFailures: 0)
            return nil
        case (.closed(let failures), false):
            guard failures + 1 >= configuration.failureThreshold else {
                state = .closed(consecutiveFailures: failures + 1)
                return nil
            }
            state = .open(until: now + configuration.openDuration)
            return .opened
        case (.halfOpen, true):
            state = .closed(consecutiveFailures: 0)
            return .closed
        case (.halfOpen, false):
            state = .open(until: now + configuration.openDuration)
            return .opened
        case (.open, _):
            // A call that went out before the circuit opened: the circuit already knows.
            return nil
        }
    }
}
