import Projections
import Synchronization

/// One named OS thread (a ``ThreadExecutor``) that owns one Postgres connection: the way every part of the service
/// talks to Postgres, so libpq never blocks Swift's cooperative pool and a connection is never used by two threads.
///
/// Two ways to use it:
/// - **jobs**: ``run(_:)`` performs a closure on the lane's thread with its connection and returns the result to the
///   awaiting task; jobs run one at a time, in order (the settler's lanes);
/// - **a loop**: ``runLoop(stop:_:)`` gives the whole thread to a service whose loop lives there (the check-in
///   consumer's poll → write → commit, the relay, the sampler), ``start(_:)`` to a loop that ends on a signal of its
///   own (a read pool's worker taking jobs from a shared queue); the loop reaches the connection through ``Access``
///   whenever it runs on the thread, also from inside callbacks (Kafka rebalances) made on it.
///
/// The connection is opened on first use with `connect`, so the lane does not care where its settings come from.
/// A use after the connection broke reconnects at once; a connect that fails holds the next attempt back for
/// `reconnectBackoff`'s next delay, and uses until then fail at once with the last connect error (a caller never
/// waits on a database that is down). `onConnect` runs on the thread after each connect, before the connection is
/// used: for what belongs to a session (the relay's advisory lock is lost with it).
public final class DatabaseLane: Sendable {
    public typealias Connect = @Sendable () throws -> PostgresConnection

    public let name: String
    private let executor: ThreadExecutor
    private let access: Access

    /// Starts the thread (named `name`); connects on first use.
    public init(
        name: String,
        reconnectBackoff: Backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5)),
        connect: @escaping Connect,
        onConnect: (@Sendable (PostgresConnection) throws -> Void)? = nil
    ) {
        self.name = name
        let executor = ThreadExecutor(name: name)
        self.executor = executor
        self.access = Access(executor: executor, backoff: reconnectBackoff, connect: connect, onConnect: onConnect)
    }

    /// Whether the lane holds a connection that was working when last used (readiness).
    public var isConnected: Bool { access.connected.load(ordering: .relaxed) }

    /// Runs `body` on the lane's thread with its connection, after the jobs already queued. A connection that
    /// `body` left broken is closed; the next job reconnects.
    public func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await executor.run { [access] in
            defer { access.closeIfBroken() }
            return try body(try access.connection())
        }
    }

    /// Runs `body` on the lane's thread until it returns; graceful shutdown or cancellation of the awaiting task
    /// raises `stop`, which the loop must check. The lane is busy meanwhile: jobs wait for the loop to end.
    public func runLoop(stop: StopSignal, _ body: @escaping @Sendable (Access) throws -> Void) async throws {
        try await executor.runUntilStopped(stop: stop) { [access] in try body(access) }
    }

    /// Starts `body` on the lane's thread and returns; for loops that end on their own signal (a read pool's
    /// worker ends when its queue is shut down).
    public func start(_ body: @escaping @Sendable (Access) -> Void) {
        executor.execute { [access] in body(access) }
    }

    /// Closes the connection after the queued jobs (and a running loop) are done, then lets the thread exit.
    public func shutdown() {
        executor.execute { [access] in access.disconnect() }
        executor.shutdown()
    }

    /// The lane's connection as seen from the lane's own thread. Every method traps when called from elsewhere.
    ///
    /// `@unchecked Sendable`: the mutable state is touched only on the lane's thread (checked by
    /// `precondition(executor.isCurrent)`); `connected` is atomic.
    public final class Access: @unchecked Sendable {
        private let executor: ThreadExecutor
        private var backoff: Backoff
        private let connect: Connect
        private let onConnect: (@Sendable (PostgresConnection) throws -> Void)?
        fileprivate let connected = Atomic<Bool>(false)
        private var current: PostgresConnection?
        private var heldBack: (until: ContinuousClock.Instant, error: any Error)?

        fileprivate init(
            executor: ThreadExecutor,
            backoff: Backoff,
            connect: @escaping Connect,
            onConnect: (@Sendable (PostgresConnection) throws -> Void)?
        ) {
            self.executor = executor
            self.backoff = backoff
            self.connect = connect
            self.onConnect = onConnect
        }

        /// The open connection; a new one when there is none or it broke. Throws the last connect error while the
        /// backoff after a failed connect runs.
        public func connection() throws -> PostgresConnection {
            precondition(executor.isCurrent, "a database lane's connection is used off its thread")
            if let current, current.isConnected { return current }
            disconnect()
            if let heldBack, ContinuousClock.now < heldBack.until { throw heldBack.error }
            do {
                let connection = try connect()
                do {
                    try onConnect?(connection)
                } catch {
                    connection.close()
                    throw error
                }
                current = connection
                heldBack = nil
                backoff.reset()
                connected.store(true, ordering: .relaxed)
                return connection
            } catch {
                heldBack = (ContinuousClock.now + backoff.next(), error)
                throw error
            }
        }

        /// Whether the backoff after a failed connect still runs: ``connection()`` would throw without trying.
        public var isHoldingBack: Bool {
            precondition(executor.isCurrent, "a database lane's connection is used off its thread")
            guard current == nil, let heldBack else { return false }
            return ContinuousClock.now < heldBack.until
        }

        /// Closes the connection if it is known to be broken (after a failed statement); the next use reconnects.
        public func closeIfBroken() {
            precondition(executor.isCurrent, "a database lane's connection is used off its thread")
            if let current, !current.isConnected { disconnect() }
        }

        /// Closes the connection whatever its state; the next use reconnects at once.
        public func disconnect() {
            precondition(executor.isCurrent, "a database lane's connection is used off its thread")
            current?.close()
            current = nil
            connected.store(false, ordering: .relaxed)
        }
    }
}
