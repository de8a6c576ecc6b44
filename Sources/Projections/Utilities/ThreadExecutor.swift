import Foundation

/// A `TaskExecutor` backed by one dedicated OS thread, so blocking C calls (libpq, librdkafka) never
/// occupy a thread of Swift's cooperative pool.
///
///     let executor = ThreadExecutor(name: "postgres-writer")
///     let rows = try await withTaskExecutorPreference(executor) { try connection.execute("SELECT 1") }
///     executor.shutdown()
///
/// Jobs run one at a time in the order they were enqueued. Pair one executor with one
/// ``PostgresConnection`` and the connection is never used concurrently.
///
/// The thread keeps a reference to the executor until `shutdown()`; an executor that is never shut down
/// keeps its thread forever.
///
/// `@unchecked Sendable`: the queue state (`queue`, `queueHead`, `isStarted`, `isShuttingDown`, `hasExited`)
/// is read and written only while holding `condition`; `thread` is written once in `init`, before the executor
/// is shared.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    public let name: String
    private var thread: Thread?
    private let condition = NSCondition()
    private var queue: [Work] = []
    private var queueHead = 0
    private var isStarted = false
    private var isShuttingDown = false
    private var hasExited = false

    /// Starts the thread. The OS thread (what `Thread.current.name`, `top -H` and debuggers show) gets the
    /// first 15 bytes of `name`, the most Linux keeps; longer names would be rejected outright.
    public init(name: String) {
        self.name = name
        let thread = Thread { [self] in
            // corelibs Foundation applies a name only once `start()` has returned (it ties the Thread object to
            // the OS thread there); naming any earlier is silently lost.
            self.condition.lock()
            while !self.isStarted { self.condition.wait() }
            self.condition.unlock()
            Thread.current.name = Self.osThreadName(self.name)
            self.runLoop()
        }
        self.thread = thread
        thread.start()
        self.condition.lock()
        self.isStarted = true
        self.condition.broadcast()
        self.condition.unlock()
    }

    /// Whether the caller runs on this executor's thread (for preconditions in code that must not block
    /// the cooperative pool).
    public var isCurrent: Bool {
        Thread.current === self.thread
    }

    static func osThreadName(_ name: String) -> String {
        var prefix = ""
        for character in name {
            guard prefix.utf8.count + character.utf8.count <= 15 else { break }
            prefix.append(character)
        }
        return prefix
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        self.submit(.job(UnownedJob(job)))
    }

    /// Runs `work` on the executor's thread, after everything already enqueued.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        self.submit(.closure(work))
    }

    /// Runs `body` on the executor's thread and returns its result; for callers that cannot use
    /// `withTaskExecutorPreference` (e.g. from an actor with its own executor).
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            self.execute { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Finishes the jobs already queued (and any enqueued while they run), then lets the thread exit.
    /// Enqueueing after the thread exited is a programming error and traps: the job could never run.
    public func shutdown() {
        self.condition.lock()
        self.isShuttingDown = true
        self.condition.broadcast()
        self.condition.unlock()
    }

    private func submit(_ work: Work) {
        self.condition.lock()
        defer { self.condition.unlock() }
        precondition(!self.hasExited, "ThreadExecutor \(self.name) received work after shutdown")
        self.queue.append(work)
        self.condition.broadcast()
    }

    private func runLoop() {
        while let work = self.next() {
            switch work {
            case .job(let job): job.runSynchronously(on: self.asUnownedTaskExecutor())
            case .closure(let closure): closure()
            }
        }
    }

    /// The next work item, waiting for one; `nil` once shut down and drained.
    private func next() -> Work? {
        self.condition.lock()
        defer { self.condition.unlock() }
        while self.queueHead == self.queue.count {
            if self.isShuttingDown {
                self.hasExited = true
                return nil
            }
            self.condition.wait()
        }
        let work = self.queue[self.queueHead]
        self.queueHead += 1
        // Drop consumed items once they are the larger part, so a never-empty queue does not grow forever.
        if self.queueHead == self.queue.count || (self.queueHead >= 64 && self.queueHead * 2 >= self.queue.count) {
            self.queue.removeFirst(self.queueHead)
            self.queueHead = 0
        }
        return work
    }
}
