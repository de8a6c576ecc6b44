import Foundation

/// The value rules of a policy (PRODUCT §2), shared by the JSON decoder and the typed initializer.
///
/// These are checked in the application rather than by database constraints, as the seed
/// design asks; each check names the field by its path in the policy file.
enum PolicyRules {
    static let maximumNameLength = 200
    static let maximumCouponGroupIDLength = 64
    static let maximumBonusRuleIDLength = 64

    static func checkID(_ id: Int64, _ problems: inout PolicyProblems) {
        if id <= 0 { problems.add("id", "must be greater than 0") }
    }

    /// Length counts Unicode scalars, as a Postgres `varchar(n)` counts characters.
    static func checkName(_ name: String, _ problems: inout PolicyProblems) {
        if name.allSatisfy(\.isWhitespace) {
            problems.add("name", "must not be empty")
        } else if name.unicodeScalars.count > maximumNameLength {
            problems.add("name", "must be at most \(maximumNameLength) characters")
        }
    }

    static func checkPeriod(startsAt: Timestamp, endsAt: Timestamp, _ problems: inout PolicyProblems) {
        if startsAt >= endsAt { problems.add("ends_at", "must be after starts_at") }
    }

    /// Region names only (`Asia/Seoul`, `America/New_York`) or `UTC`: abbreviations such as
    /// `KST` or `EST` are ambiguous or not what the operator meant, even where Foundation knows them.
    /// A region name must also come back unchanged, so a differently spelled alias is refused
    /// rather than silently rewritten (`UTC` itself comes back as `GMT`, which is the same zone).
    static func resolveTimeZone(_ identifier: String, _ problems: inout PolicyProblems) -> TimeZone? {
        let isRegionName = identifier.contains("/")
        guard isRegionName || identifier == "UTC", let timeZone = TimeZone(identifier: identifier),
            !isRegionName || timeZone.identifier == identifier
        else {
            problems.add("timezone", "must be an IANA time zone name such as Asia/Seoul or UTC")
            return nil
        }
        return timeZone
    }

    static func checkLimit(_ value: Int?, field: String, _ problems: inout PolicyProblems) {
        if let value, value <= 0 { problems.add(field, "must be greater than 0") }
    }

    /// A payout cap (`point_budget`, `coupon_budget`): 0 is allowed (the event pays nothing of that type).
    static func checkBudget(_ value: Int64?, field: String, _ problems: inout PolicyProblems) {
        if let value, value < 0 { problems.add(field, "must be 0 or greater") }
    }

    static func checkReward(_ reward: RewardSpec, field: String, allowsNone: Bool, _ problems: inout PolicyProblems) {
        switch reward {
        case .point(let amount):
            checkPointAmount(amount, field: "\(field).point_amount", &problems)
        case .coupon(let groupID):
            checkCouponGroupID(groupID, field: "\(field).coupon_group_id", &problems)
        case .none:
            if !allowsNone { problems.add("\(field).type", "must be POINT or COUPON (NONE is not allowed here)") }
        }
    }

    static func checkPointAmount(_ amount: Int64, field: String, _ problems: inout PolicyProblems) {
        if amount <= 0 { problems.add(field, "must be greater than 0") }
    }

    static func checkCouponGroupID(_ groupID: String, field: String, _ problems: inout PolicyProblems) {
        if groupID.isEmpty {
            problems.add(field, "must not be empty")
        } else if groupID.unicodeScalars.count > maximumCouponGroupIDLength {
            problems.add(field, "must be at most \(maximumCouponGroupIDLength) characters")
        }
    }

    /// `[A-Za-z0-9_.-]{1,64}`: the id ends up in reward idempotency keys, so it stays plain.
    static func checkBonusRuleID(_ id: String, field: String, _ problems: inout PolicyProblems) {
        let allowed = id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
        if !allowed || id.isEmpty || id.utf8.count > maximumBonusRuleIDLength {
            problems.add(field, "must be 1–\(maximumBonusRuleIDLength) characters of A-Z, a-z, 0-9, '_', '.', '-'")
        }
    }

    static func checkBonusRuleCount(_ count: Int, field: String, _ problems: inout PolicyProblems) {
        if count < 1 { problems.add(field, "must be at least 1") }
    }

    /// Rule ids name the bonus in its idempotency key, so two rules may not share one.
    static func checkBonusRuleIDsUnique(_ ids: [(index: Int, id: String)], _ problems: inout PolicyProblems) {
        var firstIndex: [String: Int] = [:]
        for (index, id) in ids {
            if let first = firstIndex[id] {
                problems.add("bonus_rules[\(index)].id", "duplicates bonus_rules[\(first)].id")
            } else {
                firstIndex[id] = index
            }
        }
    }
}
