/// The processing rules of PRODUCT §3: one request in, one outcome out, no I/O.
public enum CheckInRules {
    /// How far (in seconds) `requested_at` may lie after the Kafka message timestamp, for clock skew.
    public static let futureTolerance: Int64 = 300

    /// Decides `request` with the checks in the order of PRODUCT §3's table; the first that applies wins.
    ///
    /// On success the day's total is the previous total + 1 and the streak is the previous
    /// streak + 1 if the previous success was the day before, else 1; the rewards are
    /// ``RewardGrant/earned(policy:memberID:snapshot:)``.
    public static func decide(_ request: CheckInRequest, in context: CheckInContext) -> CheckInDecision {
        let day: AttendanceDate? = context.policy.flatMap { policy in
            request.requestedAt.map { policy.attendanceDate(of: $0) }
        }
        func fail(_ reason: FailReason, _ detail: String?) -> CheckInDecision {
            CheckInDecision(outcome: .failed(reason, detail: detail), attendanceDate: day)
        }

        if let invalidReason = request.invalidReason {
            return fail(.invalidRequest, invalidReason)
        }
        guard let requestedAt = request.requestedAt else {
            return fail(.invalidRequest, "requested_at: missing")
        }
        guard let policy = context.policy, let day else {
            return fail(.eventNotFound, "no event \(request.eventID)")
        }
        guard policy.status == .active else {
            return fail(.eventNotActive, "event status is \(policy.status.rawValue)")
        }
        if requestedAt < policy.startsAt {
            return fail(.eventNotStarted, "requested_at \(requestedAt) is before starts_at \(policy.startsAt)")
        }
        if requestedAt >= policy.endsAt {
            return fail(.eventEnded, "requested_at \(requestedAt) is at or after ends_at \(policy.endsAt)")
        }
        let latestAllowed = context.messageTimestamp.adding(seconds: futureTolerance)
        if requestedAt > latestAllowed {
            return fail(
                .requestedAtInFuture,
                "requested_at \(requestedAt) is more than \(futureTolerance)s after the message timestamp "
                    + "\(context.messageTimestamp)"
            )
        }

        let member = context.member
        if day == member.latest?.date || member.successDays.contains(day) {
            return fail(.alreadyCheckedIn, "already checked in on \(day)")
        }
        if let latest = member.latest, day < latest.date {
            return fail(.outOfOrder, "\(day) is before the latest success on \(latest.date)")
        }
        if let limit = policy.maxAttendanceDays, let latest = member.latest, latest.total >= limit {
            return fail(.attendanceLimitReached, "\(latest.total) of \(limit) attendance days used")
        }
        if let limit = policy.maxParticipants, member.latest == nil, context.participantCount >= limit {
            return fail(.participantLimitReached, "\(context.participantCount) of \(limit) participants")
        }

        let snapshot = nextSnapshot(after: member.latest, on: day)
        let rewards = RewardGrant.earned(policy: policy, memberID: request.memberID, snapshot: snapshot)
        return CheckInDecision(outcome: .checkedIn(snapshot, rewards: rewards), attendanceDate: day)
    }

    /// The counters after a success on `day`, which is later than `latest`'s date.
    static func nextSnapshot(after latest: AttendanceSnapshot?, on day: AttendanceDate) -> AttendanceSnapshot {
        guard let latest else { return AttendanceSnapshot(date: day, total: 1, streak: 1) }
        let continues = latest.date.adding(days: 1) == day
        return AttendanceSnapshot(date: day, total: latest.total + 1, streak: continues ? latest.streak + 1 : 1)
    }
}
