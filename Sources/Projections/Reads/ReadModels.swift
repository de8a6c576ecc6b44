import Domain

/// One earned reward and where its settlement stands (`event_attendance_reward_log`).
public struct RewardRecord: Sendable, Hashable {
    public let idempotencyKey: String
    public let attendanceDate: AttendanceDate
    /// `DAILY` or `BONUS`.
    public let kind: String
    public let bonusRuleID: String?
    /// `POINT` or `COUPON`.
    public let type: String
    public let pointAmount: Int64?
    public let couponGroupID: String?
    /// `PENDING`, `SUCCEEDED`, `FAILED`, `BUDGET_EXCEEDED` or `PARKED`.
    public let status: String
    public let attempts: Int
    public let transactionID: String?
    /// Why a reward failed or was parked (the API's answer, never a credential).
    public let lastError: String?
    public let settledAt: Timestamp?
}

/// The recorded outcome of one check-in request (`event_attendance_log`, its history row and rewards).
public struct CheckInOutcomeRecord: Sendable, Hashable {
    public let eventID: Int64
    public let memberID: Int64
    public let requestID: String
    /// `CHECK_IN` or `FAIL`.
    public let status: String
    public let failReason: String?
    public let attendanceDate: AttendanceDate?
    public let total: Int?
    public let streak: Int?
    public let policyVersion: Int?
    public let requestedAt: Timestamp?
    public let channel: String?
    public let processedAt: Timestamp
    public let rewards: [RewardRecord]
}

/// A member's successes and rewards in one event.
public struct MemberAttendanceRecord: Sendable, Hashable {
    public let days: [AttendanceSnapshot]
    public let rewards: [RewardRecord]

    /// The latest success (the history's snapshot of total and streak at that day).
    public var latest: AttendanceSnapshot? { days.last }
}

/// What operators and finance read about an event over a range of attendance days.
public struct EventSummaryRecord: Sendable, Hashable {
    public struct Day: Sendable, Hashable {
        public let date: AttendanceDate
        public var successes: Int64 = 0
        public var newParticipants: Int64 = 0
        public var failures: [String: Int64] = [:]
    }

    public struct RewardGroup: Sendable, Hashable {
        public let kind: String
        public let type: String
        public let status: String
        public let count: Int64
        public let pointSum: Int64
    }

    public let participants: Int64
    public let days: [Day]
    public let rewards: [RewardGroup]
    public let pointsReserved: Int64
    public let couponsReserved: Int64
}
