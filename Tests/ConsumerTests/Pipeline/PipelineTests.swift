import Testing

/// End-to-end tests of the check-in pipeline: produce to the mock cluster → `CheckInConsumer` → Postgres →
/// `OutboxRelay` → Kafka. Every test has its own schema and cluster. Serialized: consumer group joins on the mock
/// take seconds and the suites share few cores; nested suites inherit it.
@Suite("Pipeline: Kafka to Postgres end to end", .serialized, .timeLimit(.minutes(5)))
struct PipelineTests {}
