import Domain
import Foundation
import Logging
import Projections
import Synchronization

/// The Kafka side of the settler: gives each reward command its first attempt, in three loops that overlap so the
/// API calls never wait for the database or for Kafka:
///
/// - the **poller** (on its own thread, which the Kafka consumer needs) reads commands ahead into a
///   ``RewardIntakeQueue`` while fewer than `readAhead` are unfinished (else it pauses its partitions and keeps
///   polling for rebalances), and commits each partition's offset up to its first unfinished command;
/// - the **dispatcher** claims ready commands (the oldest waiting one of each member whose previous command has its
///   answer) in batches, one claim transaction at a time, and keeps up to `maxInFlight` calls running;
/// - the **recorder** writes every finished call's attempt and transition in one transaction per batch of
///   answers (whatever arrived while the previous one committed).
///
/// One member's commands are therefore attempted in order, members concurrently, and a redelivered command finds
/// its reward settled or leased and changes nothing.
struct RewardCommandIntake: Sendable {
    let configuration: RewardSettler.Configuration
    let engine: RewardSettlementEngine
    let statistics: RewardSettlerStatistics
    let stop: StopSignal
    let logger: Logger

    /// State shared by the poller, the dispatcher, the calls and the recorder.
    private final class Flow: Sendable {
        typealias State = RewardIntakeFlow<
            (reward: ClaimedReward, item: RewardIntakeQueue.Item),
            (outcome: RewardSettlementEngine.Outcome, item: RewardIntakeQueue.Item)
        >

        let state = Mutex(State())
        let queue = RewardIntakeQueue()
        let dispatcherBell = Doorbell()
        let recorderBell = Doorbell()

        func ringAll() {
            dispatcherBell.ring()
            recorderBell.ring()
        }
    }

