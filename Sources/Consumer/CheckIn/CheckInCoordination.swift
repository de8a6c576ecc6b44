import Projections

/// What the check-in consumer believes about its partitions and its batch in flight, as a state machine: every
/// event the consumer thread sees (a rebalance, a poll, a write's outcome, the end of a backoff) is a transition,
/// and each transition returns the actions the worker performs, in order. Nothing here does I/O, so every
/// sequence the consumer can meet (a fence after a failed attempt, a revoke while a batch is collected, an
/// outage and then a rebalance, a refused message isolated by halving) is unit-tested without Kafka or Postgres.
///
/// The batch is written in a loop of attempts: `write`, and on failure pause fetching, keep polling for a backoff
/// (`keepAlive`), and write again. After `refusalsBeforeIsolation` refusals that no retry will fix, the batch is
/// halved until the refused message is found and set aside; the rest is written in order.
struct CheckInCoordination {
    /// Attempts with the same non-retriable database error before the batch is split to find the culprit.
    static let refusalsBeforeIsolation = 3

    /// What the worker does, in the order returned. An action whose outcome the worker reports (a write, a
    /// keep-alive, a resynchronisation) comes last in its list: the report's transition returns the next actions.
    enum Action {
        /// Write the messages in one transaction whose stored offsets move from `fence`; report `written`,
        /// `fenced` or `writeFailed`.
        case write([KafkaMessage], fence: [PartitionKey: Int64?])
        /// Isolating: write this part of a refused batch; report `written`, `sliceRefused` or `isolationFailed`.
        case writeSlice([KafkaMessage], fence: [PartitionKey: Int64?])
        /// Isolating: the database refuses this message alone; set it aside to the DLQ with its offset and report
        /// `written` or `isolationFailed`.
        case setAside(KafkaMessage, refusal: PostgresError, fence: [PartitionKey: Int64?])
        /// Open the connection to isolate a refused message on; report `isolationStarted` or `isolationFailed`.
        case prepareIsolation
        /// Follow the stored offsets to Kafka (only lag tooling reads them).
        case commitToKafka([PartitionKey: Int64], synchronously: Bool)
        /// Another consumer moved these partitions' stored offsets: re-read them, report each with
        /// `storedOffsetReread` (seeking to what it returns) and then `resynchronised`.
        case resynchronise([PartitionKey])
        /// Pause fetching of the whole assignment; report `fetchingPaused` if anything was assigned.
        case pauseFetching
        /// Poll (serving rebalances and heartbeats) for this long, reporting every message with `discarded`;
        /// then report `backoffEnded`.
        case keepAlive(Duration)
        /// Seek the partitions back to where their discarded messages start and resume fetching the assignment;
        /// report `fetchingResumed` if anything was assigned.
        case resumeFetching(seekTo: [PartitionKey: Int64])
    }

    private enum Phase {
        /// Neither collecting nor writing (also while leaving the group).
        case idle
        /// Polling for a batch; a rebalance meanwhile drops what was collected.
        case collecting(rebalanced: Bool)
        case writing(Attempt)
    }

    private struct Attempt {
        var batch: [KafkaMessage]
        var refusals = 0
        var backoff: Backoff
        /// A rebalance happened since this attempt started: messages of partitions no longer assigned are dropped.
        var rebalanced = false
        /// Isolating a refused message: the slice being written and the ones still to write, next last.
        var isolation: Isolation?
    }

    private struct Isolation {
        var current: [KafkaMessage]
        var pending: [[KafkaMessage]] = []
    }

    private let retryBackoff: Backoff
    private var phase = Phase.idle
    /// The stored next offset of every assigned partition, as last read or written (nil: no row yet).
    private var expected: [PartitionKey: Int64?] = [:]
    /// Lowest offset per partition that was fetched but thrown away during a backoff; sought back to on recovery.
    private var discardedFrom: [PartitionKey: Int64] = [:]
    /// Whether fetching is paused because the database is failing. Pause/resume bump librdkafka's fetch version
    /// (dropping in-flight fetches), so they happen only on an outage, never per batch.
    private(set) var isPaused = false

    init(retryBackoff: Backoff) {
        self.retryBackoff = retryBackoff
    }

    var assignedPartitionCount: Int { expected.count }

    /// The stored offset this consumer believes a partition has: nil if unassigned, `.some(nil)` if no row yet.
    func expectedOffset(_ partition: PartitionKey) -> Int64?? { expected[partition] }

