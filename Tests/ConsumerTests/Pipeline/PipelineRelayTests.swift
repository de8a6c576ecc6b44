import Consumer
import Foundation
import Projections
import Synchronization
import Testing

extension PipelineTests {
    @Suite(
        "the relay publishes from the WAL: a crash between the two acknowledgements republishes, loses nothing",
        .timeLimit(.minutes(5))
    )
    struct Relay {
        static let requests = 40

        @Test func aRelayThatDiesAfterTheBrokerAckButBeforeTheSlotAckIsReplacedAndNothingIsLost() async throws {
            try await Pipeline.with { pipeline in
                try await pipeline.blocking {
                    try pipeline.applyEvent(EventFixture(id: 95, dailyReward: #"{"type": "NONE"}"#).json)
                }
                let messages = (1...Self.requests).map {
                    CheckInFixture(eventID: 95, memberID: Int64($0), requestID: "r-\($0)", requestedAt: nil).message()
                }
                // The facts are committed (in the slot) before any relay runs.
                let consumer = pipeline.checkInConsumer(group: "pipeline-relay")
                try await withServices([consumer]) {
                    try await pipeline.blocking {
                        _ = try pipeline.produce(messages)
                        try pipeline.waitForLogRows(Self.requests, consumers: [consumer])
                    }
                }
                #expect(
                    try await pipeline.blocking { try pipeline.outboxCount(topic: pipeline.topics.attendanceEvents) }
                        == Self.requests
                )

                // The leader "crashes" once right after Kafka acknowledged its round; a standby is waiting.
                let crashedRound = Mutex<Int?>(nil)
                let leader = pipeline.relay {
                    $0.afterDelivery = { size in
                        let first = crashedRound.withLock { crashed in
                            defer { crashed = crashed ?? size }
                            return crashed == nil
                        }
                        if first { throw RelayCrash() }
                    }
                    $0.retryBackoff = Backoff(initial: .seconds(2), maximum: .seconds(2))
                }
                let standby = pipeline.relay()
                try await withServices([leader, standby]) {
                    try await pipeline.blocking {
                        try pipeline.waitUntil(
                            "the facts are published and acknowledged",
                            detail: { "leader \(leader.statistics), standby \(standby.statistics)" }
                        ) {
                            try pipeline.outboxPublished()
                        }
                    }
                }
                let crashed = try #require(crashedRound.withLock { $0 })
                #expect(crashed > 0)
                // Every fact is on the topic; the crashed round was published again (at-least-once), nothing else.
                let facts = try await pipeline.blocking {
                    try pipeline.read(pipeline.topics.attendanceEvents, count: Self.requests + crashed)
                }
                var perRequest: [String: Int] = [:]
                for fact in facts {
                    let object = try JSONSerialization.jsonObject(with: Data(fact.value ?? [])) as? [String: Any]
                    perRequest[object?["request_id"] as? String ?? "?", default: 0] += 1
                }
                #expect(perRequest.count == Self.requests)
                #expect(perRequest.values.filter { $0 == 2 }.count == crashed)
                #expect(perRequest.values.allSatisfy { $0 == 1 || $0 == 2 })
                #expect(leader.statistics.published + standby.statistics.published == Self.requests + crashed)
            }
        }
    }
}

struct RelayCrash: Error {}
