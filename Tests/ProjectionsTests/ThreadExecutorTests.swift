import Synchronization
import Testing

@testable import Projections

/// Shared mutable state for closures that run on other threads.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        self.mutex = Mutex(value)
    }

    var value: Value { self.mutex.withLock { $0 } }

    @discardableResult
    func update<T: Sendable>(_ change: @Sendable (inout Value) -> T) -> T {
        self.mutex.withLock { change(&$0) }
    }
}

@Suite("ThreadExecutor", .timeLimit(.minutes(5)))
struct ThreadExecutorTests {
    @Test func runsTaskWorkOnItsOwnThread() async throws {
        let executor = ThreadExecutor(name: "exec-own-thread")
        defer { executor.shutdown() }
        let name = await withTaskExecutorPreference(executor) { currentThreadName() }
        #expect(name == "exec-own-thread")
        // Still there after a suspension point.
        let afterSleep = try await withTaskExecutorPreference(executor) {
            try await Task.sleep(for: .milliseconds(5))
            return currentThreadName()
        }
        #expect(afterSleep == "exec-own-thread")
        #expect(try await executor.run { currentThreadName() } == "exec-own-thread")
        #expect(try await executor.run { executor.isCurrent })
        #expect(!executor.isCurrent)
    }

    @Test func truncatesOSThreadNamesToFifteenBytes() async throws {
        #expect(ThreadExecutor.osThreadName("postgres-projection-writer") == "postgres-projec")
        #expect(ThreadExecutor.osThreadName("écrivain-ééé-x") == "écrivain-éé")
        let executor = ThreadExecutor(name: "postgres-projection-writer")
        defer { executor.shutdown() }
        #expect(try await executor.run { currentThreadName() } == "postgres-projec")
    }

    @Test func runsWorkInFIFOOrder() async throws {
        let executor = ThreadExecutor(name: "executor-test-fifo")
        defer { executor.shutdown() }
        let order = Locked<[Int]>([])
        for index in 0..<2_000 {
            executor.execute { order.update { $0.append(index) } }
        }
        try await executor.run {}
        #expect(order.value == Array(0..<2_000))
    }

    @Test func manyConcurrentTasksCompleteOneAtATime() async {
        let executor = ThreadExecutor(name: "exec-concurrent")
        defer { executor.shutdown() }
        let running = Locked(0)
        let mostAtOnce = Locked(0)
        let names = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<500 {
                group.addTask {
                    await withTaskExecutorPreference(executor) {
                        let now = running.update { count in
                            count += 1
                            return count
                        }
                        mostAtOnce.update { $0 = max($0, now) }
                        running.update { $0 -= 1 }
                        return currentThreadName()
                    }
                }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(names.count == 500)
        #expect(Set(names) == ["exec-concurrent"])
        #expect(mostAtOnce.value == 1)
    }

    @Test func shutdownFinishesQueuedWork() async {
        let executor = ThreadExecutor(name: "executor-test-shutdown")
        let done = Locked(0)
        await withCheckedContinuation { continuation in
            for _ in 0..<100 {
                executor.execute { done.update { $0 += 1 } }
            }
            executor.execute { continuation.resume() }
            executor.shutdown()
        }
        #expect(done.value == 100)
    }
}
