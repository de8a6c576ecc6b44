internal import CRdKafka
import Dispatch
import Synchronization

/// Collects the delivery results of one `produceAndWait` batch, in input order.
final class DeliveryBatch: Sendable {
    private struct State {
        var results: [Result<DeliveryReport, KafkaError>?]
        var remaining: Int
    }

    private let state: Mutex<State>
    private let complete = DispatchSemaphore(value: 0)

    init(count: Int) {
        state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
        if count == 0 { complete.signal() }
    }

    func record(_ result: Result<DeliveryReport, KafkaError>, at index: Int) {
        let finished = state.withLock { state in
            precondition(state.results[index] == nil, "two delivery reports for message \(index)")
            state.results[index] = result
            state.remaining -= 1
            return state.remaining == 0
        }
        if finished { complete.signal() }
    }

    /// The results so far once all arrived or `deadline` passed; missing ones become `_TIMED_OUT` failures.
    func wait(until deadline: ContinuousClock.Instant) -> [Result<DeliveryReport, KafkaError>] {
        let nanoseconds = deadline.remaining.clampedMilliseconds
        _ = complete.wait(timeout: .now() + .milliseconds(Int(nanoseconds)))
        return state.withLock { state in
            state.results.map { $0 ?? .failure(.timedOut("no delivery report before the batch deadline")) }
        }
    }
}
