import Domain

/// The `attendance.events.v1` value (schema in `topics/`): one per processed request, for analytics.
public enum AttendanceEventMessage {
    public static let schemaVersion: Int64 = 1

    public static func payload(
        request: CheckInRequest,
        decision: CheckInDecision,
        policyVersion: Int?,
        processedAt: Timestamp
    ) -> [UInt8] {
        var json = JSONText()
        json.beginObject()
        json.field("schema_version", schemaVersion)
        json.field("request_id", request.requestID)
        json.field("event_id", request.eventID)
        json.field("member_id", request.memberID)
        json.field("attendance_date", decision.attendanceDate?.description)
        switch decision.outcome {
        case .checkedIn(let snapshot, _):
            json.field("status", "CHECK_IN")
            json.field("fail_reason", nil as String?)
            json.field("total_attendance_count", snapshot.total)
            json.field("streak_attendance_count", snapshot.streak)
        case .failed(let reason, _):
            json.field("status", "FAIL")
            json.field("fail_reason", reason.rawValue)
            json.field("total_attendance_count", nil as Int?)
            json.field("streak_attendance_count", nil as Int?)
        }
        json.field("policy_version", policyVersion)
        json.field("processed_at", processedAt.description)
        json.endObject()
        return json.utf8
    }
}
