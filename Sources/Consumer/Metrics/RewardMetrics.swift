import Metrics
import Projections

/// The reward settler's metrics (swift-metrics): calls per API with their latency and errors, settlement outcomes and
/// the circuit breakers. Rewards by state come from the operations sampler (the reward log is shared by all settlers).
struct RewardMetrics: Sendable {
    static let callDuration = "attendance_reward_api_request_duration_seconds"
    static let callErrors = "attendance_reward_api_errors_total"
    static let outcomes = "attendance_reward_settlements_total"
    static let circuitState = "attendance_reward_api_circuit_state"

    private let durations: [RewardCircuitBreakers.API: Metrics.Timer]
    private let errors: [RewardCircuitBreakers.API: [String: Counter]]
    private let outcomes: [String: Counter]

    /// The `kind` label of an error: `retryable` (known not paid: 5xx, 429, refused connection), `unknown` (timeout or
    /// lost answer: maybe paid), `rejected` (a permanent 4xx).
    static let errorKinds = ["retryable", "unknown", "rejected"]
    static let outcomeNames = ["succeeded", "failed", "retried", "parked", "budget_exceeded"]

    init() {
        var durations: [RewardCircuitBreakers.API: Metrics.Timer] = [:]
        var errors: [RewardCircuitBreakers.API: [String: Counter]] = [:]
        for api in RewardCircuitBreakers.API.allCases {
            durations[api] = Metrics.Timer(label: Self.callDuration, dimensions: [("api", api.rawValue)])
            for kind in Self.errorKinds {
                errors[api, default: [:]][kind] = Counter(
                    label: Self.callErrors,
                    dimensions: [("api", api.rawValue), ("kind", kind)]
                )
            }
        }
        self.durations = durations
        self.errors = errors
        var outcomes: [String: Counter] = [:]
        for name in Self.outcomeNames {
            outcomes[name] = Counter(label: Self.outcomes, dimensions: [("outcome", name)])
        }
        self.outcomes = outcomes
    }

    func recordCall(_ api: RewardCircuitBreakers.API, latency: Duration, result: RewardCallResult) {
        durations[api]?.recordInterval(latency)
        let kind: String? =
            switch result {
            case .paid: nil
            case .retryable: "retryable"
            case .unknown: "unknown"
            case .rejected: "rejected"
            }
        if let kind { errors[api]?[kind]?.increment() }
    }

    func recordRound(succeeded: Int, failed: Int, retried: Int, parked: Int, budgetRefused: Int) {
        for (name, count) in [
            ("succeeded", succeeded), ("failed", failed), ("retried", retried), ("parked", parked),
            ("budget_exceeded", budgetRefused),
        ] where count > 0 {
            outcomes[name]?.increment(by: Int64(count))
        }
    }

    /// 0 closed, 1 half-open, 2 open.
    static func recordCircuit(_ api: RewardCircuitBreakers.API, _ change: CircuitBreaker.Change?) {
        let value: Int =
            switch change {
            case nil, .closed: 0
            case .halfOpened: 1
            case .opened: 2
            }
        Gauge(label: circuitState, dimensions: [("api", api.rawValue)]).record(value)
    }
}