    // MARK: Rebalances

    /// librdkafka is assigning partitions (eager: after revoking everything), whose stored offsets are read next
    /// (``assigned(_:stored:)``). A batch being collected is dropped (its owner fetches it again); a new assignment
    /// starts unpaused.
    mutating func assigning() {
        markRebalanced()
        discardedFrom.removeAll()
        isPaused = false
    }

    /// The stored offsets of the assigned partitions were read (absent: no row yet).
    mutating func assigned(_ partitions: [PartitionKey], stored: [PartitionKey: Int64]) {
        for partition in partitions { expected.updateValue(stored[partition], forKey: partition) }
    }

    /// librdkafka is revoking `partitions`. Nothing is being written: batches are written between polls, and this
    /// runs inside one.
    mutating func revoked(_ partitions: [PartitionKey]) -> [Action] {
        markRebalanced()
        var committed: [PartitionKey: Int64] = [:]
        for partition in partitions {
            if let offset = expected[partition] ?? nil { committed[partition] = offset }
            expected.removeValue(forKey: partition)
            discardedFrom.removeValue(forKey: partition)
        }
        return committed.isEmpty ? [] : [.commitToKafka(committed, synchronously: true)]
    }

    private mutating func markRebalanced() {
        switch phase {
        case .idle:
            break
        case .collecting:
            phase = .collecting(rebalanced: true)
        case .writing(var attempt):
            phase = .idle
            attempt.rebalanced = true
            phase = .writing(attempt)
        }
    }

    // MARK: Collecting a batch

    mutating func collectionStarted() {
        phase = .collecting(rebalanced: false)
    }

    /// A poll returned (`message` nil: nothing arrived in time). Keeps the message if its partition is assigned,
    /// after dropping `batch` if a rebalance happened inside that poll or an earlier one.
    mutating func polled(_ message: KafkaMessage?, into batch: inout [KafkaMessage]) {
        if case .collecting(rebalanced: true) = phase {
            // Eager rebalance: every partition was revoked and (re)assigned from its stored offset, so whatever
            // the batch holds will be fetched again by its owner.
            batch.removeAll()
            phase = .collecting(rebalanced: false)
        }
        guard let message, expected.keys.contains(PartitionKey(message)) else { return }
        batch.append(message)
    }

    /// Collection ended: the first attempt to write the batch (nothing for an empty batch).
    mutating func batchCollected(_ batch: [KafkaMessage]) -> [Action] {
        guard !batch.isEmpty else {
            phase = .idle
            return []
        }
        phase = .writing(Attempt(batch: batch, backoff: retryBackoff))
        return [.write(batch, fence: fence(for: batch))]
    }

    // MARK: Writing

    /// A write (of the batch, a slice or a set-aside message) committed; `nextOffsets` are now stored.
    mutating func written(nextOffsets: [PartitionKey: Int64]) -> [Action] {
        for (partition, next) in nextOffsets { expected.updateValue(next, forKey: partition) }
        let commit: [Action] = nextOffsets.isEmpty ? [] : [.commitToKafka(nextOffsets, synchronously: false)]
        guard case .writing(var attempt) = phase, var isolation = attempt.isolation,
            let slice = isolation.pending.popLast()
        else {
            phase = .idle
            return commit + recover()
        }
        phase = .idle
        isolation.current = slice
        attempt.isolation = isolation
        phase = .writing(attempt)
        return commit + [.writeSlice(slice, fence: fence(for: slice))]
    }

    /// Another consumer moved the stored offsets of `partitions`: this view is stale, the batch is dropped, and
    /// the partitions continue from what is stored.
    mutating func fenced(_ partitions: [PartitionKey]) -> [Action] {
        phase = .idle
        return [.resynchronise(partitions)]
    }

    /// The stored offset of a fenced partition was re-read: returns where to seek it (nil: not assigned any more,
    /// or nothing stored).
    mutating func storedOffsetReread(_ partition: PartitionKey, stored: Int64?) -> Int64? {
        guard expected.keys.contains(partition) else { return nil }
        expected.updateValue(stored, forKey: partition)
        return stored
    }

    /// The fence was handled (or re-reading failed): fetching resumes if a failed attempt had paused it — a fence
    /// often follows one (the connection dropped during a COMMIT that the server completed).
    mutating func resynchronised() -> [Action] {
        recover()
    }