    func run() async throws {
        let kafkaThread = ThreadExecutor(name: "reward-intake")
        defer { kafkaThread.shutdown() }
        let claimLane = DatabaseLane.settlement("reward-claim-db", configuration: configuration)
        defer { claimLane.shutdown() }
        let recordLane = DatabaseLane.settlement("reward-record-db", configuration: configuration)
        defer { recordLane.shutdown() }
        let flow = Flow()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await withTaskExecutorPreference(kafkaThread) { try await poll(flow, lane: claimLane) }
            }
            group.addTask {
                defer {
                    flow.state.withLock { $0.dispatcherFinished() }
                    flow.recorderBell.ring()
                }
                try await dispatch(flow, lane: claimLane)
            }
            group.addTask {
                defer { flow.state.withLock { $0.recorderFinished() } }
                try await record(flow, lane: recordLane)
            }
            // The first failure cancels the other loops; unrecorded claims keep their leases and are re-driven.
            try await group.waitForAll()
        }
    }

    // MARK: Poller

    private func poll(_ flow: Flow, lane: DatabaseLane) async throws {
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka,
            groupID: configuration.groupID,
            rebalanceListener: nil,
            logger: logger
        )
        defer { consumer.close() }
        try consumer.subscribe([configuration.topics.rewardCommands])
        logger.info("reward settler consuming", metadata: ["group": "\(configuration.groupID)"])
        var readAhead = RewardIntakeReadAhead(limit: configuration.readAhead)
        let clock = ContinuousClock()
        var lastCommit = clock.now
        while !stop.isStopped, !Task.isCancelled {
            let (full, action) = readAhead.beforePoll(buffered: flow.queue.buffered)
            switch action {
            case .pause:
                let assigned = (try? consumer.assignment()) ?? []
                try? consumer.pause(assigned)
                readAhead.paused(assigned)
            case .resume(let partitions):
                try? consumer.resume(partitions)
            case nil:
                break
            }
            let messages = try consumer.pollBatch(
                maxMessages: configuration.batchSize,
                maxWait: full ? .milliseconds(10) : configuration.batchWait
            )
            if !messages.isEmpty { try await accept(messages, into: flow, lane: lane) }
            // Also a safety net: no loop can sleep through work for longer than one poll.
            flow.ringAll()
            if clock.now - lastCommit >= .milliseconds(100) {
                commit(flow.queue.offsetsToCommit(), consumer, asynchronously: true)
                lastCommit = clock.now
            }
        }
        // Stopping: the dispatcher finishes the claimed commands, the recorder records them; then the final commit.
        flow.ringAll()
        while !flow.state.withLock({ $0.recorderDone }) {
            try await Task.sleep(for: .milliseconds(20))
            commit(flow.queue.offsetsToCommit(), consumer, asynchronously: true)
        }
        commit(flow.queue.offsetsToCommit(), consumer, asynchronously: false)
    }

    private func commit(_ offsets: [TopicPartition: Int64], _ consumer: KafkaConsumer, asynchronously: Bool) {
        guard !offsets.isEmpty else { return }
        do {
            try consumer.commit(offsets, asynchronously: asynchronously)
        } catch {
            // Redelivery is harmless (guarded transitions); the next commit covers these offsets.
            logger.debug("reward offsets not committed", metadata: ["error": "\(error)"])
        }
    }

    private func accept(_ messages: [KafkaMessage], into flow: Flow, lane: DatabaseLane) async throws {
        var items: [RewardIntakeQueue.Item] = []
        items.reserveCapacity(messages.count)
        var malformed: [KafkaMessage] = []
        for message in messages {
            guard let key = Self.idempotencyKey(message.value) else {
                malformed.append(message)
                continue
            }
            items.append(
                RewardIntakeQueue.Item(
                    idempotencyKey: key,
                    member: message.key ?? [],
                    partition: message.topicPartition,
                    offset: message.offset
                )
            )
        }
        statistics.update {
            $0.commands += messages.count
            $0.malformed += malformed.count
        }
        if !malformed.isEmpty {
            let dead = malformed.map(deadLetter)
            try await lane.retrying("dead-letter", stop: stop, statistics: statistics, logger: logger) { db in
                try db.transaction { try OutboxStore.append(dead, on: $0) }
            }
            for message in malformed { flow.queue.passed(message.topicPartition, offset: message.offset) }
        }
        flow.queue.add(items)
    }

    private func deadLetter(_ message: KafkaMessage) -> OutboxMessage {
        let deadLetter = DeadLetterHeaders(
            reason: .notARewardCommand,
            detail: "the value is not a JSON object with an idempotency_key \"att:…\" of at most 255 bytes",
            source: SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset),
            lastFailureAt: .now()
        )
        return OutboxMessage(
            topic: configuration.topics.rewardCommandsDLQ,
            key: message.key,
            payload: message.value,
            headers: deadLetter.appended(to: message.headers.map { MessageHeader(name: $0.key, value: $0.value) })
        )
    }

    // MARK: Dispatcher

    private func dispatch(_ flow: Flow, lane: DatabaseLane) async throws {
        let maxInFlight = configuration.maxInFlight
        // Claims are at most one call slot's worth ahead, so a claimed reward waits at most about two calls for its
        // turn: far inside its lease even when the API answers at the timeout.
        let claimLimit = min(configuration.batchSize, maxInFlight)
        try await withThrowingDiscardingTaskGroup { tasks in
            while true {
                let stopping = stop.isStopped
                let next = flow.state.withLock {
                    $0.dispatch(maxInFlight: maxInFlight, claimLimit: claimLimit, stopping: stopping)
                }
                for (reward, item) in next.start {
                    tasks.addTask {
                        let outcome = try await engine.attempt(reward)
                        flow.queue.release(member: item.member)
                        flow.state.withLock { $0.callAnswered((outcome, item)) }
                        flow.ringAll()
                    }
                }
                if next.finished { return }
                if next.claimMore {
                    let items = flow.queue.takeReady(limit: claimLimit)
                    if !items.isEmpty {
                        flow.state.withLock { $0.claimStarted() }
                        tasks.addTask { try await claim(items, flow: flow, lane: lane) }
                    }
                }
                try await flow.dispatcherBell.wait()
            }
        }
    }

    private func claim(_ items: [RewardIntakeQueue.Item], flow: Flow, lane: DatabaseLane) async throws {
        let rewards = try await engine.claim(items.map(\.idempotencyKey), lane: lane, stop: stop)
        var byKey = Dictionary(rewards.map { ($0.idempotencyKey, $0) }, uniquingKeysWith: { first, _ in first })
        var claimed: [(reward: ClaimedReward, item: RewardIntakeQueue.Item)] = []
        var unclaimed: [RewardIntakeQueue.Item] = []
        for item in items {
            if let reward = byKey.removeValue(forKey: item.idempotencyKey) {
                claimed.append((reward, item))
            } else {
                // Settled, refused by the budget (recorded by the claim), leased by another settler, or scheduled
                // for a retry: nothing more for this command.
                unclaimed.append(item)
            }
        }
        for item in unclaimed { flow.queue.release(member: item.member) }
        flow.queue.done(unclaimed)
        flow.state.withLock { $0.claimFinished(claimed) }
        flow.dispatcherBell.ring()
    }

    // MARK: Recorder

    private func record(_ flow: Flow, lane: DatabaseLane) async throws {
        let limit = max(configuration.batchSize, configuration.maxInFlight)
        while true {
            let (batch, finished) = flow.state.withLock { $0.answersToRecord(limit: limit) }
            if finished { return }
            if batch.isEmpty {
                try await flow.recorderBell.wait()
                continue
            }
            try await engine.record(batch.map(\.outcome), lane: lane, stop: stop)
            flow.queue.done(batch.map(\.item))
        }
    }

    /// The command's idempotency key, if the value is a reward command (schema in `topics/`).
    static func idempotencyKey(_ value: [UInt8]?) -> String? {
        guard let value, case .object(let members)? = try? JSONReader.parseDocument(value),
            case .string(let key)? = members.last(where: { $0.key == "idempotency_key" })?.value,
            key.hasPrefix("att:"), key.utf8.count <= 255
        else { return nil }
        return key
    }
}
