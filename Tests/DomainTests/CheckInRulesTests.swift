import Testing

@testable import Domain

@Suite(.timeLimit(.minutes(1)))
struct CheckInRulesTests {
    /// Seoul event running through 2027; requests below are at 09:15 Seoul time on their day.
    static let policy = makePolicy(
        startsAt: "2026-01-01T00:00:00+09:00",
        endsAt: "2028-01-01T00:00:00+09:00",
        maxAttendanceDays: 20,
        maxParticipants: 3
    )

    static func request(on date: String, at time: String = "09:15:00", invalidReason: String? = nil) -> CheckInRequest {
        CheckInRequest(
            eventID: 42,
            memberID: 1001,
            requestID: "r-\(date)",
            requestedAt: timestamp("\(date)T\(time)+09:00"),
            channel: "APP",
            invalidReason: invalidReason
        )
    }

    static func context(
        policy: EventPolicy? = policy,
        latest: AttendanceSnapshot? = nil,
        successDays: Set<AttendanceDate> = [],
        participants: Int = 0,
        messageTimestamp: String = "2027-12-31T23:59:59Z"
    ) -> CheckInContext {
        CheckInContext(
            policy: policy,
            messageTimestamp: timestamp(messageTimestamp),
            member: MemberAttendance(latest: latest, successDays: successDays),
            participantCount: participants
        )
    }

