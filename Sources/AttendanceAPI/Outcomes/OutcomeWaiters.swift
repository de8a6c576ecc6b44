import Synchronization

/// Requests waiting for their outcome, by (event, request id), woken by the ``OutcomeFeed``.
///
/// A waiter registers *before* the API looks the outcome up or produces the request, so an outcome that
/// arrives in between is not missed: the slot remembers it was notified and the wait returns at once.
public final class OutcomeWaiters: Sendable {
    public struct Key: Hashable, Sendable {
        public let eventID: Int64
        public let requestID: String

        public init(eventID: Int64, requestID: String) {
            self.eventID = eventID
            self.requestID = requestID
        }
    }

    public struct Ticket: Sendable {
        let key: Key
        let id: UInt64
    }

    private enum Slot {
        case registered
        case waiting(CheckedContinuation<Bool, Never>)
        case notified
    }

    private struct State {
        var nextID: UInt64 = 0
        var slots: [Key: [UInt64: Slot]] = [:]
        var waitersPerEvent: [Int64: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Requests waiting right now (a gauge).
    public var count: Int { state.withLock { $0.waitersPerEvent.values.reduce(0, +) } }

    /// Whether anyone waits for an outcome of `eventID` (the feed skips parsing the rest).
    public func hasWaiters(eventID: Int64) -> Bool {
        state.withLock { $0.waitersPerEvent[eventID] != nil }
    }

    public func register(_ key: Key) -> Ticket {
        state.withLock { state in
            state.nextID &+= 1
            state.slots[key, default: [:]][state.nextID] = .registered
            state.waitersPerEvent[key.eventID, default: 0] += 1
            return Ticket(key: key, id: state.nextID)
        }
    }

    /// Waits until the outcome of the ticket's request was published, `timeout` passed, or the task was
    /// cancelled; true when it was published. Removes the ticket either way.
    public func wait(_ ticket: Ticket, timeout: Duration) async -> Bool {
        guard timeout > .zero else {
            return remove(ticket, resuming: false)
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow: Bool? = self.state.withLock { state in
                        switch state.slots[ticket.key]?[ticket.id] {
                        case .registered:
                            state.slots[ticket.key]?[ticket.id] = .waiting(continuation)
                            return nil
                        case .notified:
                            return true
                        case .waiting, nil:
                            return false  // already removed (timed out or cancelled first)
                        }
                    }
                    if let resumeNow {
                        _ = self.remove(ticket, resuming: resumeNow)
                        continuation.resume(returning: resumeNow)
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return self.remove(ticket, resuming: false)
            }
            let first = await group.next() ?? false
            group.cancelAll()
            // The sleeper removed the slot (resuming a parked waiter with false) or the waiter was woken; either
            // way the other child finishes promptly.
            _ = self.remove(ticket, resuming: false)
            return first
        }
    }

    /// Forgets a ticket that will not be waited on (the outcome was already recorded).
    public func cancel(_ ticket: Ticket) {
        _ = remove(ticket, resuming: false)
    }

    /// Wakes everyone waiting for `key`.
    public func notify(_ key: Key) {
        let continuations: [CheckedContinuation<Bool, Never>] = state.withLock { state in
            guard var slots = state.slots[key] else { return [] }
            var waking: [CheckedContinuation<Bool, Never>] = []
            for (id, slot) in slots {
                switch slot {
                case .waiting(let continuation):
                    waking.append(continuation)
                    slots[id] = nil
                    Self.decrement(&state, key.eventID)
                case .registered:
                    slots[id] = .notified
                case .notified:
                    break
                }
            }
            state.slots[key] = slots.isEmpty ? nil : slots
            return waking
        }
        for continuation in continuations { continuation.resume(returning: true) }
    }

    /// Removes the ticket's slot; resumes a parked continuation with `resuming`. Returns whether the slot had been
    /// notified (so a timeout racing a notification still reports it).
    private func remove(_ ticket: Ticket, resuming: Bool) -> Bool {
        let (slot, _) = state.withLock { state -> (Slot?, Void) in
            guard let slot = state.slots[ticket.key]?.removeValue(forKey: ticket.id) else { return (nil, ()) }
            if state.slots[ticket.key]?.isEmpty == true { state.slots[ticket.key] = nil }
            Self.decrement(&state, ticket.key.eventID)
            return (slot, ())
        }
        switch slot {
        case .waiting(let continuation):
            continuation.resume(returning: resuming)
            return resuming
        case .notified:
            return true
        case .registered, nil:
            return false
        }
    }

    private static func decrement(_ state: inout State, _ eventID: Int64) {
        let left = (state.waitersPerEvent[eventID] ?? 1) - 1
        state.waitersPerEvent[eventID] = left > 0 ? left : nil
    }
}
