import Consumer
import Domain
import Foundation
import Operations
import Projections
import Testing

extension PipelineTests {
    @Suite("metrics and health over HTTP after real traffic", .timeLimit(.minutes(5)))
    struct OperationsEndpoint {
        static let event = EventFixture(id: 91)

        @Test func aScrapeAfterTrafficShowsEveryFamilyWithItsTypeAndLabels_andTheValuesMoved() async throws {
            let registry = TestMetrics.registry
            try await Pipeline.with { pipeline in
                try await pipeline.blocking { try pipeline.applyEvent(Self.event.json) }
                let group = "ops-scrape"
                // Made after the bootstrap, so their metrics are the registry's.
                let consumer = pipeline.checkInConsumer(group: group)
                let relay = pipeline.relay()
                var sampler = OperationsSampler.Configuration(
                    postgres: pipeline.postgres,
                    schema: pipeline.schema,
                    kafka: pipeline.kafka
                )
                sampler.interval = .milliseconds(200)
                let surface = OperationsSurface(
                    address: HTTPAddress(host: "127.0.0.1", port: 0),
                    registry: registry,
                    sampler: sampler,
                    consumers: [consumer],
                    relay: relay,
                    logger: pipeline.logger
                )
                let requests = (0..<20).map { index in
                    CheckInFixture(
                        eventID: 91,
                        memberID: Int64(5_000 + index),
                        requestID: "ops-\(index)",
                        requestedAt: "2026-03-01T09:00:00+09:00"
                    )
                }
                let again = CheckInFixture(
                    eventID: 91,
                    memberID: 5_000,
                    requestID: "ops-again",
                    requestedAt: "2026-03-01T10:00:00+09:00"
                )
                let duplicate = requests[1]
                let malformed = OutgoingMessage(
                    topic: pipeline.topics.checkInRequests,
                    key: "91:1".bytes,
                    value: "{not json".bytes
                )

                try await withServices([consumer, relay, surface.sampler, surface.server]) {
                    let base = "http://127.0.0.1:\(try await surface.server.listeningPort())"
                    let before = Scrape(try await HTTPAnswer.get(base + "/metrics").body)
                    try await pipeline.blocking {
                        _ = try pipeline.produce(
                            requests.map { $0.message() } + [again.message(), duplicate.message(), malformed]
                        )
                        try pipeline.waitForLogRows(21, consumers: [consumer])
                        try pipeline.waitUntil("the relay published the outbox") { try pipeline.outboxPublished() }
                    }
                    // Let the sampler see the final state (lag 0, outbox empty, the dead letter).
                    var after = Scrape("")
                    let deadline = ContinuousClock.now + .seconds(30)
                    repeat {
                        try await Task.sleep(for: .milliseconds(200))
                        after = Scrape(try await HTTPAnswer.get(base + "/metrics").body)
                    } while ContinuousClock.now < deadline
                        && ((after.value("attendance_dlq_messages", ["topic": pipeline.topics.checkInRequestsDLQ]) ?? 0)
                            < 1
                            || (after.value("attendance_outbox_backlog_messages") ?? 1) > 0
                            || (0..<12).contains {
                                (after.value("attendance_consumer_lag_messages", ["partition": "\($0)"]) ?? 1) > 0
                            })

                    let scrape = try await HTTPAnswer.get(base + "/metrics")
                    #expect(scrape.status == 200)
                    #expect(scrape.contentType?.hasPrefix("text/plain; version=0.0.4") == true)

                    // Families: type and label names.
                    let expected: [(String, String, Set<String>)] = [
                        ("attendance_checkin_requests_total", "counter", ["outcome", "fail_reason"]),
                        ("attendance_checkin_batch_size_messages", "histogram", ["le"]),
                        ("attendance_checkin_batch_duration_seconds", "histogram", ["le"]),
                        ("attendance_checkin_end_to_end_latency_seconds", "histogram", ["le"]),
                        ("attendance_checkin_batch_retries_total", "counter", []),
                        ("attendance_checkin_rewards_earned_total", "counter", []),
                        ("attendance_consumer_lag_messages", "gauge", ["topic", "partition"]),
                        ("attendance_consumer_oldest_unprocessed_age_seconds", "gauge", ["topic", "partition"]),
                        ("attendance_outbox_published_total", "counter", []),
                        ("attendance_outbox_delivery_failures_total", "counter", []),
                        ("attendance_outbox_backlog_messages", "gauge", []),
                        ("attendance_outbox_oldest_age_seconds", "gauge", []),
                        ("attendance_outbox_relay_leader", "gauge", []),
                        ("attendance_outbox_slot_retained_wal_bytes", "gauge", []),
                        ("attendance_outbox_slot_active", "gauge", []),
                        ("attendance_outbox_relay_reply_age_seconds", "gauge", []),
                        ("attendance_dlq_messages", "gauge", ["topic"]),
                        ("attendance_dependency_up", "gauge", ["dependency"]),
                    ]
                    for (name, type, labels) in expected {
                        #expect(after.types[name] == type, "\(name)")
                        #expect(
                            after.labelNames(name == "attendance_checkin_batch_size_messages" ? name + "_bucket" : name)
                                .isSuperset(of: labels.subtracting(["le"])),
                            "\(name)"
                        )
                    }
                    for name in [
                        "attendance_checkin_batch_size_messages", "attendance_checkin_batch_duration_seconds",
                        "attendance_checkin_end_to_end_latency_seconds",
                    ] {
                        #expect(after.labelNames(name + "_bucket").contains("le"), "\(name)")
                    }

                    // Values moved by this test's traffic (the registry is the process's, so compare with before).
                    func delta(_ name: String, _ labels: [String: String] = [:]) -> Double {
                        (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0)
                    }
                    #expect(
                        delta("attendance_checkin_requests_total", ["outcome": "check_in", "fail_reason": "none"]) >= 20
                    )
                    #expect(
                        delta(
                            "attendance_checkin_requests_total",
                            ["outcome": "fail", "fail_reason": "ALREADY_CHECKED_IN"]
                        ) >= 1
                    )
                    #expect(delta("attendance_checkin_requests_total", ["outcome": "duplicate"]) >= 1)
                    #expect(delta("attendance_checkin_requests_total", ["outcome": "dead_lettered"]) >= 1)
                    #expect(delta("attendance_checkin_batch_size_messages_count") >= 1)
                    #expect(delta("attendance_checkin_batch_size_messages_sum") >= 23)
                    #expect(delta("attendance_checkin_batch_duration_seconds_count") >= 1)
                    #expect(delta("attendance_checkin_end_to_end_latency_seconds_count") >= 23)
                    #expect(delta("attendance_checkin_rewards_earned_total") >= 20)
                    #expect(delta("attendance_outbox_published_total") >= 20)
                    #expect(after.value("attendance_outbox_relay_leader") == 1)
                    #expect(after.value("attendance_outbox_backlog_messages") == 0)
                    #expect(after.value("attendance_outbox_slot_active") == 1)
                    #expect(after.value("attendance_dlq_messages", ["topic": pipeline.topics.checkInRequestsDLQ]) == 1)
                    #expect(after.value("attendance_dependency_up", ["dependency": "postgres"]) == 1)
                    #expect(after.value("attendance_dependency_up", ["dependency": "kafka"]) == 1)
                    for partition in 0..<12 {
                        let labels = ["topic": pipeline.topics.checkInRequests, "partition": "\(partition)"]
                        #expect(after.value("attendance_consumer_lag_messages", labels) == 0)
                        #expect(after.value("attendance_consumer_oldest_unprocessed_age_seconds", labels) == 0)
                    }