    static func snapshot(_ date: String, total: Int, streak: Int) -> AttendanceSnapshot {
        AttendanceSnapshot(date: day(date), total: total, streak: streak)
    }

    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let request: CheckInRequest
        let context: CheckInContext
        let expected: FailReason
    }

    static let failures: [Case] = [
        Case(
            description: "invalid request",
            request: request(on: "2026-12-05", invalidReason: "channel: too long"),
            context: context(),
            expected: .invalidRequest
        ),
        Case(
            description: "requested_at missing",
            request: CheckInRequest(eventID: 42, memberID: 1001, requestID: "r", requestedAt: nil),
            context: context(),
            expected: .invalidRequest
        ),
        Case(
            description: "no event",
            request: request(on: "2026-12-05"),
            context: context(policy: nil),
            expected: .eventNotFound
        ),
        Case(
            description: "paused",
            request: request(on: "2026-12-05"),
            context: context(policy: makePolicy(status: .paused)),
            expected: .eventNotActive
        ),
        Case(
            description: "ended status",
            request: request(on: "2026-12-05"),
            context: context(policy: makePolicy(status: .ended)),
            expected: .eventNotActive
        ),
        Case(
            description: "one microsecond before the start",
            request: request(on: "2025-12-31", at: "23:59:59.999999"),
            context: context(),
            expected: .eventNotStarted
        ),
        Case(
            description: "exactly at the end",
            request: request(on: "2028-01-01", at: "00:00:00"),
            context: context(),
            expected: .eventEnded
        ),
        Case(
            description: "more than 5 minutes after the message",
            request: request(on: "2026-12-05", at: "09:20:00.000001"),
            context: context(messageTimestamp: "2026-12-05T00:15:00Z"),
            expected: .requestedAtInFuture
        ),
        Case(
            description: "same day as the latest",
            request: request(on: "2026-12-05"),
            context: context(latest: snapshot("2026-12-05", total: 3, streak: 2)),
            expected: .alreadyCheckedIn
        ),
        Case(
            description: "an earlier success day",
            request: request(on: "2026-12-02"),
            context: context(latest: snapshot("2026-12-05", total: 3, streak: 2), successDays: [day("2026-12-02")]),
            expected: .alreadyCheckedIn
        ),
        Case(
            description: "an earlier day without success",
            request: request(on: "2026-12-03"),
            context: context(latest: snapshot("2026-12-05", total: 3, streak: 2), successDays: [day("2026-12-02")]),
            expected: .outOfOrder
        ),
        Case(
            description: "attendance limit",
            request: request(on: "2026-12-30"),
            context: context(latest: snapshot("2026-12-29", total: 20, streak: 20)),
            expected: .attendanceLimitReached
        ),
        Case(
            description: "participant limit for a newcomer",
            request: request(on: "2026-12-05"),
            context: context(participants: 3),
            expected: .participantLimitReached
        ),
        // Order of the table: the earlier check wins when several apply.
        Case(
            description: "ended and already checked in → EVENT_ENDED",
            request: request(on: "2028-01-01", at: "00:00:00"),
            context: context(latest: snapshot("2028-01-01", total: 5, streak: 1)),
            expected: .eventEnded
        ),
        Case(
            description: "invalid and no event → INVALID_REQUEST",
            request: request(on: "2026-12-05", invalidReason: "channel: must be a string"),
            context: context(policy: nil),
            expected: .invalidRequest
        ),
        Case(
            description: "paused and not started → EVENT_NOT_ACTIVE",
            request: request(on: "2025-06-01"),
            context: context(policy: makePolicy(status: .paused)),
            expected: .eventNotActive
        ),
        Case(
            description: "not started and in the future → EVENT_NOT_STARTED",
            request: request(on: "2025-06-01"),
            context: context(messageTimestamp: "2025-01-01T00:00:00Z"),
            expected: .eventNotStarted
        ),
        Case(
            description: "in the future and already checked in → REQUESTED_AT_IN_FUTURE",
            request: request(on: "2026-12-05"),
            context: context(
                latest: snapshot("2026-12-05", total: 1, streak: 1),
                messageTimestamp: "2026-12-04T00:00:00Z"
            ),
            expected: .requestedAtInFuture
        ),
        Case(
            description: "already checked in and at the limit → ALREADY_CHECKED_IN",
            request: request(on: "2026-12-05"),
            context: context(latest: snapshot("2026-12-05", total: 20, streak: 20)),
            expected: .alreadyCheckedIn
        ),
        Case(
            description: "out of order and at the limit → OUT_OF_ORDER",
            request: request(on: "2026-12-01"),
            context: context(latest: snapshot("2026-12-05", total: 20, streak: 20)),
            expected: .outOfOrder
        ),
        Case(
            description: "at the limit with participants full → ATTENDANCE_LIMIT_REACHED",
            request: request(on: "2026-12-06"),
            context: context(latest: snapshot("2026-12-05", total: 20, streak: 20), participants: 3),
            expected: .attendanceLimitReached
        ),
    ]

    @Test("fail reasons, including the order of the checks", arguments: failures)
    func failuresInOrder(testCase: Case) {
        let decision = CheckInRules.decide(testCase.request, in: testCase.context)
        #expect(decision.outcome.failReason == testCase.expected)
        if case .failed(_, let detail) = decision.outcome {
            #expect(detail?.isEmpty == false)
        }
    }

    @Test("every fail reason is reachable")
    func everyFailReasonCovered() {
        #expect(Set(Self.failures.map(\.expected)) == Set(FailReason.allCases))
    }

    @Test(
        "streak and total after a success",
        arguments: [
            ("first success", nil, "2026-12-05", 1, 1),
            ("next day", snapshot("2026-12-04", total: 3, streak: 3), "2026-12-05", 4, 4),
            ("gap of two days", snapshot("2026-12-03", total: 3, streak: 3), "2026-12-05", 4, 1),
            ("across a month end", snapshot("2026-11-30", total: 9, streak: 5), "2026-12-01", 10, 6),
            ("across a year end", snapshot("2026-12-31", total: 9, streak: 9), "2027-01-01", 10, 10),
            ("into a leap day", snapshot("2028-02-28", total: 2, streak: 2), "2028-02-29", 3, 3),
            ("out of a leap day", snapshot("2028-02-29", total: 3, streak: 3), "2028-03-01", 4, 4),
            ("Feb 28 to Mar 1 in a common year", snapshot("2027-02-28", total: 3, streak: 3), "2027-03-01", 4, 4),
            ("Feb 27 to Mar 1 in a leap year", snapshot("2028-02-27", total: 3, streak: 3), "2028-03-01", 4, 1),
        ] as [(String, AttendanceSnapshot?, String, Int, Int)]
    )
    func counters(name: String, latest: AttendanceSnapshot?, date: String, total: Int, streak: Int) {
        let policy = makePolicy(endsAt: "2029-01-01T00:00:00+09:00")
        let decision = CheckInRules.decide(
            Self.request(on: date),
            in: Self.context(policy: policy, latest: latest, messageTimestamp: "2030-01-01T00:00:00Z")
        )
        guard case .checkedIn(let snapshot, _) = decision.outcome else {
            Issue.record("expected a success, got \(decision.outcome)")
            return
        }
        #expect(snapshot == AttendanceSnapshot(date: day(date), total: total, streak: streak))
        #expect(decision.attendanceDate == day(date))
    }

    @Test("the day comes from requested_at in the event's time zone, not the processing time")
    func dayFromRequestedAt() {
        // 23:30 UTC on Dec 4 is 08:30 on Dec 5 in Seoul; the message arrives days later (lag/replay).
        let request = CheckInRequest(
            eventID: 42,
            memberID: 1001,
            requestID: "r",
            requestedAt: timestamp("2026-12-04T23:30:00Z")
        )
        let decision = CheckInRules.decide(
            request,
            in: Self.context(
                latest: Self.snapshot("2026-12-04", total: 1, streak: 1),
                messageTimestamp: "2026-12-09T00:00:00Z"
            )
        )
        #expect(
            decision.outcome
                == .checkedIn(
                    AttendanceSnapshot(date: day("2026-12-05"), total: 2, streak: 2),
                    rewards: [
                        RewardGrant(
                            kind: .daily,
                            reward: .point(amount: 10),
                            idempotencyKey: "att:42:1001:2026-12-05:DAILY"
                        )
                    ]
                )
        )
    }

    @Test("future tolerance is inclusive at exactly five minutes")
    func futureToleranceBoundary() {
        let decision = CheckInRules.decide(
            Self.request(on: "2026-12-05", at: "09:20:00"),
            in: Self.context(messageTimestamp: "2026-12-05T00:15:00Z")
        )
        #expect(decision.outcome.failReason == nil)
    }

    @Test("limits: the last allowed success and the last participant still succeed")
    func limitsBoundaries() {
        let lastDay = CheckInRules.decide(
            Self.request(on: "2026-12-30"),
            in: Self.context(latest: Self.snapshot("2026-12-29", total: 19, streak: 1))
        )
        #expect(lastDay.outcome.failReason == nil)
        let lastParticipant = CheckInRules.decide(Self.request(on: "2026-12-05"), in: Self.context(participants: 2))
        #expect(lastParticipant.outcome.failReason == nil)
        // An existing participant is not held back by a full event.
        let existing = CheckInRules.decide(
            Self.request(on: "2026-12-06"),
            in: Self.context(latest: Self.snapshot("2026-12-05", total: 1, streak: 1), participants: 3)
        )
        #expect(existing.outcome.failReason == nil)
    }

    @Test("a batch: recording successes makes repeats ALREADY_CHECKED_IN and builds the streak")
    func batchRecording() {
        var member = MemberAttendance(latest: nil)
        var outcomes: [FailReason?] = []
        for date in ["2026-12-05", "2026-12-05", "2026-12-06", "2026-12-05", "2026-12-07"] {
            let context = CheckInContext(
                policy: Self.policy,
                messageTimestamp: timestamp("2027-01-01T00:00:00Z"),
                member: member,
                participantCount: 0
            )
            let decision = CheckInRules.decide(Self.request(on: date), in: context)
            outcomes.append(decision.outcome.failReason)
            if case .checkedIn(let snapshot, _) = decision.outcome { member.record(snapshot) }
        }
        #expect(outcomes == [nil, .alreadyCheckedIn, nil, .alreadyCheckedIn, nil])
        #expect(member.latest == Self.snapshot("2026-12-07", total: 3, streak: 3))
        #expect(member.successDays == [day("2026-12-05"), day("2026-12-06"), day("2026-12-07")])
    }

    @Test("attendance date is nil when it cannot be computed")
    func attendanceDateAvailability() {
        let noEvent = CheckInRules.decide(Self.request(on: "2026-12-05"), in: Self.context(policy: nil))
        #expect(noEvent.attendanceDate == nil)
        let noTime = CheckInRules.decide(
            CheckInRequest(eventID: 42, memberID: 1001, requestID: "r", requestedAt: nil),
            in: Self.context()
        )
        #expect(noTime.attendanceDate == nil)
        let paused = CheckInRules.decide(
            Self.request(on: "2026-12-05"),
            in: Self.context(policy: makePolicy(status: .paused))
        )
        #expect(paused.attendanceDate == day("2026-12-05"))
    }
}
