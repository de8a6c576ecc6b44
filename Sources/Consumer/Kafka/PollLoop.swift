internal import CRdKafka
import Dispatch
import Foundation
import Synchronization

/// A dedicated thread that calls `rd_kafka_poll` until stopped, so callbacks (delivery reports, errors, logs) never
/// run on Swift's cooperative pool.
///
/// The thread retains the client, not the owner of the loop, so the owner can be deinitialised and stop it.
final class PollLoop: Sendable {
    private let stopRequested = Atomic(false)
    private let exited = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)

    init(name: String, client: RDKafkaClient) {
        let thread = Thread { [self, client] in
            while !self.stopRequested.load(ordering: .acquiring) {
                rd_kafka_poll(client.handle, 50)
            }
            self.exited.signal()
        }
        thread.name = name
        thread.start()
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
