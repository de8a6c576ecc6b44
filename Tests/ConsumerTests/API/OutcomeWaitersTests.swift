import AttendanceAPI
import Testing

/// The waiters of submitted requests, without Kafka or Postgres: a notification that arrives between registering
/// and waiting is not lost, a timeout reports nothing, and nothing stays registered afterwards.
@Suite(.timeLimit(.minutes(1)))
struct OutcomeWaitersTests {
    let key = OutcomeWaiters.Key(eventID: 7, requestID: "r-1")

    @Test func aNotificationBeforeTheWaitIsKept() async {
        let waiters = OutcomeWaiters()
        let ticket = waiters.register(key)
        #expect(waiters.hasWaiters(eventID: 7))
        waiters.notify(key)
        #expect(await waiters.wait(ticket, timeout: .seconds(5)))
        #expect(waiters.count == 0)
        #expect(!waiters.hasWaiters(eventID: 7))
    }

    @Test func aNotificationWakesEveryoneWaitingForTheRequestAndNoOneElse() async {
        let waiters = OutcomeWaiters()
        let other = OutcomeWaiters.Key(eventID: 7, requestID: "r-2")
        let first = waiters.register(key)
        let second = waiters.register(key)
        let unrelated = waiters.register(other)
        async let a = waiters.wait(first, timeout: .seconds(5))
        async let b = waiters.wait(second, timeout: .seconds(5))
        async let c = waiters.wait(unrelated, timeout: .milliseconds(300))
        try? await Task.sleep(for: .milliseconds(50))
        waiters.notify(key)
        #expect(await a)
        #expect(await b)
        #expect(await !c)
        #expect(waiters.count == 0)
    }

    @Test func aTimeoutReportsNothingAndForgetsTheTicket() async {
        let waiters = OutcomeWaiters()
        let ticket = waiters.register(key)
        let start = ContinuousClock.now
        #expect(await !waiters.wait(ticket, timeout: .milliseconds(100)))
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        #expect(waiters.count == 0)
        waiters.notify(key)  // too late: nobody is left to wake
        #expect(waiters.count == 0)
    }

    @Test func aCancelledTicketIsForgotten() async {
        let waiters = OutcomeWaiters()
        let ticket = waiters.register(key)
        waiters.cancel(ticket)
        #expect(!waiters.hasWaiters(eventID: 7))
        #expect(await !waiters.wait(ticket, timeout: .milliseconds(10)))
    }

    @Test func aCancelledTaskStopsWaitingAtOnce() async {
        let waiters = OutcomeWaiters()
        let ticket = waiters.register(key)
        let task = Task { await waiters.wait(ticket, timeout: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        #expect(await !task.value)
        #expect(waiters.count == 0)
    }
}
