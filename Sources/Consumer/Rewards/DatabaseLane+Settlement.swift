import Logging
import Projections

extension DatabaseLane {
    /// A lane to the settler's database and schema; `name` names its thread and its Postgres application name.
    static func settlement(_ name: String, configuration: RewardSettler.Configuration) -> DatabaseLane {
        let postgres = configuration.postgres
        let schema = configuration.schema
        return DatabaseLane(name: name, reconnectBackoff: Backoff(initial: .milliseconds(100), maximum: .seconds(5))) {
            let connection = try PostgresConnection.connect(
                postgres,
                applicationName: "attendance-\(name)",
                searchPath: schema
            )
            // Settlement emits reward results and dead letters: the slot must exist before the first.
            try MessageSlot(schema: schema).ensure(on: connection)
            return connection
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
}
