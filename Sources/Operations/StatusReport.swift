import Consumer
import Foundation
import Logging
import Projections

/// What `attendance status` shows: one screen for an operator, or one JSON object.
public struct StatusReport: Sendable, Codable {
    public var generatedAt: Date
    public var schema: String
    public var groupID: String
    public var partitions: [PartitionBacklog]
    public var outbox: OutboxBacklog
    public var rewards: RewardStateCounts
    public var deadLetters: [DeadLetterCount]
    /// Component instances that reported in the last day, most recent first (`component_heartbeat`).
    public var components: [ComponentHeartbeat]

    enum CodingKeys: String, CodingKey {
        case schema, partitions, outbox, rewards, components
        case generatedAt = "generated_at"
        case groupID = "group_id"
        case deadLetters = "dead_letters"
    }

    public var totalLag: Int64 { partitions.reduce(0) { $0 + $1.lag } }
    public var oldestUnprocessedAgeSeconds: Double? { partitions.compactMap(\.oldestAgeSeconds).max() }

    /// Which side could not be reached; the message names it (exit code 1).
    public struct Unreachable: Error, CustomStringConvertible {
        public var postgres: String?
        public var kafka: String?

        public var description: String {
            [postgres.map { "cannot reach Postgres: \($0)" }, kafka.map { "cannot reach Kafka: \($0)" }]
                .compactMap { $0 }.joined(separator: "\n")
        }
    }

    /// Reads Postgres, then Kafka. Blocking: run it on a dedicated thread.
    public static func collect(
        postgres: PostgresConfiguration,
        schema: String,
        groupID: String,
        kafka: KafkaConfiguration,
        topics: TopicNames = .standard,
        timeout: Duration = .seconds(5),
        logger: Logger
    ) throws -> StatusReport {
        var unreachable = Unreachable()
        var stored: [Int32: Int64] = [:]
        var outbox = OutboxBacklog(messages: 0, oldestAgeSeconds: nil)
        var rewards = RewardStateCounts()
        var components: [ComponentHeartbeat] = []
        do {
            let db = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-status",
                searchPath: schema
            )
            defer { db.close() }
            stored = try PartitionBacklog.storedOffsets(groupID: groupID, topic: topics.checkInRequests, on: db)
            outbox = try OutboxBacklog.load(on: db, schema: schema)
            rewards = try RewardStateCounts.load(on: db)
            let dayAgo = Date().addingTimeInterval(-86_400)
            components = try ComponentHeartbeat.loadAll(on: db).filter { $0.heartbeatAt > dayAgo }
        } catch {
            unreachable.postgres = "\(error)"
        }
        var partitions: [PartitionBacklog] = []
        var deadLetters: [DeadLetterCount] = []
        do {
            let probe = try KafkaTopicProbe(configuration: kafka, logger: logger)
            guard try probe.partitionCount(topic: topics.checkInRequests, timeout: timeout) != nil else {
                throw StatusTopicMissing(topic: topics.checkInRequests)
            }
            if unreachable.postgres == nil {
                partitions = try PartitionBacklog.collect(
                    topic: topics.checkInRequests,
                    groupID: groupID,
                    storedOffsets: stored,
                    probe: probe,
                    timeout: timeout
                )
            }
            for topic in [topics.checkInRequestsDLQ, topics.rewardCommandsDLQ] {
                deadLetters.append(try DeadLetterCount.collect(topic: topic, probe: probe, timeout: timeout))
            }
        } catch {
            unreachable.kafka = "\(error)"
        }
        guard unreachable.postgres == nil, unreachable.kafka == nil else { throw unreachable }
        return StatusReport(
            generatedAt: Date(),
            schema: schema,
            groupID: groupID,
            partitions: partitions,
            outbox: outbox,
            rewards: rewards,
            deadLetters: deadLetters,
            components: components
        )
    }
}

struct StatusTopicMissing: Error, CustomStringConvertible {
    let topic: String
    var description: String { "topic \(topic) does not exist (run `attendance topics apply`)" }
}
