import Projections
import Testing

@testable import Consumer

/// The check-in consumer's coordination, sequence by sequence, without Kafka or Postgres: each test feeds the
/// events the consumer thread would see and checks the actions, written as a trace (`write p0@10-11 from p0:10`).
@Suite("Check-in coordination: fences, rebalances, outages and refusals as transitions")
struct CheckInCoordinationTests {
    static let p0 = PartitionKey(topic: "checkins", partition: 0)
    static let p1 = PartitionKey(topic: "checkins", partition: 1)

    static func message(_ partition: PartitionKey, _ offset: Int64) -> KafkaMessage {
        KafkaMessage(topic: partition.topic, partition: partition.partition, offset: offset)
    }

    static func messages(_ partition: PartitionKey, _ offsets: ClosedRange<Int64>) -> [KafkaMessage] {
        offsets.map { message(partition, $0) }
    }

    static let refusal = PostgresError(
        code: .queryFailed,
        sqlState: "22023",
        message: "refused by the test",
        isRetriable: false
    )

    /// A machine with `stored` assigned, that has collected `batch` (returns the first attempt's actions).
    static func machine(
        stored: [PartitionKey: Int64?],
        collecting batch: [KafkaMessage]
    ) -> (CheckInCoordination, [String]) {
        var machine = CheckInCoordination(retryBackoff: Backoff(initial: .milliseconds(1), maximum: .milliseconds(8)))
        machine.assigning()
        machine.assigned(Array(stored.keys), stored: stored.compactMapValues { $0 })
        machine.collectionStarted()
        var collected: [KafkaMessage] = []
        for message in batch { machine.polled(message, into: &collected) }
        let actions = trace(machine.batchCollected(collected))
        return (machine, actions)
    }

    // MARK: Collecting and writing

    @Test(.timeLimit(.minutes(1)))
    func aBatchIsFencedByTheStoredOffsetsAndItsNewOffsetsFollowToKafka() {
        var (machine, first) = Self.machine(
            stored: [Self.p0: 10, Self.p1: nil],
            collecting: Self.messages(Self.p0, 10...11) + [Self.message(Self.p1, 0)]
        )
        #expect(first == ["write p0@10-11,p1@0 from p0:10,p1:-"])
        #expect(trace(machine.written(nextOffsets: [Self.p0: 12, Self.p1: 1])) == ["kafka p0:12,p1:1"])
        #expect(machine.expectedOffset(Self.p1) == .some(1))

        // The next batch is fenced by what the last one stored.
        machine.collectionStarted()
        var batch: [KafkaMessage] = []
        machine.polled(Self.message(Self.p0, 12), into: &batch)
        machine.polled(nil, into: &batch)
        #expect(trace(machine.batchCollected(batch)) == ["write p0@12 from p0:12"])
    }

    @Test(.timeLimit(.minutes(1)))
    func messagesOfPartitionsNotAssignedAreNotCollectedAndAnEmptyBatchIsNotWritten() {
        let (_, actions) = Self.machine(stored: [Self.p0: 10], collecting: [Self.message(Self.p1, 3)])
        #expect(actions.isEmpty)
    }

    // MARK: Rebalances

    @Test(.timeLimit(.minutes(1)))
    func aRevokeWhileCollectingDropsTheBatchAndCommitsTheStoredOffsetsSynchronously() {
        var machine = CheckInCoordination(retryBackoff: Backoff())
        machine.assigning()
        machine.assigned([Self.p0, Self.p1], stored: [Self.p0: 10])
        machine.collectionStarted()
        var batch: [KafkaMessage] = []
        machine.polled(Self.message(Self.p0, 10), into: &batch)
        machine.polled(Self.message(Self.p1, 0), into: &batch)

        // Inside the next poll: revoke everything (p1 has no stored offset, so nothing to commit for it),
        // then p1 comes back alone.
        #expect(trace(machine.revoked([Self.p0, Self.p1])) == ["kafka p0:10 (sync)"])
        #expect(machine.assignedPartitionCount == 0)
        machine.assigning()
        machine.assigned([Self.p1], stored: [:])
        machine.polled(Self.message(Self.p1, 0), into: &batch)

        // What was collected before the rebalance is re-fetched by its owner; the new fetch is kept.
        #expect(batch.map(\.offset) == [0])
        #expect(batch.map(\.partition) == [1])
        machine.polled(Self.message(Self.p0, 11), into: &batch)
        #expect(trace(machine.batchCollected(batch)) == ["write p1@0 from p1:-"])
    }

