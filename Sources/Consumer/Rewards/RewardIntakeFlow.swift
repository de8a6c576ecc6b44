/// The hand-offs between the intake's dispatcher, its calls and its recorder: claimed commands waiting for a call
/// slot, calls in flight, answers waiting to be recorded, and which loop has finished. A value without I/O that the
/// intake keeps in a `Mutex`; generic over what is handed on, so that it is tested with plain values.
///
/// Which command may be claimed (one per member at a time) and which offsets may be committed is the business of
/// ``RewardIntakeQueue``; this is only the flow around the calls.
struct RewardIntakeFlow<Claim, Answer> {
    /// What the dispatcher does when it wakes.
    struct Dispatch {
        /// Claimed commands to call now, oldest first (as many as call slots are free).
        var start: [Claim]
        /// Fewer than half a claim's worth wait for a slot and no claim runs: claim more ready commands.
        var claimMore: Bool
        /// Stopping, and nothing is claimed, waiting or in a call: the dispatcher is done.
        var finished: Bool
    }

    /// Claimed and not yet called, oldest first.
    private var claimed: [Claim] = []
    private var claiming = false
    private(set) var inFlight = 0
    /// Answered and not yet recorded.
    private var answered: [Answer] = []
    private var dispatcherDone = false
    /// The recorder recorded every answer and stopped: the poller's final offset commit may go.
    private(set) var recorderDone = false

    init() {}

    /// The dispatcher woke: start calls in the free slots (of `maxInFlight`), and say whether to claim more (at most
    /// `claimLimit` at a time, so a claimed reward waits about two calls for its slot, far inside its lease).
    mutating func dispatch(maxInFlight: Int, claimLimit: Int, stopping: Bool) -> Dispatch {
        let count = min(maxInFlight - inFlight, claimed.count)
        let start = Array(claimed.prefix(count))
        claimed.removeFirst(count)
        inFlight += count
        let claimMore = !stopping && !claiming && claimed.count < claimLimit / 2
        let finished = stopping && !claiming && claimed.isEmpty && inFlight == 0
        return Dispatch(start: start, claimMore: claimMore, finished: finished)
    }

    /// A claim of ready commands started; no other starts until it finished.
    mutating func claimStarted() {
        claiming = true
    }

    /// The claim finished with `claims` (the commands that need a call); they wait for a slot.
    mutating func claimFinished(_ claims: [Claim]) {
        claimed.append(contentsOf: claims)
        claiming = false
    }

    /// A call answered: its slot is free and its answer waits for the recorder.
    mutating func callAnswered(_ answer: Answer) {
        inFlight -= 1
        answered.append(answer)
    }

    /// The dispatcher ended (finished or failed): once the answers are recorded, so is the recorder.
    mutating func dispatcherFinished() {
        dispatcherDone = true
    }

    /// The recorder woke: up to `limit` answers, oldest first; `finished` once none is left after the dispatcher ended.
    mutating func answersToRecord(limit: Int) -> (answers: [Answer], finished: Bool) {
        let count = min(limit, answered.count)
        let answers = Array(answered.prefix(count))
        answered.removeFirst(count)
        return (answers, answers.isEmpty && dispatcherDone)
    }

    mutating func recorderFinished() {
        recorderDone = true
    }
}
