import Synchronization

/// Counters of one settler, for the live summary, `status` and tests.
public final class RewardSettlerStatistics: Sendable {
    public struct Snapshot: Sendable, Hashable {
        /// Reward commands read from Kafka.
        public var commands = 0
        /// Commands that were not a reward command (sent to the DLQ).
        public var malformed = 0
        /// Calls made to the APIs.
        public var attempts = 0
        public var succeeded = 0
        /// Permanently refused by the API.
        public var failed = 0
        /// Attempts that failed transiently and were scheduled again.
        public var retried = 0
        public var parked = 0
        public var budgetRefused = 0
        /// Claims given back without a call because an API's circuit was open.
        public var circuitRejected = 0
        /// Answers for rewards someone else had settled meanwhile (nothing changed).
        public var stale = 0
        public var errors = 0
        public var lastError: String?
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { change(&$0) }
    }

    func recordError(_ error: any Error) {
        state.withLock {
            $0.errors += 1
            $0.lastError = "\(error)"
        }
    }
}
