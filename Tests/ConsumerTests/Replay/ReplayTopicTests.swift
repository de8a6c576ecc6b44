import Consumer
import Domain
import Foundation
import Projections
import Testing

extension PipelineTests {
    /// `replay topic`: the input topic re-consumed into a separate schema by a separate group, without side effects.
    @Suite("Replay: the input topic into a separate schema", .timeLimit(.minutes(5)))
    struct ReplayTopic {
        static let event = EventFixture(
            id: 61,
            bonusRules: """
                [{"id": "streak2", "trigger": "STREAK", "count": 2, "repeat": true,
                  "reward": {"type": "COUPON", "coupon_group_id": "CG-2"}}]
                """
        )

        /// Day 1 and 2 requests at CreateTime `first`, day 3 and 4 at `second` (a day later).
        static func requests(first: Int64, second: Int64) -> [CheckInFixture] {
            var requests: [CheckInFixture] = []
            for day in 1...4 {
                for member in Int64(1)...5 where (member + Int64(day)) % 4 != 0 {
                    requests.append(
                        CheckInFixture(
                            eventID: 61,
                            memberID: member,
                            requestID: "t-\(member)-\(day)",
                            requestedAt: "2026-05-0\(day)T10:00:00+09:00",
                            timestampMilliseconds: day <= 2 ? first : second
                        )
                    )
                }
            }
            return requests
        }

        /// The replay schema: migrated, with the live schema's events copied in.
        static func replaySchema(_ pipeline: Pipeline) throws -> String {
            let schema = pipeline.schema + "_replay"
            let admin = try PostgresConnection.connect(pipeline.postgres, applicationName: "attendance-tests")
            defer { admin.close() }
            try MigrationRunner(schema: schema).migrate(
                admin,
                migrations: Migration.load(from: Pipeline.repositoryRoot.appendingPathComponent("migrations"))
            )
            #expect(try ReplaySchema.copyEvents(from: pipeline.schema, to: schema, on: admin) == 1)
            return schema
        }

        static func dropSchema(_ schema: String, _ pipeline: Pipeline) {
            guard let admin = try? PostgresConnection.connect(pipeline.postgres) else { return }
            _ = try? admin.execute("DROP SCHEMA IF EXISTS \(PostgresConnection.quoteIdentifier(schema)) CASCADE")
            admin.close()
        }

        func replayConsumer(
            _ pipeline: Pipeline,
            schema: String,
            from start: CheckInConsumer.Configuration.StartPosition
        )
            -> CheckInConsumer
        {
            var configuration = CheckInConsumer.Configuration(
                kafka: pipeline.kafka,
                groupID: "replay-\(schema)",
                postgres: pipeline.postgres,
                schema: schema
            )
            configuration.emitsSideEffects = false
            configuration.startPosition = start
            return CheckInConsumer(configuration: configuration, logger: pipeline.logger)
        }

        static let historyByRequest = """
            SELECT l.request_id, to_char(h.attendance_date, 'YYYY-MM-DD'), h.total_attendance_count::text,
                   h.streak_attendance_count::text
            FROM %@.event_attendance_history h JOIN %@.event_attendance_log l ON l.id = h.attendance_log_id
            ORDER BY l.request_id
            """

