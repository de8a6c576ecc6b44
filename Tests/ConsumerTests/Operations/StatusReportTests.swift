import Consumer
import Foundation
import Operations
import Projections
import Testing

extension PipelineTests {
    @Suite(
        "attendance status: lag, outbox, rewards, DLQ, last errors; which side is unreachable",
        .timeLimit(.minutes(5))
    )
    struct Status {
        @Test func theReportShowsLagThenCatchUpDeadLettersRewardsAndComponents() async throws {
            try await Pipeline.with { pipeline in
                try await pipeline.blocking { try pipeline.applyEvent(EventFixture(id: 92).json) }
                let topic = pipeline.topics.checkInRequests
                let requests = (0..<6).map {
                    CheckInFixture(
                        eventID: 92,
                        memberID: Int64(7_000 + $0),
                        requestID: "st-\($0)",
                        requestedAt: "2026-03-01T09:00:00+09:00"
                    )
                }
                let produced = try await pipeline.blocking {
                    try pipeline.produce(
                        requests.map { $0.message() } + [
                            OutgoingMessage(topic: topic, key: "92:1".bytes, value: "nope".bytes)
                        ]
                    )
                }
                let collect = { @Sendable () throws -> StatusReport in
                    try StatusReport.collect(
                        postgres: pipeline.postgres,
                        schema: pipeline.schema,
                        groupID: "ops-status",
                        kafka: pipeline.kafka,
                        logger: pipeline.logger
                    )
                }
                // Nothing consumed yet: all of it is lag, and the oldest message has an age.
                let waiting = try await pipeline.blocking { try collect() }
                #expect(waiting.totalLag == 7)
                #expect(waiting.partitions.count == 12)
                #expect(waiting.partitions.filter { $0.lag > 0 }.allSatisfy { ($0.oldestAgeSeconds ?? -1) >= 0 })
                #expect(waiting.partitions.allSatisfy { $0.storedOffset == nil })

                let consumer = pipeline.checkInConsumer(group: "ops-status")
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
                let report = try await withServices([consumer, surface.sampler]) {
                    try await pipeline.blocking {
                        try pipeline.waitForLogRows(6, consumers: [consumer])
                        try pipeline.waitUntil("a consumer heartbeat is stored") {
                            try !ComponentHeartbeat.loadAll(on: pipeline.connection).isEmpty
                        }
                        var report = try collect()
                        try pipeline.waitUntil("status shows no lag") {
                            report = try collect()
                            return report.totalLag == 0
                        }
                        return report
                    }
                }
                let marks = Pipeline.highWatermarks(produced)
                for partition in report.partitions {
                    #expect(partition.storedOffset == marks[partition.partition], "partition \(partition.partition)")
                    #expect(partition.oldestAgeSeconds == 0)
                }
                // No relay ran: the reward commands and facts wait in the slot, which nobody streams.
                #expect(report.outbox.slotExists && !report.outbox.slotActive)
                #expect(report.outbox.retainedBytes > 0)
                #expect(try await pipeline.blocking { try pipeline.outboxCount() } > 0)
                #expect(report.rewards.pending == 6)
                #expect(
                    report.deadLetters.map(\.topic) == [
                        pipeline.topics.checkInRequestsDLQ, pipeline.topics.rewardCommandsDLQ,
                    ]
                )
                #expect(report.deadLetters.map(\.messages) == [0, 0])  // the DLQ copy is in the outbox, unpublished
                #expect(report.components.map(\.component) == ["consumer"])

                let text = report.text()
                #expect(text.contains("lag 0"))
                #expect(text.contains("rewards    pending 6 | retrying 0 | parked 0 | failed 0"))
                let json = try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any]
                #expect((json?["partitions"] as? [Any])?.count == 12)
                #expect((json?["rewards"] as? [String: Int])?["pending"] == 6)
            }
        }

        @Test func unreachableKafkaOrPostgresIsNamed() async throws {
            try await Pipeline.with { pipeline in
                let error = try await pipeline.blocking {
                    #expect(throws: StatusReport.Unreachable.self) {
                        try StatusReport.collect(
                            postgres: try PostgresConfiguration(
                                "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
                            ),
                            schema: pipeline.schema,
                            groupID: "g",
                            kafka: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"),
                            timeout: .seconds(1),
                            logger: TestSupport.logger(level: .critical)
                        )
                    }
                }
                #expect(error?.postgres != nil && error?.kafka != nil)
                #expect(error?.description.contains("cannot reach Postgres") == true)
                #expect(error?.description.contains("cannot reach Kafka") == true)
                #expect(error?.description.contains("nobody") == false)

                let kafkaOnly = try await pipeline.blocking {
                    #expect(throws: StatusReport.Unreachable.self) {
                        try StatusReport.collect(
                            postgres: pipeline.postgres,
                            schema: pipeline.schema,
                            groupID: "g",
                            kafka: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"),
                            timeout: .seconds(1),
                            logger: TestSupport.logger(level: .critical)
                        )
                    }
                }
                #expect(kafkaOnly?.postgres == nil && kafkaOnly?.kafka != nil)
            }
        }
    }
}
