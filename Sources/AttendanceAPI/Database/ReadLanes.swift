import Consumer
import Foundation
import Logging
import Projections

/// A fixed set of threads, each owning one Postgres connection and its ``AttendanceReadStore``, that run the
/// API's reads. libpq blocks, so the reads never run on Swift's cooperative pool: a handler enqueues a job and
/// awaits its continuation, and the first free lane takes it (one queue, so a slow read holds up one lane only).
///
/// A lane whose connection broke reconnects on its next job, at most once per backoff step; until then its jobs
/// fail at once with 503, so an outage answers fast instead of piling up waiting requests.
///
/// `@unchecked Sendable`: `queue`, `stopped` and `connectedLanes` are only touched while holding `condition`;
/// each lane's connection and store are confined to that lane's thread.
public final class ReadLanes: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var postgres: PostgresConfiguration
        public var schema: String
        /// Connections (and threads). Default 4: reads are short index look-ups, and a 2-core host is saturated
        /// by its CPU long before 4 connections are.
        public var connections: Int = 4
        /// Jobs allowed to wait for a lane; past this a read answers 503 at once instead of queueing without bound.
        public var maxQueued: Int = 2_048

        public init(postgres: PostgresConfiguration, schema: String) {
            self.postgres = postgres
            self.schema = schema
        }
    }

    private typealias Job = (AttendanceReadStore?) -> Void

    private let configuration: Configuration
    private let logger: Logger
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var queueHead = 0
    private var stopped = false
    private var connectedLanes = 0

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        for index in 0..<max(1, configuration.connections) {
            let thread = Thread { [self] in self.laneLoop(index) }
            thread.name = "api-read-\(index)"
            thread.start()
        }
    }

    /// Whether at least one lane holds a working connection (readiness).
    public var isConnected: Bool {
        condition.lock()
        defer { condition.unlock() }
        return connectedLanes > 0
    }

    /// Runs `body` on a lane with its store. Database failures become 503 problems; other errors pass through.
    public func read<T: Sendable>(_ body: @escaping @Sendable (AttendanceReadStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job: Job = { store in
                guard let store else {
                    continuation.resume(
                        throwing: APIProblem.unavailable("database-unavailable", "the database cannot be reached")
                    )
                    return
                }
                do {
                    continuation.resume(returning: try body(store))
                } catch let error as PostgresError where error.isRetriable {
                    continuation.resume(
                        throwing: APIProblem.unavailable("database-unavailable", "the database failed the read")
                    )
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            condition.lock()
            if stopped || queue.count - queueHead >= configuration.maxQueued {
                let reason = stopped ? "the server is stopping" : "too many reads are waiting for the database"
                condition.unlock()
                continuation.resume(throwing: APIProblem.unavailable("overloaded", reason))
                return
            }
            queue.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// Lets the lanes finish the queued jobs and exit.
    public func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while queueHead == queue.count {
            if stopped { return nil }
            condition.wait()
        }
        let job = queue[queueHead]
        queueHead += 1
        if queueHead > 1_024, queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        return job
    }

    private func setConnected(_ delta: Int) {
        condition.lock()
        connectedLanes += delta
        condition.unlock()
    }

    private func laneLoop(_ index: Int) {
        var store: AttendanceReadStore?
        var backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        var nextAttempt = ContinuousClock.now

        func connect() {
            guard ContinuousClock.now >= nextAttempt else { return }
            do {
                let connection = try PostgresConnection.connect(
                    configuration.postgres,
                    applicationName: "attendance-api",
                    searchPath: configuration.schema,
                    logger: logger
                )
                store = try AttendanceReadStore(connection: connection)
                backoff.reset()
                setConnected(1)
            } catch {
                nextAttempt = ContinuousClock.now + backoff.next()
                logger.warning("read lane cannot connect", metadata: ["lane": "\(index)", "error": "\(error)"])
            }
        }

        connect()
        while let job = nextJob() {
            if store == nil { connect() }
            job(store)
            if let current = store, !current.connection.isConnected {
                current.connection.close()
                store = nil
                setConnected(-1)
                nextAttempt = ContinuousClock.now
            }
        }
        if let store {
            store.connection.close()
            setConnected(-1)
        }
    }
}
