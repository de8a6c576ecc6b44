import Projections

/// Runs blocking libpq/librdkafka work for a command on a dedicated thread, off the cooperative pool.
package enum Blocking {
    package static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let executor = ThreadExecutor(name: name)
        defer { executor.shutdown() }
        return try await withTaskExecutorPreference(executor) { try body() }
    }
}
