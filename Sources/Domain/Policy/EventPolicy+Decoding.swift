import Foundation

extension EventPolicy {
    /// Parses and validates an operator's policy file (the format of PRODUCT §2).
    ///
    /// Every problem found is reported, each naming its field path, e.g.
    /// `bonus_rules[1].reward.point_amount: must be greater than 0`, so a file can be fixed in one go.
    /// Unknown fields are refused; `null` counts as absent for optional fields.
    public static func decode(json: Data) throws(PolicyValidationError) -> EventPolicy {
        var problems = PolicyProblems()
        let document: JSONValue
        do {
            document = try JSONReader.parseDocument(Array(json))
        } catch {
            throw PolicyValidationError(problems: [
                .init(field: "(file)", message: "not valid JSON: \(error.reason) at byte \(error.offset)")
            ])
        }
        guard let root = PolicyObject(document, path: "", knownKeys: rootKeys, &problems) else {
            throw PolicyValidationError(problems: problems.list)
        }

        let id = root.integer("id", required: true, &problems)
        if let id { PolicyRules.checkID(id, &problems) }
        let name = root.string("name", required: true, &problems)
        if let name { PolicyRules.checkName(name, &problems) }
        let status = root.enumeration("status", EventStatus.self, &problems)
        let startsAt = root.timestamp("starts_at", &problems)
        let endsAt = root.timestamp("ends_at", &problems)
        if let startsAt, let endsAt { PolicyRules.checkPeriod(startsAt: startsAt, endsAt: endsAt, &problems) }
        let timeZoneIdentifier = root.string("timezone", required: true, &problems)
        let timeZone = timeZoneIdentifier.flatMap { PolicyRules.resolveTimeZone($0, &problems) }
        let maxAttendanceDays = decodeLimit("max_attendance_days", in: root, &problems)
        let maxParticipants = decodeLimit("max_participants", in: root, &problems)
        var dailyReward: RewardSpec? = RewardSpec.none
        if let value = root.value("daily_reward") {
            dailyReward = decodeReward(value, path: root.path("daily_reward"), allowsNone: true, &problems)
        }
        let bonusRules = decodeBonusRules(root, &problems)
        let pointBudget = root.integer("point_budget", required: false, &problems)
        PolicyRules.checkBudget(pointBudget, field: root.path("point_budget"), &problems)
        let couponBudget = root.integer("coupon_budget", required: false, &problems)
        PolicyRules.checkBudget(couponBudget, field: root.path("coupon_budget"), &problems)

        try problems.throwIfAny()
        guard let id, let name, let status, let startsAt, let endsAt, let timeZoneIdentifier, let timeZone,
            let dailyReward, let bonusRules
        else {
            preconditionFailure("every field that failed to decode recorded a problem")
        }
        return EventPolicy(
            validatedID: id,
            name: name,
            status: status,
            startsAt: startsAt,
            endsAt: endsAt,
            timeZoneIdentifier: timeZoneIdentifier,
            timeZone: timeZone,
            maxAttendanceDays: maxAttendanceDays.map { Int($0) },
            maxParticipants: maxParticipants.map { Int($0) },
            dailyReward: dailyReward,
            bonusRules: bonusRules,
            pointBudget: pointBudget,
            couponBudget: couponBudget
        )
    }

    private static let rootKeys: Set<String> = [
        "id", "name", "status", "starts_at", "ends_at", "timezone",
        "max_attendance_days", "max_participants", "daily_reward", "bonus_rules", "point_budget", "coupon_budget",
    ]
    private static let rewardKeys: Set<String> = ["type", "point_amount", "coupon_group_id"]
    private static let bonusRuleKeys: Set<String> = ["id", "trigger", "count", "repeat", "reward"]

    private static func decodeLimit(_ key: String, in object: PolicyObject, _ problems: inout PolicyProblems) -> Int64?
    {
        guard let value = object.integer(key, required: false, &problems) else { return nil }
        PolicyRules.checkLimit(Int(value), field: object.path(key), &problems)
        return value
    }

    /// A reward object; returns `nil` after recording problems.
    private static func decodeReward(
        _ value: JSONValue,
        path: String,
        allowsNone: Bool,
        _ problems: inout PolicyProblems
    ) -> RewardSpec? {
        guard let object = PolicyObject(value, path: path, knownKeys: rewardKeys, &problems) else { return nil }
        let before = problems.list.count
        let type = object.string("type", required: true, &problems)
        let amountKey = "point_amount"
        let groupKey = "coupon_group_id"
        var reward: RewardSpec?
        switch type {
        case "POINT":
            if object.isPresent(groupKey) { problems.add(object.path(groupKey), "is not allowed for type POINT") }
            if let amount = object.integer(amountKey, required: true, &problems) {
                PolicyRules.checkPointAmount(amount, field: object.path(amountKey), &problems)
                reward = .point(amount: amount)
            }
        case "COUPON":
            if object.isPresent(amountKey) { problems.add(object.path(amountKey), "is not allowed for type COUPON") }
            if let groupID = object.string(groupKey, required: true, &problems) {
                PolicyRules.checkCouponGroupID(groupID, field: object.path(groupKey), &problems)
                reward = .coupon(groupID: groupID)
            }
        case "NONE" where allowsNone:
            for key in [amountKey, groupKey] where object.isPresent(key) {
                problems.add(object.path(key), "is not allowed for type NONE")
            }
            reward = RewardSpec.none
        case "NONE":
            problems.add(object.path("type"), "must be POINT or COUPON (NONE is not allowed here)")
        case .some:
            let choices = allowsNone ? "POINT, COUPON, NONE" : "POINT, COUPON"
            problems.add(object.path("type"), "must be one of \(choices)")
        case nil:
            break
        }
        return problems.list.count == before ? reward : nil
    }

    private static func decodeBonusRules(_ root: PolicyObject, _ problems: inout PolicyProblems) -> [BonusRule]? {
        guard let value = root.value("bonus_rules") else { return [] }
        guard case .array(let elements) = value else {
            problems.add(root.path("bonus_rules"), "must be an array")
            return nil
        }
        var rules: [BonusRule] = []
        var ids: [(index: Int, id: String)] = []
        for (index, element) in elements.enumerated() {
            let path = "bonus_rules[\(index)]"
            guard let object = PolicyObject(element, path: path, knownKeys: bonusRuleKeys, &problems) else { continue }
            let id = object.string("id", required: true, &problems)
            if let id {
                PolicyRules.checkBonusRuleID(id, field: object.path("id"), &problems)
                ids.append((index, id))
            }
            let trigger = object.enumeration("trigger", BonusTrigger.self, &problems)
            let count = object.integer("count", required: true, &problems)
            if let count { PolicyRules.checkBonusRuleCount(Int(count), field: object.path("count"), &problems) }
            let repeats = object.bool("repeat", required: false, &problems) ?? false
            var reward: RewardSpec?
            if let rewardValue = object.value("reward") {
                reward = decodeReward(rewardValue, path: object.path("reward"), allowsNone: false, &problems)
            } else {
                problems.add(object.path("reward"), "is required")
            }
            if let id, let trigger, let count, let reward {
                rules.append(BonusRule(id: id, trigger: trigger, count: Int(count), repeats: repeats, reward: reward))
            }
        }
        PolicyRules.checkBonusRuleIDsUnique(ids, &problems)
        return rules
    }
}