                    // Health: live, ready, and why, in JSON.
                    let live = try await HTTPAnswer.get(base + "/health/live")
                    #expect(live.status == 200 && live.json["live"] as? Bool == true)
                    let ready = try await HTTPAnswer.get(base + "/health/ready")
                    #expect(ready.status == 200, "\(ready.body)")
                    let checks = (ready.json["checks"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                    #expect(checks == ["postgres", "kafka", "partitions", "consumer_progress", "relay_progress"])
                }
                // The heartbeat rows another process's `status` reads.
                let beats = try await pipeline.blocking { try ComponentHeartbeat.loadAll(on: pipeline.connection) }
                #expect(Set(beats.map(\.component)) == ["consumer", "relay"])
            }
        }

        @Test func readinessIsNotReadyWithReasonsUntilThePartitionsAreAssigned_andWhenPostgresIsUnreachable()
            async throws
        {
            try await Pipeline.with { pipeline in
                let consumer = pipeline.checkInConsumer(group: "ops-ready")
                var sampler = OperationsSampler.Configuration(
                    postgres: pipeline.postgres,
                    schema: pipeline.schema,
                    kafka: pipeline.kafka
                )
                sampler.interval = .milliseconds(200)
                let surface = OperationsSurface(
                    address: HTTPAddress(host: "127.0.0.1", port: 0),
                    registry: TestMetrics.registry,
                    sampler: sampler,
                    consumers: [consumer],
                    logger: pipeline.logger
                )
                // The server and sampler without the consumer: connections fine, but no partitions.
                try await withServices([surface.sampler, surface.server]) {
                    let base = "http://127.0.0.1:\(try await surface.server.listeningPort())"
                    let notReady = try await Self.waitForReadiness(base, status: 503) { answer in
                        Self.failed(answer).contains("partitions") && !Self.failed(answer).contains("postgres")
                    }
                    #expect(notReady.json["ready"] as? Bool == false)
                    // Now the consumer joins: ready.
                    try await withServices([consumer]) {
                        _ = try await Self.waitForReadiness(base, status: 200) { _ in true }
                    }
                }

                // Postgres unreachable: 503 naming it.
                var broken = sampler
                broken.postgres = try PostgresConfiguration("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
                let unreachable = OperationsSurface(
                    address: HTTPAddress(host: "127.0.0.1", port: 0),
                    registry: TestMetrics.registry,
                    sampler: broken,
                    logger: pipeline.logger
                )
                try await withServices([unreachable.sampler, unreachable.server]) {
                    let base = "http://127.0.0.1:\(try await unreachable.server.listeningPort())"
                    let answer = try await Self.waitForReadiness(base, status: 503) { Self.failed($0) == ["postgres"] }
                    let detail = (answer.json["checks"] as? [[String: Any]])?.first {
                        $0["name"] as? String == "postgres"
                    }?["detail"]
                    #expect((detail as? String)?.contains("unreachable") == true, "\(answer.body)")
                    #expect(!answer.body.contains("nobody"), "no connection string in the health body")
                }
            }
        }

        static func failed(_ answer: HTTPAnswer) -> [String] {
            (answer.json["checks"] as? [[String: Any]] ?? []).filter { $0["ok"] as? Bool == false }.compactMap {
                $0["name"] as? String
            }
        }

        static func waitForReadiness(
            _ base: String,
            status: Int,
            timeout: Duration = .seconds(30),
            _ matches: (HTTPAnswer) -> Bool
        ) async throws -> HTTPAnswer {
            let deadline = ContinuousClock.now + timeout
            var last: HTTPAnswer?
            while ContinuousClock.now < deadline {
                let answer = try await HTTPAnswer.get(base + "/health/ready")
                if answer.status == status, matches(answer) { return answer }
                last = answer
                try await Task.sleep(for: .milliseconds(100))
            }
            throw PipelineTestError(
                description:
                    "readiness never became \(status) as expected; last: \(last?.status ?? 0) \(last?.body ?? "")"
            )
        }
    }
}
