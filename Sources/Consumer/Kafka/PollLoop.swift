internal import CRdKafka
import Dispatch
import Projections
import Synchronization

/// A thread of its own (a ``ThreadExecutor``) that calls `rd_kafka_poll` until stopped, so callbacks (delivery
/// reports, errors, logs) never run on Swift's cooperative pool.
///
/// The thread retains the client, not the owner of the loop, so the owner can be deinitialised and stop it.
final class PollLoop: Sendable {
    private let stopRequested = Atomic(false)
    private let exited = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)
    private let thread: ThreadExecutor

    init(name: String, client: RDKafkaClient) {
        thread = ThreadExecutor(name: name)
        thread.execute { [self, client] in
            while !self.stopRequested.load(ordering: .acquiring) {
                rd_kafka_poll(client.handle, 50)
            }
            self.exited.signal()
        }
        // The thread leaves once the loop above returns.
        thread.shutdown()
    }

    /// Stops the thread and waits for it to leave its last poll. Idempotent.
    func stop() {
        let alreadyStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        stopRequested.store(true, ordering: .releasing)
        exited.wait()
    }
}