    @Test(.timeLimit(.minutes(1)))
    func aRebalanceBetweenBatchesChangesNothingButTheAssignment() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: [Self.message(Self.p0, 10)])
        _ = machine.written(nextOffsets: [Self.p0: 11])
        #expect(trace(machine.revoked([Self.p0])) == ["kafka p0:11 (sync)"])
        #expect(machine.expectedOffset(Self.p0) == nil)
        #expect(trace(machine.revoked([Self.p0])).isEmpty)  // a second revoke has nothing to commit
    }

    // MARK: Outages

    @Test(.timeLimit(.minutes(1)))
    func anOutagePausesFetchingOnceAndRecoverySeeksBackToTheFirstDiscardedMessage() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...11))
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["pause p0", "keep alive"])
        machine.fetchingPaused([Self.p0])
        // Fetched before the pause took effect, and thrown away.
        machine.discarded(Self.message(Self.p0, 13))
        machine.discarded(Self.message(Self.p0, 12))
        #expect(trace(machine.backoffEnded()) == ["write p0@10-11 from p0:10"])
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["keep alive"])  // already paused
        #expect(trace(machine.backoffEnded()) == ["write p0@10-11 from p0:10"])

        #expect(trace(machine.written(nextOffsets: [Self.p0: 12])) == ["kafka p0:12", "seek p0:12", "resume p0"])
        #expect(!machine.isPaused)
        // The discards are forgotten: a later outage seeks only to what it discards itself.
        machine.collectionStarted()
        var batch: [KafkaMessage] = []
        machine.polled(Self.message(Self.p0, 12), into: &batch)
        _ = machine.batchCollected(batch)
        _ = machine.writeFailed(refusal: nil, stopping: false)
        machine.fetchingPaused([Self.p0])
        _ = machine.backoffEnded()
        #expect(trace(machine.written(nextOffsets: [Self.p0: 13])) == ["kafka p0:13", "resume p0"])
    }

    @Test(.timeLimit(.minutes(1)))
    func recoveryNeverSeeksBehindWhatIsStored() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...11))
        _ = machine.writeFailed(refusal: nil, stopping: false)
        machine.fetchingPaused([Self.p0])
        machine.discarded(Self.message(Self.p0, 10))  // a message of the batch itself, fetched again
        _ = machine.backoffEnded()
        #expect(trace(machine.written(nextOffsets: [Self.p0: 12])) == ["kafka p0:12", "seek p0:12", "resume p0"])
    }

    @Test(.timeLimit(.minutes(1)))
    func anEmptyAssignmentIsNotPausedSoNothingIsResumed() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: [Self.message(Self.p0, 10)])
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["pause p0", "keep alive"])
        // The worker found nothing assigned and did not report `fetchingPaused`: the next failure asks again.
        _ = machine.backoffEnded()
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["pause p0", "keep alive"])
        _ = machine.backoffEnded()
        #expect(trace(machine.written(nextOffsets: [Self.p0: 11])) == ["kafka p0:11"])
    }

    @Test(.timeLimit(.minutes(1)))
    func stoppingGivesTheBatchUpWithoutWaiting() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: [Self.message(Self.p0, 10)])
        #expect(trace(machine.writeFailed(refusal: nil, stopping: true)).isEmpty)
        #expect(trace(machine.backoffEnded()).isEmpty)
        #expect(machine.expectedOffset(Self.p0) == .some(10))
    }

    @Test(.timeLimit(.minutes(1)))
    func anOutageThenARebalanceRetriesOnlyWhatIsStillAssignedFromItsStoredOffset() {
        var (machine, _) = Self.machine(
            stored: [Self.p0: 10, Self.p1: 20],
            collecting: Self.messages(Self.p0, 10...11) + Self.messages(Self.p1, 20...21)
        )
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["pause p0,p1", "keep alive"])
        machine.fetchingPaused([Self.p0, Self.p1])
        machine.discarded(Self.message(Self.p0, 12))
        machine.discarded(Self.message(Self.p1, 22))

        // While waiting out the backoff, another member joins: p0 goes to it, p1 comes back. librdkafka would keep
        // both paused into any later assignment, so they are resumed on their way out.
        #expect(trace(machine.revoked([Self.p0, Self.p1])) == ["kafka p0:10,p1:20 (sync)", "resume p0,p1"])
        #expect(!machine.isPaused)
        machine.assigning()
        machine.assigned([Self.p1], stored: [Self.p1: 20])
        #expect(!machine.isPaused)

        #expect(trace(machine.backoffEnded()) == ["write p1@20-21 from p1:20"])
        // Nothing to resume: the assignment started unpaused from the stored offsets.
        #expect(trace(machine.written(nextOffsets: [Self.p1: 22])) == ["kafka p1:22"])
    }

    @Test(.timeLimit(.minutes(1)))
    func anOutageThenARebalanceThatTakesTheWholeBatchEndsIt() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...11))
        _ = machine.writeFailed(refusal: nil, stopping: false)
        machine.fetchingPaused([Self.p0])
        #expect(trace(machine.revoked([Self.p0])) == ["kafka p0:10 (sync)", "resume p0"])
        machine.assigning()
        machine.assigned([Self.p1], stored: [:])
        #expect(trace(machine.backoffEnded()).isEmpty)
        #expect(!machine.isPaused)
    }

    /// The new partition fetches unpaused while the backoff runs; with no batch left to write, the outage ends when
    /// the backoff does, and what was thrown away is fetched again.
    @Test(.timeLimit(.minutes(1)))
    func anOutageThenARebalanceThatTakesTheWholeBatchSeeksBackToWhatTheNewPartitionThrewAway() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...11))
        _ = machine.writeFailed(refusal: nil, stopping: false)
        machine.fetchingPaused([Self.p0])
        _ = machine.revoked([Self.p0])
        machine.assigning()
        machine.assigned([Self.p1], stored: [Self.p1: 5])
        for offset in Int64(5)...7 { machine.discarded(Self.message(Self.p1, offset)) }
        #expect(trace(machine.backoffEnded()) == ["seek p1:5"])
        #expect(!machine.isPaused)
    }

    /// Messages fetched after the reassignment, while the backoff still runs, are thrown away although the
    /// partition is not paused any more; once the retry succeeds they are sought back to, or the next batch would
    /// start after them.
    @Test(.timeLimit(.minutes(1)))
    func anOutageThenAReassignmentSeeksBackToWhatTheBackoffThrewAway() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...11))
        _ = machine.writeFailed(refusal: nil, stopping: false)
        machine.fetchingPaused([Self.p0])
        #expect(trace(machine.revoked([Self.p0])) == ["kafka p0:10 (sync)", "resume p0"])
        machine.assigning()
        machine.assigned([Self.p0], stored: [Self.p0: 10])
        // The reassigned partition fetches from its stored offset, unpaused, while the backoff still runs.
        for offset in Int64(10)...13 { machine.discarded(Self.message(Self.p0, offset)) }
        #expect(trace(machine.backoffEnded()) == ["write p0@10-11 from p0:10"])
        // Nothing is paused, so nothing is resumed; the seek alone brings back 12 and 13.
        #expect(trace(machine.written(nextOffsets: [Self.p0: 12])) == ["kafka p0:12", "seek p0:12"])
        #expect(!machine.isPaused)

        machine.collectionStarted()
        var batch: [KafkaMessage] = []
        for message in Self.messages(Self.p0, 12...13) { machine.polled(message, into: &batch) }
        #expect(trace(machine.batchCollected(batch)) == ["write p0@12-13 from p0:12"])
    }

    /// A partition that arrives unpaused during the outage is paused when the retry fails, and resumed with the rest.
    @Test(.timeLimit(.minutes(1)))
    func aPartitionAssignedDuringAnOutageIsPausedWhenTheRetryFails() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...11))
        _ = machine.writeFailed(refusal: nil, stopping: false)
        machine.fetchingPaused([Self.p0])
        _ = machine.revoked([Self.p0])
        machine.assigning()
        machine.assigned([Self.p0, Self.p1], stored: [Self.p0: 10, Self.p1: 20])
        machine.discarded(Self.message(Self.p1, 20))
        #expect(trace(machine.backoffEnded()) == ["write p0@10-11 from p0:10"])
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["pause p0,p1", "keep alive"])
        machine.fetchingPaused([Self.p0, Self.p1])
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["keep alive"])
        #expect(trace(machine.backoffEnded()) == ["write p0@10-11 from p0:10"])
        #expect(
            trace(machine.written(nextOffsets: [Self.p0: 12])) == ["kafka p0:12", "seek p1:20", "resume p0,p1"]
        )
        #expect(!machine.isPaused)
    }

    // MARK: The fence

    @Test(.timeLimit(.minutes(1)))
    func aFenceAfterAFailedAttemptResynchronisesAndResumesFetching() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...11))
        // The connection dropped during a COMMIT that the server completed.
        #expect(trace(machine.writeFailed(refusal: nil, stopping: false)) == ["pause p0", "keep alive"])
        machine.fetchingPaused([Self.p0])
        machine.discarded(Self.message(Self.p0, 12))
        #expect(trace(machine.backoffEnded()) == ["write p0@10-11 from p0:10"])

        #expect(trace(machine.fenced([Self.p0])) == ["resynchronise p0"])
        #expect(machine.storedOffsetReread(Self.p0, stored: 12) == 12)
        #expect(trace(machine.resynchronised()) == ["seek p0:12", "resume p0"])
        #expect(!machine.isPaused)
        // The batch is dropped: a late backoff has nothing to write.
        #expect(trace(machine.backoffEnded()).isEmpty)
        #expect(machine.expectedOffset(Self.p0) == .some(12))
    }

    @Test(.timeLimit(.minutes(1)))
    func aFenceWithoutAnOutageOnlyFollowsTheStoredOffsetsOfPartitionsStillAssigned() {
        var (machine, _) = Self.machine(
            stored: [Self.p0: 10],
            collecting: [Self.message(Self.p0, 10)]
        )
        #expect(trace(machine.fenced([Self.p0, Self.p1])) == ["resynchronise p0,p1"])
        #expect(machine.storedOffsetReread(Self.p1, stored: 5) == nil)  // not assigned here
        #expect(machine.storedOffsetReread(Self.p0, stored: 15) == 15)
        #expect(trace(machine.resynchronised()).isEmpty)
        #expect(machine.expectedOffset(Self.p0) == .some(15))
        #expect(machine.expectedOffset(Self.p1) == nil)
    }

    /// Defence in depth: a batch that starts after what is stored is not written over the gap; the partition is
    /// sought back once, and if the log has nothing in between (retention, a transaction marker) the same start is
    /// written the next time.
    @Test(.timeLimit(.minutes(1)))
    func aBatchThatStartsAfterTheStoredOffsetIsSoughtBackOnceAndThenWritten() {
        var (machine, first) = Self.machine(
            stored: [Self.p0: 10, Self.p1: 20],
            collecting: Self.messages(Self.p0, 12...13) + [Self.message(Self.p1, 20)]
        )
        #expect(first == ["seek back over gap p0:10", "write p1@20 from p1:20"])
        _ = machine.written(nextOffsets: [Self.p1: 21])

        func collect(_ messages: [KafkaMessage]) -> [String] {
            machine.collectionStarted()
            var batch: [KafkaMessage] = []
            for message in messages { machine.polled(message, into: &batch) }
            return trace(machine.batchCollected(batch))
        }
        // After the seek the partition starts at 12 again: nothing lies between 10 and 12.
        #expect(collect(Self.messages(Self.p0, 12...13)) == ["write p0@12-13 from p0:10"])
        _ = machine.written(nextOffsets: [Self.p0: 14])
        // A later gap is sought back again; one that the seek closes is written as usual.
        #expect(collect([Self.message(Self.p0, 16)]) == ["seek back over gap p0:14"])
        #expect(collect(Self.messages(Self.p0, 14...16)) == ["write p0@14-16 from p0:14"])
        // No stored offset yet: wherever the partition starts is fine.
        _ = machine.revoked([Self.p0, Self.p1])
        machine.assigning()
        machine.assigned([Self.p1], stored: [:])
        #expect(collect([Self.message(Self.p1, 40)]) == ["write p1@40 from p1:-"])
    }

    // MARK: Refusals

    @Test(.timeLimit(.minutes(1)))
    func aRefusedMessageIsIsolatedByHalvingTheBatchAndSetAside() {
        let batch = Self.messages(Self.p0, 10...17)
        var (machine, first) = Self.machine(stored: [Self.p0: 10], collecting: batch)
        #expect(first == ["write p0@10-17 from p0:10"])
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["pause p0", "keep alive"])
        machine.fetchingPaused([Self.p0])
        _ = machine.backoffEnded()
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["keep alive"])
        _ = machine.backoffEnded()
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["isolate"])

        // Offset 14 is the one the database refuses; every other write commits.
        let steps = Self.isolate(&machine, refused: [14])
        #expect(
            steps == [
                "slice p0@10-17 from p0:10", "refused",
                "slice p0@10-13 from p0:10", "kafka p0:14",
                "slice p0@14-17 from p0:14", "refused",
                "slice p0@14-15 from p0:14", "refused",
                "slice p0@14 from p0:14", "refused",
                "set aside p0@14 from p0:14", "kafka p0:15",
                "slice p0@15 from p0:15", "kafka p0:16",
                "slice p0@16-17 from p0:16", "kafka p0:18",
                "resume p0",
            ]
        )
        #expect(!machine.isPaused)
        #expect(machine.expectedOffset(Self.p0) == .some(18))
    }

    @Test(.timeLimit(.minutes(1)))
    func halvesKeepTheOrderOfEachPartition() {
        let batch = Self.messages(Self.p0, 0...2) + Self.messages(Self.p1, 0...2)
        var (machine, _) = Self.machine(stored: [Self.p0: 0, Self.p1: 0], collecting: batch)
        for _ in 1..<CheckInCoordination.refusalsBeforeIsolation {
            _ = machine.writeFailed(refusal: Self.refusal, stopping: false)
            _ = machine.backoffEnded()
        }
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["isolate"])
        let steps = Self.isolate(&machine, refused: [1])  // p0@1 and p1@1 alike: the refusal is by offset here
        #expect(
            steps == [
                "slice p0@0-2,p1@0-2 from p0:0,p1:0", "refused",
                "slice p0@0-2 from p0:0", "refused",
                "slice p0@0 from p0:0", "kafka p0:1",
                "slice p0@1-2 from p0:1", "refused",
                "slice p0@1 from p0:1", "refused",
                "set aside p0@1 from p0:1", "kafka p0:2",
                "slice p0@2 from p0:2", "kafka p0:3",
                "slice p1@0-2 from p1:0", "refused",
                "slice p1@0 from p1:0", "kafka p1:1",
                "slice p1@1-2 from p1:1", "refused",
                "slice p1@1 from p1:1", "refused",
                "set aside p1@1 from p1:1", "kafka p1:2",
                "slice p1@2 from p1:2", "kafka p1:3",
            ]
        )
    }

    @Test(.timeLimit(.minutes(1)))
    func onlyRefusalsCountTowardsIsolation() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: [Self.message(Self.p0, 10)])
        let failures: [PostgresError?] = [Self.refusal, nil, Self.refusal, nil]
        for failure in failures {
            #expect(!trace(machine.writeFailed(refusal: failure, stopping: false)).contains("isolate"))
            _ = machine.backoffEnded()
        }
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["isolate"])
    }

    @Test(.timeLimit(.minutes(1)))
    func aFailedIsolationRetriesTheWholeBatchAndIsolatesAgainOnTheNextRefusal() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: Self.messages(Self.p0, 10...13))
        for _ in 1..<CheckInCoordination.refusalsBeforeIsolation {
            _ = machine.writeFailed(refusal: Self.refusal, stopping: false)
            machine.fetchingPaused([Self.p0])
            _ = machine.backoffEnded()
        }
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["isolate"])
        #expect(trace(machine.isolationStarted()) == ["slice p0@10-13 from p0:10"])
        #expect(trace(machine.sliceRefused(Self.refusal)) == ["slice p0@10-11 from p0:10"])
        #expect(trace(machine.written(nextOffsets: [Self.p0: 12])) == ["kafka p0:12", "slice p0@12-13 from p0:12"])
        // The connection drops while isolating: back to waiting, then the whole batch, fenced from what is stored.
        #expect(trace(machine.isolationFailed()) == ["keep alive"])
        #expect(trace(machine.backoffEnded()) == ["write p0@10-13 from p0:12"])
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["isolate"])
    }

    @Test(.timeLimit(.minutes(1)))
    func isolationWithoutAConnectionWaitsLikeAnyFailedAttempt() {
        var (machine, _) = Self.machine(stored: [Self.p0: 10], collecting: [Self.message(Self.p0, 10)])
        for _ in 1..<CheckInCoordination.refusalsBeforeIsolation {
            _ = machine.writeFailed(refusal: Self.refusal, stopping: false)
            _ = machine.backoffEnded()
        }
        #expect(trace(machine.writeFailed(refusal: Self.refusal, stopping: false)) == ["isolate"])
        #expect(trace(machine.isolationFailed()) == ["pause p0", "keep alive"])
    }

    /// Performs the isolation the way the worker does, against a database that refuses every write containing
    /// one of `refused` (by offset); returns the writes and their outcomes.
    static func isolate(_ machine: inout CheckInCoordination, refused: Set<Int64>) -> [String] {
        var steps: [String] = []
        var pending = machine.isolationStarted()[...]
        while let action = pending.popFirst() {
            steps.append(describe(action))
            switch action {
            case .writeSlice(let slice, _):
                if slice.contains(where: { refused.contains($0.offset) }) {
                    steps.append("refused")
                    pending.append(contentsOf: machine.sliceRefused(refusal))
                } else {
                    pending.append(contentsOf: machine.written(nextOffsets: nextOffsets(slice)))
                }
            case .setAside(let message, _, _):
                pending.append(contentsOf: machine.written(nextOffsets: nextOffsets([message])))
            default:
                break
            }
        }
        return steps
    }

    static func nextOffsets(_ messages: [KafkaMessage]) -> [PartitionKey: Int64] {
        var next: [PartitionKey: Int64] = [:]
        for message in messages {
            next[PartitionKey(message)] = max(next[PartitionKey(message)] ?? 0, message.offset + 1)
        }
        return next
    }
}

