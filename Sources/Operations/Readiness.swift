import Consumer

/// Whether this process should receive traffic, and why not: the body of `/health/ready`.
public struct ReadinessReport: Sendable, Encodable {
    public struct Check: Sendable, Encodable, Hashable {
        public var name: String
        public var ok: Bool
        public var detail: String

        public init(name: String, ok: Bool, detail: String) {
            self.name = name
            self.ok = ok
            self.detail = detail
        }
    }

    public var ready: Bool { checks.allSatisfy(\.ok) }
    public var checks: [Check]

    public init(checks: [Check]) {
        self.checks = checks
    }

    enum CodingKeys: String, CodingKey { case ready, checks }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ready, forKey: .ready)
        try container.encode(checks, forKey: .checks)
    }
}

/// The readiness rules, without I/O or clocks (callers pass `now`), so they are unit-tested directly.
///
/// Ready means: Postgres and Kafka answered the sampler recently; the check-in consumers of this process hold
/// partitions and are not stuck (lag but no batch committed for `stuckAfter`); a publishing relay is not stuck (the
/// oldest outbox row is older than `stuckAfter`). A standby relay and the settler need only the connections.
public struct ReadinessRules: Sendable {
    public struct Inputs: Sendable {
        public var postgres: SamplerObservation.Probe
        public var kafka: SamplerObservation.Probe
        /// The check-in consumers of this process (empty when it runs none).
        public var consumers: [CheckInStatistics.Snapshot] = []
        /// When the consumers started: stuck-detection grace before their first batch.
        public var consumersStartedAt: ContinuousClock.Instant?
        /// The relay of this process, if any.
        public var relay: OutboxRelay.Snapshot?
        public var outbox: OutboxBacklog?

        public init(postgres: SamplerObservation.Probe, kafka: SamplerObservation.Probe) {
            self.postgres = postgres
            self.kafka = kafka
        }
    }

    /// Lag without a committed batch for this long means stuck. Default 60 s.
    public var stuckAfter: Duration = .seconds(60)
    /// A sampler answer older than this no longer counts. Default 30 s.
    public var staleAfter: Duration = .seconds(30)

    public init(stuckAfter: Duration = .seconds(60), staleAfter: Duration = .seconds(30)) {
        self.stuckAfter = stuckAfter
        self.staleAfter = staleAfter
    }

    public func evaluate(_ inputs: Inputs, now: ContinuousClock.Instant) -> ReadinessReport {
        var checks = [
            connection("postgres", inputs.postgres, now: now),
            connection("kafka", inputs.kafka, now: now),
        ]
        if !inputs.consumers.isEmpty {
            let total = CheckInStatistics.Snapshot.combined(inputs.consumers)
            checks.append(
                .init(
                    name: "partitions",
                    ok: total.assignedPartitions > 0,
                    detail: total.assignedPartitions > 0
                        ? "\(total.assignedPartitions) partitions assigned" : "no partitions assigned to this process"
                )
            )
            let lag = total.lag.values.reduce(0, +)
            let since = total.lastBatchAt ?? inputs.consumersStartedAt ?? now
            let idle = since.duration(to: now)
            let stuck = lag > 0 && idle > stuckAfter
            checks.append(
                .init(
                    name: "consumer_progress",
                    ok: !stuck,
                    detail: stuck
                        ? "lag \(lag) but no batch committed for \(Self.seconds(idle))"
                            + (total.lastError.map { "; last error: \($0)" } ?? "")
                        : "lag \(lag), last batch \(total.lastBatchAt.map { Self.seconds($0.duration(to: now)) + " ago" } ?? "none yet")"
                )
            )
        }
        if let relay = inputs.relay {
            // The leader acknowledges at least every 10 s while streaming; legacy rows must drain too.
            let age = max(inputs.outbox?.replyAgeSeconds ?? 0, inputs.outbox?.oldestAgeSeconds ?? 0)
            let stuck = relay.isLeader && age > Double(stuckAfter.components.seconds)
            checks.append(
                .init(
                    name: "relay_progress",
                    ok: !stuck,
                    detail: !relay.isLeader
                        ? "standby (another relay publishes)"
                        : stuck
                            ? "publishing, but nothing acknowledged for \(Int(age)) s"
                                + (relay.lastError.map { "; last error: \($0)" } ?? "")
                            : "publishing; slot retains \((inputs.outbox?.retainedBytes ?? 0) / 1_048_576) MiB of WAL"
                )
            )
        }
        return ReadinessReport(checks: checks)
    }

    private func connection(_ name: String, _ probe: SamplerObservation.Probe, now: ContinuousClock.Instant)
        -> ReadinessReport.Check
    {
        guard let at = probe.lastSuccessAt else {
            return .init(
                name: name,
                ok: false,
                detail: probe.lastError.map { "unreachable: \($0)" } ?? "not checked yet"
            )
        }
        let age = at.duration(to: now)
        if let error = probe.lastError, probe.lastFailureAt.map({ $0 > at }) ?? false {
            return .init(name: name, ok: false, detail: "unreachable since \(Self.seconds(age)): \(error)")
        }
        guard age <= staleAfter else {
            return .init(name: name, ok: false, detail: "no answer for \(Self.seconds(age))")
        }
        return .init(name: name, ok: true, detail: "answered \(Self.seconds(age)) ago")
    }

    static func seconds(_ duration: Duration) -> String {
        "\(duration.components.seconds) s"
    }
}

/// What the sampler last saw of Postgres and Kafka, for readiness.
public struct SamplerObservation: Sendable {
    public struct Probe: Sendable {
        public var lastSuccessAt: ContinuousClock.Instant?
        public var lastFailureAt: ContinuousClock.Instant?
        public var lastError: String?

        public init(
            lastSuccessAt: ContinuousClock.Instant? = nil,
            lastFailureAt: ContinuousClock.Instant? = nil,
            lastError: String? = nil
        ) {
            self.lastSuccessAt = lastSuccessAt
            self.lastFailureAt = lastFailureAt
            self.lastError = lastError
        }

        mutating func succeeded(at now: ContinuousClock.Instant) { lastSuccessAt = now }

        mutating func failed(_ error: any Error, at now: ContinuousClock.Instant) {
            lastFailureAt = now
            lastError = "\(error)"
        }
    }

    public var postgres = Probe()
    public var kafka = Probe()
    public var outbox: OutboxBacklog?

    public init() {}
}
