import Foundation
import ServiceLifecycle

/// Runs a blocking loop (librdkafka polls, libpq calls) on its own OS thread, never on Swift's cooperative
/// pool, and bridges it to structured concurrency: the async caller waits for the loop, and graceful
/// shutdown or task cancellation raises the loop's stop signal.
enum DedicatedThread {
    static func run(name: String, stop: StopSignal, _ body: @escaping @Sendable () throws -> Void) async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let thread = Thread {
                        do {
                            try body()
                            continuation.resume()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = name
                    thread.start()
                }
            } onCancel: {
                stop.stop()
            }
        } onGracefulShutdown: {
            stop.stop()
        }
    }
}
