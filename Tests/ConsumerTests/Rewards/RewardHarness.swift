import Consumer
import FakeRewardAPI
import Foundation
import Projections
import ServiceLifecycle
import Testing

/// Reward settlement fixtures on top of ``Pipeline``: generated earned rewards, their commands on the mock
/// cluster, settlers pointed at the fake reward API over loopback HTTP.
extension Pipeline {
    /// Applies event `id` (optionally with budgets) and writes `members` × `days` earned DAILY rewards.
    @discardableResult
    func seedRewards(
        event id: Int64,
        members: Int,
        days: Int,
        points: Int64 = 10,
        couponGroupID: String? = nil,
        pointBudget: Int64? = nil
    ) throws -> Int {
        var json = EventFixture(id: id).json
        if let pointBudget { json = "{\"point_budget\": \(pointBudget), " + json.dropFirst() }
        try applyEvent(json)
        return try RewardBacklog.seed(
            eventID: id,
            members: members,
            days: days,
            points: points,
            couponGroupID: couponGroupID,
            on: connection
        )
    }

    /// Publishes a command for every pending reward, `copies` times (a relay that published twice).
    @discardableResult
    func produceRewardCommands(copies: Int = 1) throws -> Int {
        let commands = try RewardBacklog.commands(on: connection)
        var messages: [OutgoingMessage] = []
        for _ in 0..<copies {
            messages += commands.map { OutgoingMessage(topic: topics.rewardCommands, key: $0.key, value: $0.value) }
        }
        _ = try produce(messages)
        return commands.count
    }

    /// A settler with test-sized timings: quick backoff, short leases, 300 ms request timeout.
    func rewardSettler(
        api url: String,
        group: String = "reward-settler",
        _ configure: (inout RewardSettler.Configuration) -> Void = { _ in }
    ) -> RewardSettler {
        var api = RewardAPIClient.Configuration(pointsBaseURL: url, couponsBaseURL: url)
        api.requestTimeout = .milliseconds(300)
        var configuration = RewardSettler.Configuration(
            kafka: kafka,
            groupID: group,
            postgres: postgres,
            schema: schema,
            api: api
        )
        configuration.retry = RewardRetryPolicy(
            maxAttempts: 25,
            initialBackoff: .milliseconds(50),
            maximumBackoff: .milliseconds(400)
        )
        configuration.lease = .seconds(2)
        configuration.schedulerInterval = .milliseconds(50)
        configuration.batchSize = 200
        configuration.maxInFlight = 64
        configure(&configuration)
        precondition(configuration.problems.isEmpty, "\(configuration.problems)")
        return RewardSettler(configuration: configuration, logger: logger)
    }

    /// The `idempotency_key` of a JSON message payload.
    static func idempotencyKey(of message: OutboxMessage) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(message.payload ?? [])) as? [String: Any]
        return object?["idempotency_key"] as? String
    }

    /// Rewards per status.
    func rewardStatuses() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try rows("SELECT status, count(*)::text FROM event_attendance_reward_log GROUP BY status") {
            counts[row[0] ?? ""] = row[1].flatMap(Int.init)
        }
        return counts
    }

    func waitUntilNoRewardIsPending(_ settlers: [RewardSettler], timeout: Duration = .seconds(60)) throws {
        try waitUntil(
            "no reward is pending",
            timeout: timeout,
            detail: { "statuses \(try self.rewardStatuses()); settlers \(settlers.map(\.statistics.snapshot))" }
        ) { try self.count("event_attendance_reward_log", where: "status = 'PENDING'") == 0 }
    }

    /// (idempotency key, transaction id) of every SUCCEEDED reward.
    func settledTransactions() throws -> [String: String] {
        var settled: [String: String] = [:]
        for row in try rows(
            "SELECT idempotency_key, transaction_id FROM event_attendance_reward_log WHERE status = 'SUCCEEDED'"
        ) {
            settled[row[0] ?? ""] = row[1]
        }
        return settled
    }

    /// Settlement messages waiting in the outbox, per idempotency key.
    func settlementMessagesPerKey() throws -> [String: Int] {
        var perKey: [String: Int] = [:]
        for message in try outboxMessages(topic: topics.rewardSettlements) {
            perKey[Self.idempotencyKey(of: message) ?? "", default: 0] += 1
        }
        return perKey
    }
}

/// Runs the fake reward API on a free loopback port while `body` runs.
func withFakeRewardAPI<T: Sendable>(
    _ faults: FakeRewardFaults = FakeRewardFaults(),
    _ body: (FakeRewardServer, String) async throws -> T
) async throws -> T {
    let server = FakeRewardServer(configuration: .init(faults: faults), logger: TestSupport.logger("fake-reward-api"))
    return try await withServices([server]) {
        let url = try await server.baseURL()
        return try await body(server, url)
    }
}
