import Synchronization

/// The intake's bookkeeping between its three loops (poll, call, record), in the manner of a key-ordered parallel
/// consumer:
///
/// - **Order per member.** Commands wait in one queue per Kafka key (event + member). A member has at most one
///   command claimed or in a call; its next command becomes ready when that call has answered. Different members
///   run concurrently, so a member with a long backlog never holds the others back.
/// - **Offsets.** Every polled offset stays outstanding until its command is durably settled or scheduled (or
///   needed nothing). The offset committed for a partition is its lowest outstanding one, so a crash redelivers
///   only commands that may not have been recorded.
///
/// Written by hand: no library here tracks per-key order and per-partition completion together.
final class RewardIntakeQueue: Sendable {
    /// One command on its way through the pipeline.
    struct Item: Sendable {
        let idempotencyKey: String
        let member: [UInt8]
        let partition: TopicPartition
        let offset: Int64
    }

    private struct State {
        /// Waiting commands per member; a member is here only while it has some.
        var waiting: [[UInt8]: [Item]] = [:]
        /// Members with a command claimed or in a call.
        var busy: Set<[UInt8]> = []
        /// Members not busy with waiting commands, first come first served (`readyHead` is the next to take).
        var ready: [[UInt8]] = []
        var readyHead = 0
        /// Offsets not yet done, and the offset after the last one polled, per partition.
        var outstanding: [TopicPartition: Set<Int64>] = [:]
        var polledUpTo: [TopicPartition: Int64] = [:]
        var committed: [TopicPartition: Int64] = [:]
        /// Items added and not done.
        var buffered = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Items added and not yet done: the poller reads ahead only while this is low.
    var buffered: Int { state.withLock { $0.buffered } }

    /// Takes polled commands in (their partition's offset order).
    func add(_ items: [Item]) {
        guard !items.isEmpty else { return }
        state.withLock { state in
            for item in items {
                state.buffered += 1
                state.outstanding[item.partition, default: []].insert(item.offset)
                state.polledUpTo[item.partition] = max(state.polledUpTo[item.partition] ?? 0, item.offset + 1)
                if state.waiting[item.member] == nil {
                    state.waiting[item.member] = [item]
                    if !state.busy.contains(item.member) { state.ready.append(item.member) }
                } else {
                    state.waiting[item.member]!.append(item)
                }
            }
        }
    }

    /// Offsets polled that need no settling (a malformed command once dead-lettered): counted as done at once.
    func passed(_ partition: TopicPartition, offset: Int64) {
        state.withLock { state in
            state.polledUpTo[partition] = max(state.polledUpTo[partition] ?? 0, offset + 1)
        }
    }

    /// Up to `limit` ready commands, each of a different member, who become busy.
    func takeReady(limit: Int) -> [Item] {
        state.withLock { state in
            var taken: [Item] = []
            while taken.count < limit, state.readyHead < state.ready.count {
                let member = state.ready[state.readyHead]
                state.readyHead += 1
                guard !state.busy.contains(member), var queue = state.waiting[member], !queue.isEmpty else { continue }
                taken.append(queue.removeFirst())
                state.waiting[member] = queue.isEmpty ? nil : queue
                state.busy.insert(member)
            }
            if state.readyHead > 1_024, state.readyHead * 2 > state.ready.count {
                state.ready.removeFirst(state.readyHead)
                state.readyHead = 0
            }
            return taken
        }
    }

    /// The member's current command has its answer (or needed no call): its next one may go.
    func release(member: [UInt8]) {
        state.withLock { state in
            // Only a busy member can become ready here, so a member is never listed twice.
            guard state.busy.remove(member) != nil else { return }
            if state.waiting[member] != nil { state.ready.append(member) }
        }
    }

    /// Whether any command is waiting for its turn.
    var hasReady: Bool { state.withLock { $0.readyHead < $0.ready.count } }

    /// The items' commands are durably settled or scheduled: their offsets may be committed.
    func done(_ items: [Item]) {
        guard !items.isEmpty else { return }
        state.withLock { state in
            for item in items {
                state.buffered -= 1
                state.outstanding[item.partition]?.remove(item.offset)
            }
        }
    }

    /// Per partition, the offset to commit now (lowest outstanding, or after the last polled), where it moved
    /// since the last call. Partitions with nothing outstanding are forgotten once returned.
    func offsetsToCommit() -> [TopicPartition: Int64] {
        state.withLock { state in
            var result: [TopicPartition: Int64] = [:]
            for (partition, upTo) in state.polledUpTo {
                let outstanding = state.outstanding[partition] ?? []
                let position = outstanding.min() ?? upTo
                if position > state.committed[partition] ?? -1 {
                    result[partition] = position
                    state.committed[partition] = position
                }
                if outstanding.isEmpty {
                    state.outstanding[partition] = nil
                    state.polledUpTo[partition] = nil
                    state.committed[partition] = nil
                }
            }
            return result
        }
    }
}
