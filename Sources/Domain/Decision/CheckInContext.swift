/// Everything besides the request that a decision depends on, loaded by the caller.
public struct CheckInContext: Sendable {
    /// The request's event; `nil` means the event does not exist.
    public let policy: EventPolicy?
    /// The Kafka message timestamp: the upper bound (plus ``CheckInRules/futureTolerance``) for `requested_at`.
    public let messageTimestamp: Timestamp
    public let member: MemberAttendance
    /// Distinct members of the event with at least one success so far.
    public let participantCount: Int

    public init(policy: EventPolicy?, messageTimestamp: Timestamp, member: MemberAttendance, participantCount: Int) {
        self.policy = policy
        self.messageTimestamp = messageTimestamp
        self.member = member
        self.participantCount = participantCount
    }
}
