import Foundation
import Logging
import Projections

/// The Kafka side of the settler: reads reward commands in batches and gives each its first attempt. Commands of
/// one member (one Kafka key) go in order: the n-th command of a key in a batch is settled in round n. The
/// offsets are committed once the batch is durably recorded; a redelivered command finds its reward settled or
/// leased and changes nothing.
///
/// The Kafka consumer lives on its own thread (the task prefers that executor); the HTTP fan-out runs on the
/// shared pool and the SQL on the lane's thread.
struct RewardCommandIntake: Sendable {
    let configuration: RewardSettler.Configuration
    let engine: RewardSettlementEngine
    let statistics: RewardSettlerStatistics
    let stop: StopSignal
    let logger: Logger

    func run() async throws {
        let kafkaThread = ThreadExecutor(name: "reward-intake")
        defer { kafkaThread.shutdown() }
        let lane = RewardDatabaseLane(
            name: "reward-intake-db",
            databaseURL: configuration.databaseURL,
            schema: configuration.schema
        )
        defer { lane.shutdown() }
        try await withTaskExecutorPreference(kafkaThread) {
            let consumer = try KafkaConsumer(
                configuration: configuration.kafka,
                groupID: configuration.groupID,
                rebalanceListener: nil,
                logger: logger
            )
            defer { consumer.close() }
            try consumer.subscribe([configuration.topics.rewardCommands])
            logger.info("reward settler consuming", metadata: ["group": "\(configuration.groupID)"])
            while !stop.isStopped, !Task.isCancelled {
                let messages = try consumer.pollBatch(
                    maxMessages: configuration.batchSize,
                    maxWait: configuration.batchWait
                )
                guard !messages.isEmpty else { continue }
                try await process(messages, lane: lane)
                var next: [TopicPartition: Int64] = [:]
                for message in messages {
                    next[message.topicPartition] = max(next[message.topicPartition] ?? 0, message.offset + 1)
                }
                do {
                    try consumer.commit(next, asynchronously: true)
                } catch {
                    // Redelivery is harmless (guarded transitions); the next commit covers these offsets.
                    logger.debug("reward offsets not committed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func process(_ messages: [KafkaMessage], lane: RewardDatabaseLane) async throws {
        var rounds: [[String]] = []
        var seenPerKafkaKey: [[UInt8]: Int] = [:]
        var seenKeys: Set<String> = []
        var malformed: [OutboxMessage] = []
        for message in messages {
            guard let key = Self.idempotencyKey(message.value) else {
                malformed.append(
                    OutboxMessage(
                        topic: configuration.topics.rewardCommandsDLQ,
                        key: message.key,
                        payload: message.value,
                        headers: message.headers.map { MessageHeader(name: $0.key, value: $0.value) } + [
                            MessageHeader(name: "dlq.reason", value: Array("not a reward command".utf8)),
                            MessageHeader(
                                name: "dlq.source",
                                value: Array("\(message.topic)/\(message.partition)/\(message.offset)".utf8)
                            ),
                        ]
                    )
                )
                continue
            }
            // The same command twice in a batch (a relay republished it) is one reward.
            guard seenKeys.insert(key).inserted else { continue }
            let round = seenPerKafkaKey[message.key ?? [], default: 0]
            seenPerKafkaKey[message.key ?? []] = round + 1
            if round == rounds.count { rounds.append([]) }
            rounds[round].append(key)
        }
        statistics.update {
            $0.commands += messages.count
            $0.malformed += malformed.count
        }
        if !malformed.isEmpty {
            let dead = malformed
            try await lane.retrying("dead-letter", stop: stop, statistics: statistics, logger: logger) { db in
                try db.transaction { try OutboxStore.append(dead, on: $0) }
            }
        }
        for round in rounds { try await engine.settle(round, lane: lane, stop: stop) }
    }

    /// The command's idempotency key, if the value is a reward command (schema in `topics/`).
    static func idempotencyKey(_ value: [UInt8]?) -> String? {
        guard let value, let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any],
            let key = object["idempotency_key"] as? String, key.hasPrefix("att:"), key.utf8.count <= 255
        else { return nil }
        return key
    }
}
