import Domain

/// A reward a settler claimed for one attempt: everything the API call and the outcome messages need.
public struct ClaimedReward: Sendable, Hashable {
    public enum Payout: Sendable, Hashable {
        case points(Int64)
        case coupon(groupID: String)
    }

    public let id: Int64
    public let idempotencyKey: String
    public let eventID: Int64
    public let memberID: Int64
    /// `YYYY-MM-DD`.
    public let attendanceDate: String
    /// `DAILY` or `BONUS`.
    public let kind: String
    public let bonusRuleID: String?
    public let payout: Payout
    /// The attempt this claim is (1-based, counted since the reward was earned).
    public let attempt: Int
    public let attemptsAtRedrive: Int
    public let budgetReserved: Bool

    public init(
        id: Int64,
        idempotencyKey: String,
        eventID: Int64,
        memberID: Int64,
        attendanceDate: String,
        kind: String,
        bonusRuleID: String?,
        payout: Payout,
        attempt: Int,
        attemptsAtRedrive: Int,
        budgetReserved: Bool
    ) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.eventID = eventID
        self.memberID = memberID
        self.attendanceDate = attendanceDate
        self.kind = kind
        self.bonusRuleID = bonusRuleID
        self.payout = payout
        self.attempt = attempt
        self.attemptsAtRedrive = attemptsAtRedrive
        self.budgetReserved = budgetReserved
    }

    /// `POINT` or `COUPON`.
    public var rewardType: String {
        switch payout {
        case .points: "POINT"
        case .coupon: "COUPON"
        }
    }

    /// The state machine as of this claim.
    public var lifecycle: RewardLifecycle {
        RewardLifecycle(status: .pending, attempts: attempt, attemptsAtRedrive: attemptsAtRedrive)
    }

    /// The Kafka key of every message about this reward (PRODUCT §1).
    public var messageKey: [UInt8] { RewardCommandMessage.key(eventID: eventID, memberID: memberID) }
}

/// One finished call, ready to be recorded with the transition it leads to.
public struct RewardAttemptRecord: Sendable {
    public let reward: ClaimedReward
    public let startedAt: Timestamp
    public let latency: Duration
    /// The HTTP status, when a response arrived.
    public let httpStatus: Int?
    public let result: RewardCallResult
    public let transition: RewardLifecycle.Transition

    public init(
        reward: ClaimedReward,
        startedAt: Timestamp,
        latency: Duration,
        httpStatus: Int?,
        result: RewardCallResult,
        transition: RewardLifecycle.Transition
    ) {
        self.reward = reward
        self.startedAt = startedAt
        self.latency = latency
        self.httpStatus = httpStatus
        self.result = result
        self.transition = transition
    }
}

/// What recording a set of attempts changed: only transitions whose guard held count.
public struct RewardRecordSummary: Sendable, Hashable {
    public var succeeded = 0
    public var failed = 0
    public var retried = 0
    public var parked = 0
    /// Answers that arrived for rewards already settled or re-claimed by someone else (stale; nothing changed).
    public var stale = 0

    public init() {}
}
