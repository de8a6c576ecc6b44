/// The topics this service reads and writes (PRODUCT §1, §4, §5); one spec each in `topics/`.
public struct TopicNames: Sendable, Hashable {
    public var checkInRequests = "attendance.check-in-requests.v1"
    public var checkInRequestsDLQ = "attendance.check-in-requests.dlq.v1"
    public var rewardCommands = "attendance.reward-commands.v1"
    public var rewardCommandsDLQ = "attendance.reward-commands.dlq.v1"
    public var attendanceEvents = "attendance.events.v1"
    public var rewardSettlements = "attendance.reward-settlements.v1"

    public init() {}

    public static let standard = TopicNames()
}
