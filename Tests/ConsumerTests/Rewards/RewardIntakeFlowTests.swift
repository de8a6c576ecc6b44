import Testing

@testable import Consumer

@Suite("Reward intake flow: call slots, one claim at a time, answers to the recorder, read-ahead")
struct RewardIntakeFlowTests {
    typealias Flow = RewardIntakeFlow<String, String>

    @Test(.timeLimit(.minutes(1)))
    func claimedCommandsStartInTheFreeSlotsOldestFirst() {
        var flow = Flow()
        flow.claimFinished(["a", "b", "c", "d", "e"])
        var next = flow.dispatch(maxInFlight: 3, claimLimit: 4, stopping: false)
        #expect(next.start == ["a", "b", "c"])
        #expect(!next.claimMore)  // two wait for a slot: half a claim's worth
        #expect(flow.inFlight == 3)

        #expect(flow.dispatch(maxInFlight: 3, claimLimit: 4, stopping: false).start.isEmpty)  // no free slot
        flow.callAnswered("a: paid")
        next = flow.dispatch(maxInFlight: 3, claimLimit: 4, stopping: false)
        #expect(next.start == ["d"])
        #expect(next.claimMore)
        #expect(!next.finished)
    }

    @Test(.timeLimit(.minutes(1)))
    func oneClaimRunsAtATime() {
        var flow = Flow()
        #expect(flow.dispatch(maxInFlight: 2, claimLimit: 2, stopping: false).claimMore)
        flow.claimStarted()
        #expect(!flow.dispatch(maxInFlight: 2, claimLimit: 2, stopping: false).claimMore)
        flow.claimFinished([])  // everything was settled or leased elsewhere
        #expect(flow.dispatch(maxInFlight: 2, claimLimit: 2, stopping: false).claimMore)
    }

    @Test(.timeLimit(.minutes(1)))
    func stoppingClaimsNothingMoreAndFinishesOnceEveryClaimedCommandAnswered() {
        var flow = Flow()
        flow.claimStarted()
        var next = flow.dispatch(maxInFlight: 2, claimLimit: 2, stopping: true)
        #expect(!next.claimMore)
        #expect(!next.finished)  // a claim is running

        flow.claimFinished(["a", "b", "c"])
        next = flow.dispatch(maxInFlight: 2, claimLimit: 2, stopping: true)
        #expect(next.start == ["a", "b"])
        #expect(!next.finished)
        flow.callAnswered("a")
        flow.callAnswered("b")
        next = flow.dispatch(maxInFlight: 2, claimLimit: 2, stopping: true)
        #expect(next.start == ["c"])  // what was claimed is still called
        #expect(!next.finished)
        flow.callAnswered("c")
        #expect(flow.dispatch(maxInFlight: 2, claimLimit: 2, stopping: true).finished)
    }

    @Test(.timeLimit(.minutes(1)))
    func theRecorderTakesAnswersInOrderAndFinishesOnlyAfterTheDispatcherWithNothingLeft() {
        var flow = Flow()
        flow.claimFinished(["a", "b", "c"])
        _ = flow.dispatch(maxInFlight: 3, claimLimit: 3, stopping: false)
        #expect(flow.answersToRecord(limit: 2) == ([], false))
        for answer in ["a", "b", "c"] { flow.callAnswered(answer) }
        flow.dispatcherFinished()
        #expect(flow.answersToRecord(limit: 2) == (["a", "b"], false))
        #expect(flow.answersToRecord(limit: 2) == (["c"], false))
        #expect(!flow.recorderDone)
        #expect(flow.answersToRecord(limit: 2) == ([], true))
        flow.recorderFinished()
        #expect(flow.recorderDone)
    }

    @Test(.timeLimit(.minutes(1)))
    func readAheadPausesOnceWhenFullAndResumesWhatItPaused() {
        let partitions = [
            TopicPartition(topic: "attendance.reward-commands.v1", partition: 0),
            TopicPartition(topic: "attendance.reward-commands.v1", partition: 1),
        ]
        var readAhead = RewardIntakeReadAhead(limit: 10)
        #expect(readAhead.beforePoll(buffered: 9) == (false, nil))
        #expect(readAhead.beforePoll(buffered: 10) == (true, .pause))
        readAhead.paused(partitions)
        #expect(readAhead.beforePoll(buffered: 12) == (true, nil))
        #expect(readAhead.beforePoll(buffered: 9) == (false, .resume(partitions)))
        #expect(readAhead.beforePoll(buffered: 9) == (false, nil))
    }

    @Test(.timeLimit(.minutes(1)))
    func readAheadWithNothingAssignedAsksAgainAtTheNextPoll() {
        var readAhead = RewardIntakeReadAhead(limit: 1)
        #expect(readAhead.beforePoll(buffered: 1) == (true, .pause))
        readAhead.paused([])
        #expect(readAhead.beforePoll(buffered: 1) == (true, .pause))
        #expect(readAhead.beforePoll(buffered: 0) == (false, nil))
    }
}
