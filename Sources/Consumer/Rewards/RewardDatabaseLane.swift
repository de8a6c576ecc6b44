import Logging
import Projections
import Synchronization

/// One Postgres connection with the one thread that uses it: every call runs on that thread, never on the
/// cooperative pool, one at a time. Reconnects on the next call after the connection broke.
final class RewardDatabaseLane: Sendable {
    private let executor: ThreadExecutor
    private let postgres: PostgresConfiguration
    private let schema: String
    private let applicationName: String
    /// Touched only on `executor`'s thread; the Mutex makes that checkable rather than a promise.
    private let connection = Mutex<PostgresConnection?>(nil)

    /// A lane to the settler's database and schema; `name` names its thread and its Postgres application name.
    init(name: String, configuration: RewardSettler.Configuration) {
        self.executor = ThreadExecutor(name: name)
        self.postgres = configuration.postgres
        self.schema = configuration.schema
        self.applicationName = "attendance-\(name)"
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await executor.run { [self] in
            let db = try open()
            do {
                return try body(db)
            } catch {
                if !db.isConnected {
                    db.close()
                    connection.withLock { $0 = nil }
                }
                throw error
            }
        }
    }

    /// Retries `body` with backoff while Postgres fails; gives up when the task is cancelled, or after a few more
    /// tries once `stop` is raised (leases then make the unrecorded work due again).
    func retrying<T: Sendable>(
        _ what: String,
        stop: StopSignal,
        statistics: RewardSettlerStatistics,
        logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        var triesAfterStop = 0
        while true {
            do {
                return try await run(body)
            } catch {
                try Task.checkCancellation()
                statistics.recordError(error)
                logger.error("reward settlement: \(what) failed, retrying", metadata: ["error": "\(error)"])
                if stop.isStopped {
                    triesAfterStop += 1
                    if triesAfterStop > 3 { throw error }
                }
                try await Task.sleep(for: backoff.next())
            }
        }
    }

    func shutdown() {
        executor.execute { [self] in
            connection.withLock { connection in
                connection?.close()
                connection = nil
            }
        }
        executor.shutdown()
    }

    private func open() throws -> PostgresConnection {
        if let existing = connection.withLock({ $0 }), existing.isConnected { return existing }
        connection.withLock { $0?.close() }
        let db = try PostgresConnection.connect(postgres, applicationName: applicationName, searchPath: schema)
        connection.withLock { $0 = db }
        return db
    }
}