// MARK: Traces

private func trace(_ actions: [CheckInCoordination.Action]) -> [String] {
    actions.map(describe)
}

private func describe(_ action: CheckInCoordination.Action) -> String {
    switch action {
    case .write(let batch, let fence): "write \(span(batch)) from \(stored(fence))"
    case .writeSlice(let slice, let fence): "slice \(span(slice)) from \(stored(fence))"
    case .setAside(let message, _, let fence): "set aside \(span([message])) from \(stored(fence))"
    case .prepareIsolation: "isolate"
    case .commitToKafka(let offsets, let synchronously): "kafka \(positions(offsets))\(synchronously ? " (sync)" : "")"
    case .resynchronise(let partitions): "resynchronise \(names(partitions))"
    case .pauseFetching(let partitions): "pause \(names(partitions))"
    case .keepAlive: "keep alive"
    case .seek(let offsets): "seek \(positions(offsets))"
    case .seekBackOverGap(let offsets): "seek back over gap \(positions(offsets))"
    case .resumeFetching(let partitions): "resume \(names(partitions))"
    }
}

private func name(_ partition: PartitionKey) -> String { "p\(partition.partition)" }

/// `p0,p1`: partitions in order.
private func names(_ partitions: [PartitionKey]) -> String { partitions.sorted().map(name).joined(separator: ",") }

/// `p0@10-11,p1@0`: the offsets of each partition (contiguous in these tests), partitions in order.
private func span(_ messages: [KafkaMessage]) -> String {
    Dictionary(grouping: messages, by: PartitionKey.init).sorted { $0.key < $1.key }.map { partition, messages in
        let first = messages.first!.offset
        let last = messages.last!.offset
        return "\(name(partition))@\(first)" + (last == first ? "" : "-\(last)")
    }.joined(separator: ",")
}

/// `p0:10,p1:-`: the stored offsets a write moves from, by partition (`-`: no row yet).
private func stored(_ fence: [PartitionKey: Int64?]) -> String {
    fence.sorted { $0.key < $1.key }.map { "\(name($0.key)):\($0.value.map(String.init) ?? "-")" }
        .joined(separator: ",")
}

/// `p0:12,p1:1`: offsets by partition.
private func positions(_ offsets: [PartitionKey: Int64]) -> String {
    offsets.sorted { $0.key < $1.key }.map { "\(name($0.key)):\($0.value)" }.joined(separator: ",")
}
