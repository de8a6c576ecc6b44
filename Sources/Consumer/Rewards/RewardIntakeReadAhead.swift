/// The intake poller's read-ahead: while `limit` commands are unfinished it pauses its partitions (and keeps
/// polling, for rebalances and liveness); below that it resumes them. A value without I/O, owned by the poller.
struct RewardIntakeReadAhead {
    enum Action: Equatable {
        /// Pause the whole assignment, then report it with ``paused(_:)``.
        case pause
        /// Resume these partitions (the ones paused).
        case resume([TopicPartition])
    }

    /// Unfinished commands from which the poller stops reading.
    let limit: Int
    private var paused: [TopicPartition] = []

    init(limit: Int) {
        self.limit = limit
    }

    /// Before a poll, with `buffered` commands unfinished: whether the poller is full (it then polls briefly, only
    /// to stay in its group), and what to pause or resume first.
    mutating func beforePoll(buffered: Int) -> (full: Bool, action: Action?) {
        let full = buffered >= limit
        if full, paused.isEmpty { return (full, .pause) }
        if !full, !paused.isEmpty {
            defer { paused = [] }
            return (full, .resume(paused))
        }
        return (full, nil)
    }

    /// The partitions that were paused (none if nothing was assigned: the next poll tries again).
    mutating func paused(_ partitions: [TopicPartition]) {
        paused = partitions
    }
}
