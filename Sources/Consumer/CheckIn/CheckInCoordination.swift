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
    /// Lowest offset per partition that was fetched but thrown away during a backoff; sought back to when the
    /// batch is written or given up, paused or not: a partition assigned during the backoff fetches unpaused.
    private var discardedFrom: [PartitionKey: Int64] = [:]
    /// The partitions paused because the database is failing. Pause/resume bump librdkafka's fetch version
    /// (dropping in-flight fetches, and restarting an unpaused partition's fetch from its last seek), so they
    /// happen only on an outage, never per batch, and only partitions in this set are resumed. librdkafka keeps a
    /// partition paused through a revoke and into its next assignment, so a paused partition is resumed when it
    /// is revoked: every assignment starts unpaused, and this set never outlives the outage.
    private var paused: Set<PartitionKey> = []
    /// Per partition, the stored offset that a batch starting after it was sought back to (see
    /// ``seekBackOverGaps(in:)``): a batch that starts at the same place again is written.
    private var soughtBackOverGap: [PartitionKey: Int64] = [:]

    init(retryBackoff: Backoff) {
        self.retryBackoff = retryBackoff
    }

    var assignedPartitionCount: Int { expected.count }

    /// Whether any partition is paused because the database is failing.
    var isPaused: Bool { !paused.isEmpty }

    /// The stored offset this consumer believes a partition has: nil if unassigned, `.some(nil)` if no row yet.
    func expectedOffset(_ partition: PartitionKey) -> Int64?? { expected[partition] }

    // MARK: Rebalances

    /// librdkafka is assigning partitions (eager: after revoking everything), whose stored offsets are read next
    /// (``assigned(_:stored:)``). A batch being collected is dropped (its owner fetches it again). The partitions
    /// start from their stored offsets, unpaused (``revoked(_:)`` resumed the paused ones), so what was discarded
    /// before is fetched again.
    mutating func assigning() {
        markRebalanced()
        discardedFrom.removeAll()
        soughtBackOverGap.removeAll()
    }

    /// The stored offsets of the assigned partitions were read (absent: no row yet).
    mutating func assigned(_ partitions: [PartitionKey], stored: [PartitionKey: Int64]) {
        for partition in partitions { expected.updateValue(stored[partition], forKey: partition) }
    }

    /// librdkafka is revoking `partitions`. Nothing is being written: batches are written between polls, and this
    /// runs inside one. Paused partitions are resumed on their way out, or librdkafka would keep them paused when
    /// they are assigned again, while this consumer believes a new assignment fetches.
    mutating func revoked(_ partitions: [PartitionKey]) -> [Action] {
        markRebalanced()
        var committed: [PartitionKey: Int64] = [:]
        var resumed: [PartitionKey] = []
        for partition in partitions {
            if let offset = expected[partition] ?? nil { committed[partition] = offset }
            expected.removeValue(forKey: partition)
            discardedFrom.removeValue(forKey: partition)
            soughtBackOverGap.removeValue(forKey: partition)
            if paused.remove(partition) != nil { resumed.append(partition) }
        }
        return (committed.isEmpty ? [] : [.commitToKafka(committed, synchronously: true)])
            + (resumed.isEmpty ? [] : [.resumeFetching(resumed.sorted())])
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
        var batch = batch
        let seeks = seekBackOverGaps(in: &batch)
        guard !batch.isEmpty else {
            phase = .idle
            return seeks
        }
        phase = .writing(Attempt(batch: batch, backoff: retryBackoff))
        return seeks + [.write(batch, fence: fence(for: batch))]
    }

    /// Defence in depth. The fence only compares stored offsets, so a batch that starts after a partition's stored
    /// offset would be written over a gap: messages fetched and lost on the way (nothing here should lose any; a
    /// missed seek would). Such a partition's messages are dropped from the batch and it is sought back to its
    /// stored offset, once: a batch that starts at the same place again shows that the log itself has nothing in
    /// between (retention deleted it, or a transaction marker sits there), and it is written.
    private mutating func seekBackOverGaps(in batch: inout [KafkaMessage]) -> [Action] {
        var seeks: [PartitionKey: Int64] = [:]
        var seen: Set<PartitionKey> = []
        for message in batch {
            // Each partition's messages come in offset order: the first one seen is where its batch starts.
            let partition = PartitionKey(message)
            guard seen.insert(partition).inserted, let stored = expected[partition] ?? nil, message.offset > stored,
                soughtBackOverGap[partition] != stored
            else { continue }
            seeks[partition] = stored
            soughtBackOverGap[partition] = stored
        }
        guard !seeks.isEmpty else { return [] }
        batch.removeAll { seeks.keys.contains(PartitionKey($0)) }
        return [.seekBackOverGap(seeks)]
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
        // Partitions assigned since the outage began fetch unpaused: they are paused now.
        let unpaused = expected.keys.filter { !paused.contains($0) }.sorted()
        return (unpaused.isEmpty ? [] : [.pauseFetching(unpaused)]) + [.keepAlive(delay)]
    }

    /// The backoff passed: write again what is still assigned. If a rebalance took all of it, the outage ends here
    /// as if the batch were written.
    mutating func backoffEnded() -> [Action] {
        guard case .writing(var attempt) = phase else { return [] }
        phase = .idle
        if attempt.rebalanced {
            attempt.batch.removeAll { !expected.keys.contains(PartitionKey($0)) }
            attempt.rebalanced = false
        }
        guard !attempt.batch.isEmpty else { return recover() }
        phase = .writing(attempt)
        return [.write(attempt.batch, fence: fence(for: attempt.batch))]
    }

    // MARK: Pausing

    mutating func fetchingPaused(_ partitions: [PartitionKey]) {
        paused.formUnion(partitions)
    }

    /// A message polled while waiting out a backoff is thrown away and remembered, so recovery seeks back to it
    /// and nothing is skipped.
    mutating func discarded(_ message: KafkaMessage) {
        let partition = PartitionKey(message)
        discardedFrom[partition] = min(discardedFrom[partition] ?? .max, message.offset)
    }

    /// The outage is over (the batch was written, fenced or taken by a rebalance): seek back to whatever was
    /// discarded, whether or not its partition is paused (one assigned during the backoff is not), then resume
    /// what was paused. The seeks come first, so a resumed partition fetches from where they put it.
    private mutating func recover() -> [Action] {
        var seeks: [PartitionKey: Int64] = [:]
        for (partition, offset) in discardedFrom {
            seeks[partition] = max(offset, (expected[partition] ?? nil) ?? offset)
        }
        let resumed = paused.sorted()
        discardedFrom.removeAll()
        paused.removeAll()
        return (seeks.isEmpty ? [] : [.seek(seeks)]) + (resumed.isEmpty ? [] : [.resumeFetching(resumed)])
    }

    private func fence(for batch: [KafkaMessage]) -> [PartitionKey: Int64?] {
        var fence: [PartitionKey: Int64?] = [:]
        for partition in Set(batch.map(PartitionKey.init)) {
            fence.updateValue(expected[partition] ?? nil, forKey: partition)
        }
        return fence
    }
}
