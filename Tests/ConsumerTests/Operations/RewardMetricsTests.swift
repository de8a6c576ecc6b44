import Consumer
import FakeRewardAPI
import Foundation
import Operations
import Projections
import Testing

extension PipelineTests {
    @Suite(
        "reward metrics: API latency and errors per API, outcomes, circuit state, rewards by state",
        .timeLimit(.minutes(5))
    )
    struct RewardMetricsEndpoint {
        @Test func aScrapeAfterSettlementShowsTheRewardFamilies() async throws {
            let registry = TestMetrics.registry
            try await Pipeline.with { pipeline in
                let rewards = try await pipeline.blocking {
                    let rewards = try pipeline.seedRewards(event: 93, members: 5, days: 2)
                    try pipeline.produceRewardCommands()
                    return rewards
                }
                var faults = FakeRewardFaults()
                faults.refusedMembers = [3]
                try await withFakeRewardAPI(faults) { _, url in
                    let settler = pipeline.rewardSettler(api: url, group: "ops-rewards")
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
                        settler: settler,
                        logger: pipeline.logger
                    )
                    try await withServices([surface.server]) {
                        let base = "http://127.0.0.1:\(try await surface.server.listeningPort())"
                        let before = Scrape(try await HTTPAnswer.get(base + "/metrics").body)
                        try await withServices([settler, surface.sampler]) {
                            try await pipeline.blocking { try pipeline.waitUntilNoRewardIsPending([settler]) }
                            var after = Scrape("")
                            let deadline = ContinuousClock.now + .seconds(30)
                            repeat {
                                try await Task.sleep(for: .milliseconds(200))
                                after = Scrape(try await HTTPAnswer.get(base + "/metrics").body)
                            } while ContinuousClock.now < deadline
                                && after.value("attendance_rewards", ["state": "failed"]) != 2

                            #expect(after.types["attendance_reward_api_request_duration_seconds"] == "histogram")
                            #expect(after.types["attendance_reward_api_errors_total"] == "counter")
                            #expect(after.types["attendance_reward_settlements_total"] == "counter")
                            #expect(after.types["attendance_reward_api_circuit_state"] == "gauge")
                            #expect(after.types["attendance_rewards"] == "gauge")
                            #expect(after.labelNames("attendance_reward_api_errors_total") == ["api", "kind"])

                            func delta(_ name: String, _ labels: [String: String]) -> Double {
                                (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0)
                            }
                            #expect(
                                delta("attendance_reward_api_request_duration_seconds_count", ["api": "points"])
                                    >= Double(rewards)
                            )
                            #expect(
                                delta(
                                    "attendance_reward_api_request_duration_seconds_bucket",
                                    ["api": "points", "le": "+Inf"]
                                ) >= Double(rewards)
                            )
                            #expect(
                                delta("attendance_reward_api_errors_total", ["api": "points", "kind": "rejected"]) >= 2
                            )
                            #expect(
                                delta("attendance_reward_settlements_total", ["outcome": "succeeded"])
                                    >= Double(rewards - 2)
                            )
                            #expect(delta("attendance_reward_settlements_total", ["outcome": "failed"]) >= 2)
                            #expect(after.value("attendance_reward_api_circuit_state", ["api": "points"]) == 0)
                            #expect(after.value("attendance_rewards", ["state": "succeeded"]) == Double(rewards - 2))
                            #expect(after.value("attendance_rewards", ["state": "failed"]) == 2)
                            #expect(after.value("attendance_rewards", ["state": "pending"]) == 0)
                            #expect(after.value("attendance_rewards", ["state": "parked"]) == 0)
                        }
                    }
                }
            }
        }
    }
}
