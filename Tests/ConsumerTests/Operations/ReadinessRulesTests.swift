import Consumer
import Operations
import Projections
import Testing

@Suite("readiness rules: connections, partitions, stuck consumers and relays", .timeLimit(.minutes(5)))
struct ReadinessRulesTests {
    let start = ContinuousClock.now
    let rules = ReadinessRules(stuckAfter: .seconds(60), staleAfter: .seconds(30))

    func answered(at instant: ContinuousClock.Instant) -> SamplerObservation.Probe {
        SamplerObservation.Probe(lastSuccessAt: instant)
    }

    func consumer(assigned: Int, lag: Int64, lastBatchAt: ContinuousClock.Instant?) -> CheckInStatistics.Snapshot {
        var snapshot = CheckInStatistics.Snapshot()
        snapshot.assignedPartitions = assigned
        snapshot.lag = [PartitionKey(topic: "t", partition: 0): lag]
        snapshot.lastBatchAt = lastBatchAt
        return snapshot
    }

    func failing(_ name: String, in report: ReadinessReport) -> String? {
        report.checks.first { $0.name == name && !$0.ok }?.detail
    }

    @Test func notReadyBeforeTheSamplerHasAnswered() {
        let report = rules.evaluate(.init(postgres: .init(), kafka: .init()), now: start)
        #expect(!report.ready)
        #expect(failing("postgres", in: report) == "not checked yet")
        #expect(failing("kafka", in: report) == "not checked yet")
    }

    @Test func readyWhenBothAnswerAndTheConsumerMakesProgress() {
        var inputs = ReadinessRules.Inputs(postgres: answered(at: start), kafka: answered(at: start))
        inputs.consumers = [consumer(assigned: 4, lag: 10, lastBatchAt: start)]
        let report = rules.evaluate(inputs, now: start + .seconds(5))
        #expect(report.ready, "\(report.checks)")
    }

    @Test func aFailureAfterTheLastSuccessOrAStaleAnswerIsNotReady() {
        var postgres = answered(at: start)
        postgres.lastFailureAt = start + .seconds(1)
        postgres.lastError = "connection refused"
        let down = rules.evaluate(.init(postgres: postgres, kafka: answered(at: start)), now: start + .seconds(2))
        #expect(failing("postgres", in: down)?.contains("connection refused") == true)

        let stale = rules.evaluate(
            .init(postgres: answered(at: start), kafka: answered(at: start)),
            now: start + .seconds(31)
        )
        #expect(failing("kafka", in: stale) == "no answer for 31 s")
    }

    @Test func lagWithoutACommittedBatchForTooLongIsStuck_andRecovers() {
        var inputs = ReadinessRules.Inputs(
            postgres: answered(at: start + .seconds(90)),
            kafka: answered(at: start + .seconds(90))
        )
        inputs.consumers = [consumer(assigned: 12, lag: 500, lastBatchAt: start)]
        let stuck = rules.evaluate(inputs, now: start + .seconds(91))
        #expect(failing("consumer_progress", in: stuck)?.hasPrefix("lag 500 but no batch committed for 91 s") == true)

        inputs.consumers = [consumer(assigned: 12, lag: 0, lastBatchAt: start)]  // idle, nothing to do: not stuck
        #expect(rules.evaluate(inputs, now: start + .seconds(91)).ready)

        inputs.consumers = [consumer(assigned: 12, lag: 500, lastBatchAt: start + .seconds(90))]
        #expect(rules.evaluate(inputs, now: start + .seconds(91)).ready)
    }

    @Test func aConsumerWithoutPartitionsIsNotReady() {
        var inputs = ReadinessRules.Inputs(postgres: answered(at: start), kafka: answered(at: start))
        inputs.consumers = [consumer(assigned: 0, lag: 0, lastBatchAt: nil)]
        #expect(
            failing("partitions", in: rules.evaluate(inputs, now: start)) == "no partitions assigned to this process"
        )
    }

    @Test func aPublishingRelayThatStopsAcknowledgingIsStuck_aStandbyIsNot() {
        var inputs = ReadinessRules.Inputs(postgres: answered(at: start), kafka: answered(at: start))
        var relay = OutboxRelay.Snapshot()
        relay.isLeader = true
        inputs.relay = relay
        inputs.outbox = OutboxBacklog(messages: 0, oldestAgeSeconds: nil, slotActive: true, replyAgeSeconds: 120)
        #expect(
            failing("relay_progress", in: rules.evaluate(inputs, now: start))?.contains(
                "nothing acknowledged for 120 s"
            )
                == true
        )
        inputs.outbox = OutboxBacklog(messages: 3, oldestAgeSeconds: 120)  // legacy rows not draining
        #expect(failing("relay_progress", in: rules.evaluate(inputs, now: start)) != nil)
        relay.isLeader = false
        inputs.relay = relay
        #expect(rules.evaluate(inputs, now: start).ready)
    }

    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("0.0.0.0:0", "0.0.0.0", 0), ("[::1]:80", "::1", 80),
        ("localhost:65535", "localhost", 65535),
    ])
    func addressesParse(_ text: String, _ host: String, _ port: Int) {
        #expect(HTTPAddress(parsing: text) == HTTPAddress(host: host, port: port))
    }

    @Test(arguments: ["9464", ":9464", "host:", "host:65536", "host:-1", "::1:80", "a b:1", "[::1]"])
    func badAddressesDoNot(_ text: String) {
        #expect(HTTPAddress(parsing: text) == nil)
    }
}
