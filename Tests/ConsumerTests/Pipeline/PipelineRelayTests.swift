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

                // Whichever relay leads first "crashes" once, right after Kafka acknowledged its round; the other
                // is waiting as a standby. (Both carry the hook: which one wins the slot first is a race.)
                let crashedRound = Mutex<Int?>(nil)
                let relays = (0..<2).map { _ in
                    pipeline.relay {
                        $0.afterDelivery = { size in
                            let first = crashedRound.withLock { crashed in
                                defer { crashed = crashed ?? size }
                                return crashed == nil
                            }
                            if first { throw RelayCrash() }
                        }
                        $0.retryBackoff = Backoff(initial: .seconds(2), maximum: .seconds(2))
                    }
                }
                try await withServices(relays) {
                    try await pipeline.blocking {
                        try pipeline.waitUntil(
                            "the facts are published and acknowledged",
                            detail: { "relays \(relays.map(\.statistics))" }
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
                #expect(relays.reduce(0) { $0 + $1.statistics.published } == Self.requests + crashed)
            }
        }
    }
}

struct RelayCrash: Error {}
