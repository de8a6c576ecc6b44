import Projections
import ServiceLifecycle

extension ThreadExecutor {
    /// Runs a blocking loop (librdkafka polls, libpq calls) on this executor's thread, never on Swift's cooperative
    /// pool, and bridges it to structured concurrency: the caller awaits the loop, and graceful shutdown or
    /// cancellation of the awaiting task raises `stop`, which the loop must check.
    public func runUntilStopped(stop: StopSignal, _ body: @escaping @Sendable () throws -> Void) async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await self.run(body)
            } onCancel: {
                stop.stop()
            }
        } onGracefulShutdown: {
            stop.stop()
        }
    }
}
