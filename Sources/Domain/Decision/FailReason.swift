/// Why a request failed: the `fail_reason` of its log row (PRODUCT §3), in the order checked.
public enum FailReason: String, CaseIterable, Sendable, Codable {
    case invalidRequest = "INVALID_REQUEST"
    case eventNotFound = "EVENT_NOT_FOUND"
    case eventNotActive = "EVENT_NOT_ACTIVE"
    case eventNotStarted = "EVENT_NOT_STARTED"
    case eventEnded = "EVENT_ENDED"
    case requestedAtInFuture = "REQUESTED_AT_IN_FUTURE"
    case alreadyCheckedIn = "ALREADY_CHECKED_IN"
    case outOfOrder = "OUT_OF_ORDER"
    case attendanceLimitReached = "ATTENDANCE_LIMIT_REACHED"
    case participantLimitReached = "PARTICIPANT_LIMIT_REACHED"
}
