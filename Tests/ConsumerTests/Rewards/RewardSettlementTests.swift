import Consumer
import Domain
import FakeRewardAPI
import Foundation
import Projections
import Testing

extension PipelineTests {
    /// The settler against the fake reward API over loopback HTTP, the mock cluster and the real Postgres.
    @Suite("Reward settlement: paid exactly once per key", .timeLimit(.minutes(5)))
    struct RewardSettlement {
        @Test func eachOutcomeIsRecordedWithItsAttemptsAndAnnouncedOnce() async throws {
            try await Pipeline.with { pipeline in
                let (points, coupons) = try await pipeline.blocking {
                    let points = try pipeline.seedRewards(event: 7, members: 5, days: 2)
                    let coupons = try pipeline.seedRewards(event: 8, members: 2, days: 1, couponGroupID: "CG-CLOSED")
                    try pipeline.produceRewardCommands()
                    return (points, coupons)
                }
                var faults = FakeRewardFaults()
                faults.refusedMembers = [3]
                faults.closedCouponGroups = ["CG-CLOSED"]
                try await withFakeRewardAPI(faults) { fake, url in
                    let settler = pipeline.rewardSettler(api: url)
                    try await withServices([settler]) {
                        try await pipeline.blocking { try pipeline.waitUntilNoRewardIsPending([settler]) }
                    }
                    try await pipeline.blocking {
                        // Member 3 of event 7 (2 days) and both coupons of event 8 are refused for good.
                        #expect(try pipeline.rewardStatuses() == ["SUCCEEDED": points - 2, "FAILED": 2 + coupons])
                        let failed = try pipeline.rows(
                            "SELECT last_error FROM event_attendance_reward_log WHERE status = 'FAILED' ORDER BY id"
                        )
                        #expect(failed.prefix(2).allSatisfy { $0[0]?.hasPrefix("HTTP 403") == true })
                        #expect(
                            failed.suffix(2).allSatisfy { $0[0]?.contains("coupon group CG-CLOSED is closed") == true }
                        )
                        let settled = try pipeline.settledTransactions()
                        #expect(fake.ledger.paidCount == settled.count)
                        for payment in fake.ledger.payments {
                            #expect(settled[payment.idempotencyKey] == payment.transactionID)
                        }
                        // Every attempt has a row with its status and latency; one settlement message per reward.
                        #expect(try pipeline.count("event_attendance_reward_attempt") == points + coupons)
                        #expect(
                            try pipeline.count("event_attendance_reward_attempt", where: "http_status IS NULL") == 0
                        )
                        let perKey = try pipeline.settlementMessagesPerKey()
                        #expect(perKey.count == points + coupons)
                        #expect(perKey.values.allSatisfy { $0 == 1 })
                        // History is never touched by settlement.
                        #expect(try pipeline.count("event_attendance_history") == points + coupons)
                    }
                }
            }
        }

        @Test func thirtyPercentFailuresAndDuplicatePublicationStillPayEveryRewardExactlyOnce() async throws {
            try await Pipeline.with { pipeline in
                let rewards = try await pipeline.blocking {
                    let rewards = try pipeline.seedRewards(event: 9, members: 40, days: 5)
                    try pipeline.produceRewardCommands(copies: 2)
                    return rewards
                }
                var faults = FakeRewardFaults()
                faults.serverErrorRate = 0.10
                faults.throttleRate = 0.05
                faults.timeoutRate = 0.075
                faults.droppedResponseRate = 0.075
                faults.hangDuration = .seconds(1)
                try await withFakeRewardAPI(faults) { fake, url in
                    let settler = pipeline.rewardSettler(api: url)
                    try await withServices([settler]) {
                        try await pipeline.blocking {
                            try pipeline.waitUntilNoRewardIsPending([settler], timeout: .seconds(90))
                        }
                    }
                    try await pipeline.blocking {
                        #expect(try pipeline.rewardStatuses() == ["SUCCEEDED": rewards])
                        let settled = try pipeline.settledTransactions()
                        #expect(fake.ledger.paidCount == rewards)
                        #expect(Set(fake.ledger.payments.map(\.idempotencyKey)) == Set(settled.keys))
                        for payment in fake.ledger.payments {
                            #expect(settled[payment.idempotencyKey] == payment.transactionID)
                        }
                        #expect(fake.ledger.totalPoints == Int64(rewards) * 10)
                        let counters = fake.ledger.counters
                        #expect(counters.serverErrors + counters.throttled + counters.timedOut + counters.dropped > 0)
                        // Lost responses were reconciled by asking again with the same key, not guessed.
                        let unknown = try pipeline.count(
                            "event_attendance_reward_attempt",
                            where: "outcome = 'UNKNOWN'"
                        )
                        #expect(unknown > 0)
                        #expect(try pipeline.count("event_attendance_reward_attempt") > rewards)
                        let perKey = try pipeline.settlementMessagesPerKey()
                        #expect(perKey.count == rewards)
                        #expect(perKey.values.allSatisfy { $0 == 1 })
                    }
                }
            }
        }

        @Test func aSettlerKilledAfterTheAPIPaidButBeforeRecordingIsNeverPaidTwice() async throws {
            try await Pipeline.with { pipeline in
                let rewards = try await pipeline.blocking {
                    let rewards = try pipeline.seedRewards(event: 10, members: 30, days: 2)
                    try pipeline.produceRewardCommands()
                    return rewards
                }
                // Every response is held back after the payment: the settler dies with payments made and nothing
                // recorded (killed as soon as the first payment lands, well within its 8 s request timeout).
                var faults = FakeRewardFaults()
                faults.droppedResponseRate = 1
                faults.hangDuration = .seconds(30)
                try await withFakeRewardAPI(faults) { fake, url in
                    let first = pipeline.rewardSettler(api: url) {
                        $0.api.requestTimeout = .seconds(8)
                        $0.lease = .seconds(9)
                    }
                    try await withServices([first]) {
                        try await pipeline.blocking {
                            try pipeline.waitUntil("the API paid some rewards") { fake.ledger.paidCount >= 1 }
                        }
                    }  // cancelled here, mid-flight
                    let paidBeforeKill = fake.ledger.paidCount
                    try await pipeline.blocking { () throws in
                        #expect(paidBeforeKill >= 1)
                        #expect(try pipeline.count("event_attendance_reward_log", where: "status = 'SUCCEEDED'") == 0)
                        let recorded = try pipeline.rows(
                            "SELECT attempt::text, outcome, http_status::text, error, latency_ms::text FROM event_attendance_reward_attempt LIMIT 5"
                        )
                        #expect(recorded.isEmpty, "\(recorded)")
                    }
                    fake.updateFaults { $0.droppedResponseRate = 0 }
                    let second = pipeline.rewardSettler(api: url)
                    try await withServices([second]) {
                        try await pipeline.blocking { try pipeline.waitUntilNoRewardIsPending([second]) }
                    }
                    try await pipeline.blocking {
                        #expect(try pipeline.rewardStatuses() == ["SUCCEEDED": rewards])
                        #expect(fake.ledger.paidCount == rewards)
                        let settled = try pipeline.settledTransactions()
                        for payment in fake.ledger.payments {
                            #expect(settled[payment.idempotencyKey] == payment.transactionID)
                        }
                        // The rewards paid before the kill were asked for again and answered from the ledger.
                        #expect(fake.ledger.counters.replayed >= paidBeforeKill)
                    }
                }
            }
        }

        @Test func concurrentSettlersNeverOverspendTheBudget() async throws {
            try await Pipeline.with { pipeline in
                try await pipeline.blocking {
                    try pipeline.seedRewards(event: 11, members: 100, days: 3, points: 10, pointBudget: 1_000)
                    try pipeline.produceRewardCommands()
                }
                try await withFakeRewardAPI { fake, url in
                    let settlers = (0..<2).map { _ in
                        pipeline.rewardSettler(api: url, group: "budget") { $0.maxInFlight = 16 }
                    }
                    try await withServices(settlers) {
                        try await pipeline.blocking { try pipeline.waitUntilNoRewardIsPending(settlers) }
                    }
                    try await pipeline.blocking {
                        #expect(try pipeline.rewardStatuses() == ["SUCCEEDED": 100, "BUDGET_EXCEEDED": 200])
                        #expect(fake.ledger.totalPoints == 1_000)
                        let reserved = try pipeline.rows("SELECT points_reserved::text FROM event_reward_budget_usage")
                        #expect(reserved == [["1000"]])
                        let refused = try pipeline.rows(
                            "SELECT DISTINCT last_error FROM event_attendance_reward_log WHERE status = 'BUDGET_EXCEEDED'"
                        )
                        #expect(refused.count == 1 && refused[0][0]?.contains("point budget of event 11") == true)
                        #expect(try pipeline.settlementMessagesPerKey().count == 300)
                    }
                }
            }
        }

        @Test func oneMembersRewardsArePaidInTheOrderEarnedWhileOtherMembersSettleAlongside() async throws {
            let days = 6
            try await Pipeline.with { pipeline in
                let rewards = try await pipeline.blocking {
                    let rewards = try pipeline.seedRewards(event: 13, members: 12, days: days)
                    try pipeline.produceRewardCommands()
                    return rewards
                }
                var faults = FakeRewardFaults()
                faults.latency = .milliseconds(20)
                try await withFakeRewardAPI(faults) { fake, url in
                    let settler = pipeline.rewardSettler(api: url)
                    try await withServices([settler]) {
                        try await pipeline.blocking { try pipeline.waitUntilNoRewardIsPending([settler]) }
                    }
                    let payments = fake.ledger.payments
                    #expect(payments.count == rewards)
                    // A member's keys end with the day earned: paid in that order.
                    for (member, paid) in Dictionary(grouping: payments, by: \.memberID) {
                        let keys = paid.map(\.idempotencyKey)
                        #expect(keys == keys.sorted(), "member \(member) was paid out of order: \(keys)")
                    }
                    // Members were not served one after another. Serving them in turn would switch member 11 times
                    // (members − 1); interleaved, the payments switch member far more often. (Not "no member's whole
                    // backlog in a row": a member whose commands arrive in a fetch of their own, before the others', is
                    // rightly paid in a row while nobody else is waiting — which a loaded machine makes happen.)
                    let memberSwitches = zip(payments, payments.dropFirst()).filter { $0.memberID != $1.memberID }.count
                    #expect(memberSwitches > 2 * 12, "payments switched member only \(memberSwitches) times")

                    // The stopped settler committed its offsets: a successor in the same group reads only what is new.
                    try await pipeline.blocking {
                        try pipeline.seedRewards(event: 14, members: 1, days: 1)
                        #expect(try pipeline.produceRewardCommands() == 1)
                    }
                    let successor = pipeline.rewardSettler(api: url)
                    try await withServices([successor]) {
                        try await pipeline.blocking { try pipeline.waitUntilNoRewardIsPending([successor]) }
                        try await Task.sleep(for: .seconds(1))
                    }
                    #expect(successor.statistics.snapshot.commands == 1)
                    #expect(fake.ledger.paidCount == rewards + 1)
                }
            }
        }

        @Test func aParkedRewardIsPublishedToTheDLQAndPaysOnceWhenReDriven() async throws {
            try await Pipeline.with { pipeline in
                let rewards = try await pipeline.blocking {
                    let rewards = try pipeline.seedRewards(event: 12, members: 3, days: 1)
                    try pipeline.produceRewardCommands()
                    return rewards
                }
                var faults = FakeRewardFaults()
                faults.down = true
                try await withFakeRewardAPI(faults) { fake, url in
                    let settler = pipeline.rewardSettler(api: url) { $0.retry.maxAttempts = 2 }
                    try await withServices([settler]) {
                        try await pipeline.blocking {
                            try pipeline.waitUntilNoRewardIsPending([settler])
                            #expect(try pipeline.rewardStatuses() == ["PARKED": rewards])
                            let dead = try pipeline.outboxMessages(topic: pipeline.topics.rewardCommandsDLQ)
                            #expect(dead.count == rewards)
                            for letter in dead {
                                let parsed = try #require(DeadLetterHeaders(parsing: letter.headers))
                                #expect(parsed.contract == DeadLetterHeaders.contractVersion)
                                #expect(parsed.reason == .rewardParked)
                                #expect(parsed.detail.hasPrefix("gave up after 2 attempts"))
                                #expect(parsed.attempts == 2)
                                #expect(parsed.source == nil)
                                let first = try #require(parsed.firstFailureAt)
                                let last = try #require(parsed.lastFailureAt)
                                #expect(first <= last)
                            }
                            fake.updateFaults { $0.down = false }
                            let redriven = try RewardStore.redrive(keys: [], eventID: 12, on: pipeline.connection)
                            #expect(redriven.count == rewards)
                            try pipeline.waitUntil(
                                "re-driven rewards settle",
                                detail: { "\(try pipeline.rewardStatuses())" }
                            ) {
                                try pipeline.rewardStatuses() == ["SUCCEEDED": rewards]
                            }
                            // Re-driving again changes nothing.
                            #expect(try RewardStore.redrive(keys: [], eventID: nil, on: pipeline.connection).isEmpty)
                        }
                    }
                    #expect(fake.ledger.paidCount == rewards)
                    #expect(fake.ledger.payments.allSatisfy { $0.requests == 1 })
                }
            }
        }

        @Test func aMessageThatIsNotARewardCommandIsDeadLetteredWithItsSource() async throws {
            try await Pipeline.with { pipeline in
                let garbage = OutgoingMessage(
                    topic: pipeline.topics.rewardCommands,
                    key: Array("1:1".utf8),
                    value: Array("not a command".utf8),
                    headers: [KafkaHeader(key: "traceparent", value: Array("00-abc".utf8))]
                )
                let report = try await pipeline.blocking { try pipeline.produce([garbage])[0] }
                try await withFakeRewardAPI(FakeRewardFaults()) { _, url in
                    let settler = pipeline.rewardSettler(api: url)
                    try await withServices([settler]) {
                        try await pipeline.blocking {
                            try pipeline.waitUntil("the settler dead-lettered the message") {
                                try pipeline.outboxCount(topic: pipeline.topics.rewardCommandsDLQ) == 1
                            }
                        }
                    }
                }
                try await pipeline.blocking {
                    let dead = try pipeline.outboxMessages(topic: pipeline.topics.rewardCommandsDLQ)
                    #expect(dead.count == 1)
                    #expect(dead.first.map { String(decoding: $0.payload ?? [], as: UTF8.self) } == "not a command")
                    let headers = dead.first?.headers ?? []
                    #expect(headers.first == MessageHeader(name: "traceparent", value: Array("00-abc".utf8)))
                    let parsed = try #require(DeadLetterHeaders(parsing: headers))
                    #expect(parsed.contract == DeadLetterHeaders.contractVersion)
                    #expect(parsed.reason == .notARewardCommand)
                    #expect(parsed.detail.isEmpty == false)
                    #expect(
                        parsed.source
                            == SourcePosition(
                                topic: pipeline.topics.rewardCommands,
                                partition: report.partition,
                                offset: report.offset
                            )
                    )
                    #expect(parsed.attempts == nil)
                    #expect(parsed.lastFailureAt != nil)
                }
            }
        }
    }
}
