import Consumer
import Foundation
import Testing

extension PipelineTests {
    /// Batches follow the load: a batch that holds messages is written once nothing more arrives within the linger,
    /// not when `maxBatchWait` runs out.
    @Suite("batching: written when the fetched messages are in", .timeLimit(.minutes(5)))
    struct Batching {
        static let event = EventFixture(id: 77)

        @Test func aBatchIsWrittenOnceNothingMoreArrivesWithinTheLinger() async throws {
            try await Pipeline.with { pipeline in
                let requests = (1...5).map { member in
                    CheckInFixture(
                        eventID: 77,
                        memberID: Int64(member),
                        requestID: "linger-\(member)",
                        requestedAt: "2026-03-01T09:00:00+09:00"
                    )
                }
                try await pipeline.blocking {
                    #expect(try pipeline.applyEvent(Self.event.json) == .created(version: 1))
                    _ = try pipeline.produce(requests.map { $0.message() })
                }
                // A batch that waited for maxBatchWait would not be written before the wait below gives up (20 s,
                // of which joining the group on the mock takes a few).
                let consumer = pipeline.checkInConsumer(group: "pipeline-linger") {
                    $0.maxBatchWait = .seconds(600)
                    $0.batchLinger = .milliseconds(5)
                }
                try await withServices([consumer]) {
                    try await pipeline.blocking {
                        try pipeline.waitForLogRows(requests.count, consumers: [consumer], timeout: .seconds(20))
                    }
                }
                let statistics = consumer.statistics.snapshot
                #expect(statistics.logged == requests.count)
                #expect(statistics.successes == requests.count)
            }
        }
    }
}
