import Consumer
import Foundation
import Logging
import Projections

/// A fixed set of ``DatabaseLane``s sharing one job queue, that run the API's reads, each lane with an
/// ``AttendanceReadStore`` on its connection. libpq blocks, so the reads never run on Swift's cooperative pool: a
/// handler enqueues a job and awaits its continuation, and the first free lane takes it (one queue, so a slow read
/// holds up one lane only).
///
/// A lane whose connection broke reconnects on its next job, at most once per backoff step; until then its jobs
/// fail at once with 503, so an outage answers fast instead of piling up waiting requests.
///
/// `@unchecked Sendable`: `queue` and `stopped` are only touched while holding `condition`; `lanes` is written only
/// in `init`; each lane's store is confined to that lane's thread.
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
    private var lanes: [DatabaseLane] = []

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let postgres = configuration.postgres
        let schema = configuration.schema
        for index in 0..<max(1, configuration.connections) {
            // The store's statements are prepared per session, so a connection counts as made once they are.
            let store = LaneStore()
            let lane = DatabaseLane(
                name: "api-read-\(index)",
                reconnectBackoff: Backoff(initial: .milliseconds(200), maximum: .seconds(5)),
                connect: {
                    try PostgresConnection.connect(
                        postgres,
                        applicationName: "attendance-api",
                        searchPath: schema,
                        logger: logger
                    )
                },
                onConnect: { connection in store.current = try AttendanceReadStore(connection: connection) }
            )
            lane.start { [self] database in self.laneLoop(index, database, store) }
            lanes.append(lane)
        }
    }

    /// Whether at least one lane holds a working connection (readiness).
    public var isConnected: Bool {
        lanes.contains { $0.isConnected }
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

    /// Lets the lanes finish the queued jobs, close their connections and exit.
    public func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        for lane in lanes { lane.shutdown() }
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

    /// One lane's worker: takes jobs from the shared queue until shutdown, each with the store on the lane's
    /// connection (nil while the database cannot be reached).
    private func laneLoop(_ index: Int, _ database: DatabaseLane.Access, _ store: LaneStore) {
        func currentStore() -> AttendanceReadStore? {
            // While the backoff after a failed connect runs, jobs fail at once without a new attempt or warning.
            guard !database.isHoldingBack else { return nil }
            do {
                _ = try database.connection()
                return store.current
            } catch {
                logger.warning("read lane cannot connect", metadata: ["lane": "\(index)", "error": "\(error)"])
                return nil
            }
        }

        _ = currentStore()
        while let job = nextJob() {
            job(currentStore())
            database.closeIfBroken()
        }
    }
}

/// A lane's read store, made by the lane's on-connect hook for each new connection.
///
/// `@unchecked Sendable`: written (by the hook) and read only on its lane's thread.
private final class LaneStore: @unchecked Sendable {
    var current: AttendanceReadStore?
}