    /// A write of the whole batch failed. `refusal`: the database refused it, non-retriably, although the
    /// connection is fine (some message carries what no retry will fix). `stopping`: the batch is given up; the
    /// stored offsets bring it back to whoever consumes next.
    mutating func writeFailed(refusal: PostgresError?, stopping: Bool) -> [Action] {
        guard case .writing(var attempt) = phase, !stopping else {
            phase = .idle
            return []
        }
        if refusal != nil {
            attempt.refusals += 1
            if attempt.refusals >= Self.refusalsBeforeIsolation {
                phase = .writing(attempt)
                return [.prepareIsolation]
            }
        }
        phase = .writing(attempt)
        return retryLater()
    }

    /// Isolation can start: the whole batch is tried once more, then halved around refusals.
    mutating func isolationStarted() -> [Action] {
        guard case .writing(var attempt) = phase else { return [] }
        phase = .idle
        attempt.isolation = Isolation(current: attempt.batch)
        phase = .writing(attempt)
        return [.writeSlice(attempt.batch, fence: fence(for: attempt.batch))]
    }

    /// The database refused the slice being isolated: halve it (halves in order, so each partition keeps its
    /// order), or set a single message aside.
    mutating func sliceRefused(_ refusal: PostgresError) -> [Action] {
        guard case .writing(var attempt) = phase, var isolation = attempt.isolation else { return [] }
        phase = .idle
        defer { phase = .writing(attempt) }
        let slice = isolation.current
        guard slice.count > 1 else {
            return [.setAside(slice[0], refusal: refusal, fence: fence(for: slice))]
        }
        let middle = slice.count / 2
        isolation.pending.append(Array(slice[middle...]))
        isolation.current = Array(slice[..<middle])
        attempt.isolation = isolation
        return [.writeSlice(isolation.current, fence: fence(for: isolation.current))]
    }

    /// Isolating failed (the connection, a fence, or a refusal of the set-aside itself): back to retrying the
    /// batch, whose committed slices the unique keys absorb.
    mutating func isolationFailed() -> [Action] {
        guard case .writing(var attempt) = phase else { return [] }
        phase = .idle
        attempt.isolation = nil
        phase = .writing(attempt)
        return retryLater()
    }

    /// Stop fetching while the database is failing, but keep polling so the group keeps this member.
    private mutating func retryLater() -> [Action] {
        guard case .writing(var attempt) = phase else { return [] }
        phase = .idle
        attempt.rebalanced = false
        let delay = attempt.backoff.next()
        phase = .writing(attempt)
        return (isPaused ? [] : [.pauseFetching]) + [.keepAlive(delay)]
    }

    /// The backoff passed: write again what is still assigned (nothing if a rebalance took all of it).
    mutating func backoffEnded() -> [Action] {
        guard case .writing(var attempt) = phase else { return [] }
        phase = .idle
        if attempt.rebalanced {
            attempt.batch.removeAll { !expected.keys.contains(PartitionKey($0)) }
            attempt.rebalanced = false
        }
        guard !attempt.batch.isEmpty else { return [] }
        phase = .writing(attempt)
        return [.write(attempt.batch, fence: fence(for: attempt.batch))]
    }

    // MARK: Pausing

    mutating func fetchingPaused() {
        isPaused = true
    }

    /// A message polled while waiting out a backoff is thrown away and remembered, so recovery seeks back to it
    /// and nothing is skipped.
    mutating func discarded(_ message: KafkaMessage) {
        let partition = PartitionKey(message)
        discardedFrom[partition] = min(discardedFrom[partition] ?? .max, message.offset)
    }

    /// Fetching resumed with the seeks of `resumeFetching`: the discarded offsets are behind us.
    mutating func fetchingResumed() {
        discardedFrom.removeAll()
    }

    private mutating func recover() -> [Action] {
        guard isPaused else { return [] }
        isPaused = false
        var seeks: [PartitionKey: Int64] = [:]
        for (partition, offset) in discardedFrom {
            seeks[partition] = max(offset, (expected[partition] ?? nil) ?? offset)
        }
        return [.resumeFetching(seekTo: seeks)]
    }

    private func fence(for batch: [KafkaMessage]) -> [PartitionKey: Int64?] {
        var fence: [PartitionKey: Int64?] = [:]
        for partition in Set(batch.map(PartitionKey.init)) {
            fence.updateValue(expected[partition] ?? nil, forKey: partition)
        }
        return fence
    }
}