        @Test func aReplayFromTheBeginningRebuildsTheSameHistoryAndEmitsNothing() async throws {
            try await Pipeline.with { pipeline in
                let now = Int64(Date().timeIntervalSince1970 * 1_000)
                let requests = Self.requests(first: now - 86_400_000, second: now)
                try await pipeline.blocking {
                    try pipeline.applyEvent(Self.event.json)
                    _ = try pipeline.produce(requests.map { $0.message() })
                }
                // The live pipeline, with its side effects.
                let live = pipeline.checkInConsumer(group: "live")
                let relay = pipeline.relay()
                let published = try await withServices([live, relay]) {
                    try await pipeline.blocking {
                        try pipeline.waitForLogRows(requests.count, consumers: [live])
                        try pipeline.waitUntil("the relay drained the outbox") {
                            try pipeline.outboxPublished() && relay.statistics.published > requests.count
                        }
                        return relay.statistics.published
                    }
                }
                let schema = try await pipeline.blocking { try Self.replaySchema(pipeline) }
                defer { Self.dropSchema(schema, pipeline) }

                let replay = replayConsumer(pipeline, schema: schema, from: .earliest)
                try await withServices([replay]) {
                    try await pipeline.blocking {
                        // 60 s: a fresh group's first join on the mock broker has taken over 30 s on a loaded machine.
                        try pipeline.waitUntil(
                            "the replay logged every request",
                            timeout: .seconds(60),
                            detail: { Pipeline.describe([replay]) }
                        ) {
                            try pipeline.count("\(schema).event_attendance_log") == requests.count
                        }
                    }
                }
                try await pipeline.blocking {
                    let quoted = PostgresConnection.quoteIdentifier(schema)
                    let liveQuoted = PostgresConnection.quoteIdentifier(pipeline.schema)
                    let replayed = try pipeline.rows(
                        Self.historyByRequest.replacingOccurrences(of: "%@", with: quoted)
                    )
                    let original = try pipeline.rows(
                        Self.historyByRequest.replacingOccurrences(of: "%@", with: liveQuoted)
                    )
                    #expect(replayed.count == requests.count)
                    #expect(replayed == original)
                    // No side effects: no outbox rows in the replay schema, nothing new on any output topic.
                    #expect(try pipeline.count("\(quoted).outbox") == 0)
                    #expect(
                        try pipeline.count("\(quoted).event_attendance_reward_log")
                            == pipeline.count("event_attendance_reward_log")
                    )
                    let outputs = [
                        pipeline.topics.attendanceEvents, pipeline.topics.rewardCommands,
                        pipeline.topics.checkInRequestsDLQ,
                    ]
                    let reader = try KafkaConsumer(
                        configuration: pipeline.kafka,
                        groupID: TestSupport.uniqueName("outputs"),
                        rebalanceListener: nil,
                        logger: pipeline.logger
                    )
                    defer { reader.close() }
                    try reader.subscribe(outputs)
                    // Everything the live pipeline published, then nothing more.
                    let everything = try TestSupport.consume(reader, count: published, timeout: .seconds(60))
                    #expect(everything.count == published)
                    #expect(try TestSupport.consume(reader, count: 1, timeout: .seconds(3)).isEmpty)
                    // The live group's stored offsets are untouched by the replay group.
                    #expect(try pipeline.storedOffsets(group: "replay-\(schema)").isEmpty)
                }
            }
        }

        /// `--from-offset`: each partition starts at that offset. (`--from-timestamp` resolves offsets with a
        /// ListOffsets-by-time request, which librdkafka's mock broker does not implement: it answers -1 for every
        /// timestamp, so that path is not exercised here.)
        @Test func aReplayFromAnOffsetSkipsEarlierMessagesOfEveryPartition() async throws {
            try await Pipeline.with { pipeline in
                let now = Int64(Date().timeIntervalSince1970 * 1_000)
                let requests = Self.requests(first: now, second: now)
                let reports = try await pipeline.blocking {
                    try pipeline.applyEvent(Self.event.json)
                    return try pipeline.produce(requests.map { $0.message() })
                }
                let expected = zip(requests, reports).filter { $0.1.offset >= 2 }.map(\.0.requestID).sorted()
                #expect(!expected.isEmpty && expected.count < requests.count)
                let schema = try await pipeline.blocking { try Self.replaySchema(pipeline) }
                defer { Self.dropSchema(schema, pipeline) }
                let replay = replayConsumer(pipeline, schema: schema, from: .offset(2))
                try await withServices([replay]) {
                    try await pipeline.blocking {
                        // 60 s: a fresh group's first join on the mock broker has taken over 30 s on a loaded machine.
                        try pipeline.waitUntil(
                            "the replay logged the later requests",
                            timeout: .seconds(60),
                            detail: { Pipeline.describe([replay]) }
                        ) {
                            try pipeline.count("\(schema).event_attendance_log") >= expected.count
                        }
                        Thread.sleep(forTimeInterval: 1)
                    }
                }
                try await pipeline.blocking {
                    let quoted = PostgresConnection.quoteIdentifier(schema)
                    let logged = try pipeline.rows("SELECT request_id FROM \(quoted).event_attendance_log ORDER BY 1")
                    #expect(logged.map { $0[0] ?? "" } == expected)
                    #expect(try pipeline.count("\(quoted).outbox") == 0)
                }
            }
        }
    }
}
