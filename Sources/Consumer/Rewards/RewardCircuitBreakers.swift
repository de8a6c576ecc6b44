import Logging
import Synchronization

/// One ``CircuitBreaker`` per reward API, shared by everything that calls it in this process.
public final class RewardCircuitBreakers: Sendable {
    public enum API: String, Sendable, Hashable, CaseIterable {
        case points
        case coupons
    }

    private let breakers: Mutex<[API: CircuitBreaker]>
    private let logger: Logger

    public init(configuration: CircuitBreaker.Configuration, logger: Logger) {
        var breakers: [API: CircuitBreaker] = [:]
        for api in API.allCases { breakers[api] = CircuitBreaker(configuration: configuration) }
        self.breakers = Mutex(breakers)
        self.logger = logger
        for api in API.allCases { RewardMetrics.recordCircuit(api, nil) }
    }

    public func acquire(_ api: API) -> CircuitBreaker.Decision {
        let now = ContinuousClock.now
        let (decision, change) = breakers.withLock { $0[api]!.acquire(now: now) }
        if let change { log(change, api) }
        return decision
    }

    public func record(_ api: API, success: Bool) {
        let now = ContinuousClock.now
        if let change = breakers.withLock({ $0[api]!.record(success: success, now: now) }) { log(change, api) }
    }

    public func state(_ api: API) -> CircuitBreaker.State {
        breakers.withLock { $0[api]!.state }
    }

    private func log(_ change: CircuitBreaker.Change, _ api: API) {
        RewardMetrics.recordCircuit(api, change)
        switch change {
        case .opened: logger.warning("reward API circuit opened: calls paused", metadata: ["api": "\(api.rawValue)"])
        case .halfOpened: logger.info("reward API circuit half-open: probing", metadata: ["api": "\(api.rawValue)"])
        case .closed: logger.info("reward API circuit closed: calls resume", metadata: ["api": "\(api.rawValue)"])
        }
    }
}
