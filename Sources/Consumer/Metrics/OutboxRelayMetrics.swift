import Metrics

/// The outbox relay's metrics (swift-metrics). The backlog and its age come from the operations sampler, which asks
/// Postgres: they must show even when no relay runs.
struct OutboxRelayMetrics: Sendable {
    static let published = "attendance_outbox_published_total"
    static let failedDeliveries = "attendance_outbox_delivery_failures_total"
    static let leader = "attendance_outbox_relay_leader"

    private let published = Counter(label: Self.published)
    private let failedDeliveries = Counter(label: Self.failedDeliveries)
    private let leader = Gauge(label: Self.leader)

    init() {
        leader.record(0)
    }

    func record(published: Int, failed: Int) {
        self.published.increment(by: Int64(published))
        failedDeliveries.increment(by: Int64(failed))
    }

    func recordLeadership(_ isLeader: Bool) {
        leader.record(isLeader ? 1 : 0)
    }
}
