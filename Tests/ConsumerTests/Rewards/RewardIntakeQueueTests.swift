import Testing

@testable import Consumer

@Suite(
    "Reward intake queue: one command per member at a time, offsets committed up to the first unfinished",
    .timeLimit(.minutes(5))
)
struct RewardIntakeQueueTests {
    private let p0 = TopicPartition(topic: "attendance.reward-commands.v1", partition: 0)
    private let p1 = TopicPartition(topic: "attendance.reward-commands.v1", partition: 1)

    private func item(_ key: String, member: String, _ partition: TopicPartition, _ offset: Int64)
        -> RewardIntakeQueue.Item
    {
        RewardIntakeQueue.Item(idempotencyKey: key, member: Array(member.utf8), partition: partition, offset: offset)
    }

    @Test func aMembersNextCommandWaitsForTheAnswerToItsPreviousOne() {
        let queue = RewardIntakeQueue()
        queue.add([
            item("a1", member: "a", p0, 0), item("a2", member: "a", p0, 1), item("b1", member: "b", p0, 2),
            item("a3", member: "a", p0, 3), item("c1", member: "c", p1, 0),
        ])
        // One of each member, oldest first; a's later commands stay behind a1.
        #expect(queue.takeReady(limit: 10).map(\.idempotencyKey) == ["a1", "b1", "c1"])
        #expect(queue.takeReady(limit: 10).isEmpty)
        #expect(!queue.hasReady)
        queue.release(member: Array("b".utf8))
        #expect(queue.takeReady(limit: 10).isEmpty)  // b has nothing more
        queue.release(member: Array("a".utf8))
        #expect(queue.takeReady(limit: 10).map(\.idempotencyKey) == ["a2"])
        // A command polled while its member is busy joins the end of that member's queue.
        queue.add([item("a4", member: "a", p1, 1)])
        #expect(queue.takeReady(limit: 10).isEmpty)
        queue.release(member: Array("a".utf8))
        queue.release(member: Array("a".utf8))  // a second release of an idle member changes nothing
        #expect(queue.takeReady(limit: 10).map(\.idempotencyKey) == ["a3"])
        queue.release(member: Array("a".utf8))
        #expect(queue.takeReady(limit: 1).map(\.idempotencyKey) == ["a4"])
    }

    @Test func takeReadyHonoursItsLimitAndServesMembersInTurn() {
        let queue = RewardIntakeQueue()
        queue.add((0..<5).map { item("k\($0)", member: "m\($0)", p0, Int64($0)) })
        #expect(queue.takeReady(limit: 2).map(\.idempotencyKey) == ["k0", "k1"])
        #expect(queue.takeReady(limit: 2).map(\.idempotencyKey) == ["k2", "k3"])
        #expect(queue.takeReady(limit: 2).map(\.idempotencyKey) == ["k4"])
        #expect(queue.buffered == 5)
    }

    @Test func theCommittedOffsetStopsAtTheFirstUnfinishedCommandOfEachPartition() {
        let queue = RewardIntakeQueue()
        let items = [
            item("a1", member: "a", p0, 10), item("b1", member: "b", p0, 11), item("c1", member: "c", p0, 12),
            item("d1", member: "d", p1, 5),
        ]
        queue.add(items)
        // Nothing finished: each partition stays at its first polled offset.
        #expect(queue.offsetsToCommit() == [p0: 10, p1: 5])
        queue.done([items[1], items[2]])
        #expect(queue.offsetsToCommit() == [:])  // still 10: a1 is unfinished
        queue.done([items[0]])
        #expect(queue.offsetsToCommit() == [p0: 13])
        // A malformed message needs nothing but moves the position past itself.
        queue.passed(p1, offset: 6)
        #expect(queue.offsetsToCommit() == [:])  // d1 (5) is unfinished
        queue.done([items[3]])
        #expect(queue.offsetsToCommit() == [p1: 7])
        #expect(queue.buffered == 0)
        // Finished partitions are forgotten, and come back when polled again.
        let again = item("e1", member: "e", p0, 13)
        queue.add([again])
        queue.done([again])
        #expect(queue.offsetsToCommit() == [p0: 14])
    }

    @Test func aCommandRedeliveredAfterARebalanceIsTrackedAgainWithoutLosingItsPlace() {
        let queue = RewardIntakeQueue()
        let first = item("a1", member: "a", p0, 3)
        queue.add([first])
        let again = item("a1", member: "a", p0, 3)
        queue.add([again])
        #expect(queue.buffered == 2)
        let taken = queue.takeReady(limit: 5)
        #expect(taken.map(\.idempotencyKey) == ["a1"])
        queue.done(taken)
        queue.release(member: Array("a".utf8))
        #expect(queue.offsetsToCommit() == [p0: 4])
        let second = queue.takeReady(limit: 5)
        #expect(second.map(\.idempotencyKey) == ["a1"])
        queue.done(second)
        #expect(queue.buffered == 0)
    }
}

@Suite("Doorbell: a ring is never lost between a check and the wait", .timeLimit(.minutes(5)))
struct DoorbellTests {
    @Test func aRingBeforeTheWaitIsKeptAsOne() async throws {
        let bell = Doorbell()
        bell.ring()
        bell.ring()
        try await bell.wait()  // returns at once
        let woke = await waitsLessThan(.milliseconds(200), bell)
        #expect(!woke)  // the two rings were one
    }

    @Test func aWaitingTaskWakesAtTheRing() async throws {
        let bell = Doorbell()
        async let waited: Void = bell.wait()
        try await Task.sleep(for: .milliseconds(50))
        bell.ring()
        try await waited
    }

    @Test func cancellingTheWaiterEndsTheWaitWithCancellationError() async throws {
        let bell = Doorbell()
        let waiter = Task { try await bell.wait() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }

    /// Whether `bell.wait()` returned within `limit`.
    private func waitsLessThan(_ limit: Duration, _ bell: Doorbell) async -> Bool {
        let waiter = Task { try await bell.wait() }
        try? await Task.sleep(for: limit)
        waiter.cancel()
        do {
            try await waiter.value
            return true
        } catch {
            return false
        }
    }
}
