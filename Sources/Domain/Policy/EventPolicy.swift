import Foundation

/// An event and its attendance policy, as an operator defines it in a JSON file (PRODUCT §2).
///
/// Every value of this type has passed validation: build one with ``decode(json:)`` or the
/// throwing initializer.
public struct EventPolicy: Hashable, Sendable {
    public let id: Int64
    public let name: String
    public let status: EventStatus
    public let startsAt: Timestamp
    /// Exclusive: a request at exactly this instant is too late.
    public let endsAt: Timestamp
    public let timeZoneIdentifier: String
    /// Resolved once at validation, so deciding a day never looks the identifier up again.
    public let timeZone: TimeZone
    /// Successes allowed per member; `nil` is unlimited.
    public let maxAttendanceDays: Int?
    /// Distinct members who may ever succeed, first come first served; `nil` is unlimited.
    public let maxParticipants: Int?
    public let dailyReward: RewardSpec
    public let bonusRules: [BonusRule]
    /// Total points the event may pay out (`point_budget`); `nil` is uncapped. Reserved before each payment.
    public let pointBudget: Int64?
    /// Coupons the event may issue (`coupon_budget`); `nil` is uncapped.
    public let couponBudget: Int64?

    /// Validates like ``decode(json:)`` does, naming fields by their policy-file paths.
    public init(
        id: Int64,
        name: String,
        status: EventStatus,
        startsAt: Timestamp,
        endsAt: Timestamp,
        timeZoneIdentifier: String,
        maxAttendanceDays: Int? = nil,
        maxParticipants: Int? = nil,
        dailyReward: RewardSpec = .none,
        bonusRules: [BonusRule] = [],
        pointBudget: Int64? = nil,
        couponBudget: Int64? = nil
    ) throws(PolicyValidationError) {
        var problems = PolicyProblems()
        PolicyRules.checkID(id, &problems)
        PolicyRules.checkName(name, &problems)
        PolicyRules.checkPeriod(startsAt: startsAt, endsAt: endsAt, &problems)
        let timeZone = PolicyRules.resolveTimeZone(timeZoneIdentifier, &problems)
        PolicyRules.checkLimit(maxAttendanceDays, field: "max_attendance_days", &problems)
        PolicyRules.checkLimit(maxParticipants, field: "max_participants", &problems)
        PolicyRules.checkReward(dailyReward, field: "daily_reward", allowsNone: true, &problems)
        for (index, rule) in bonusRules.enumerated() {
            let path = "bonus_rules[\(index)]"
            PolicyRules.checkBonusRuleID(rule.id, field: "\(path).id", &problems)
            PolicyRules.checkBonusRuleCount(rule.count, field: "\(path).count", &problems)
            PolicyRules.checkReward(rule.reward, field: "\(path).reward", allowsNone: false, &problems)
        }
        PolicyRules.checkBonusRuleIDsUnique(bonusRules.enumerated().map { ($0.offset, $0.element.id) }, &problems)
        PolicyRules.checkBudget(pointBudget, field: "point_budget", &problems)
        PolicyRules.checkBudget(couponBudget, field: "coupon_budget", &problems)
        try problems.throwIfAny()
        // `problems` is empty, so the time zone resolved.
        self.init(
            validatedID: id,
            name: name,
            status: status,
            startsAt: startsAt,
            endsAt: endsAt,
            timeZoneIdentifier: timeZoneIdentifier,
            timeZone: timeZone!,
            maxAttendanceDays: maxAttendanceDays,
            maxParticipants: maxParticipants,
            dailyReward: dailyReward,
            bonusRules: bonusRules,
            pointBudget: pointBudget,
            couponBudget: couponBudget
        )
    }

    init(
        validatedID id: Int64,
        name: String,
        status: EventStatus,
        startsAt: Timestamp,
        endsAt: Timestamp,
        timeZoneIdentifier: String,
        timeZone: TimeZone,
        maxAttendanceDays: Int?,
        maxParticipants: Int?,
        dailyReward: RewardSpec,
        bonusRules: [BonusRule],
        pointBudget: Int64? = nil,
        couponBudget: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.timeZoneIdentifier = timeZoneIdentifier
        self.timeZone = timeZone
        self.maxAttendanceDays = maxAttendanceDays
        self.maxParticipants = maxParticipants
        self.dailyReward = dailyReward
        self.bonusRules = bonusRules
        self.pointBudget = pointBudget
        self.couponBudget = couponBudget
    }

    /// The attendance day of `instant` in this event's time zone.
    ///
    /// Uses the offset in force at that instant, so days stay right across DST changes.
    public func attendanceDate(of instant: Timestamp) -> AttendanceDate {
        let seconds = instant.secondsSinceEpoch
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        let localSeconds = seconds + Int64(offset)
        return AttendanceDate(daysSinceEpoch: Int(CivilCalendar.floorDivide(localSeconds, 86_400)))
    }
}
