import Consumer
import Domain
import Projections
import Synchronization

/// A check-in request as upstream services produce it (PRODUCT §1).
struct CheckInFixture: Sendable {
    var eventID: Int64
    var memberID: Int64
    var requestID: String
    var requestedAt: String?
    var channel: String? = "APP"
    /// CreateTime of the Kafka message; nil means now.
    var timestampMilliseconds: Int64? = nil

    var key: String { "\(eventID):\(memberID)" }

    var json: String {
        var fields = ["\"request_id\": \"\(requestID)\"", "\"event_id\": \(eventID)", "\"member_id\": \(memberID)"]
        if let requestedAt { fields.append("\"requested_at\": \"\(requestedAt)\"") }
        if let channel { fields.append("\"channel\": \"\(channel)\"") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    func message(topic: String = TopicNames.standard.checkInRequests) -> OutgoingMessage {
        OutgoingMessage(
            topic: topic,
            key: key.bytes,
            value: json.bytes,
            timestampMilliseconds: timestampMilliseconds
        )
    }
}

/// An event file (PRODUCT §2) with the fields the tests vary.
struct EventFixture {
    var id: Int64
    var status = "ACTIVE"
    var startsAt = "2026-01-01T00:00:00+09:00"
    var endsAt = "2027-06-01T00:00:00+09:00"
    var maxAttendanceDays: Int? = nil
    var maxParticipants: Int? = nil
    var dailyReward = #"{"type": "POINT", "point_amount": 10}"#
    var bonusRules = "[]"

    var json: String {
        var fields = [
            "\"id\": \(id)", "\"name\": \"Pipeline test event \(id)\"", "\"status\": \"\(status)\"",
            "\"starts_at\": \"\(startsAt)\"", "\"ends_at\": \"\(endsAt)\"", "\"timezone\": \"Asia/Seoul\"",
            "\"daily_reward\": \(dailyReward)", "\"bonus_rules\": \(bonusRules)",
        ]
        if let maxAttendanceDays { fields.append("\"max_attendance_days\": \(maxAttendanceDays)") }
        if let maxParticipants { fields.append("\"max_participants\": \(maxParticipants)") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

extension Timestamp {
    /// Milliseconds since the epoch of an RFC 3339 literal the test wrote itself.
    static func milliseconds(_ rfc3339: String) -> Int64 {
        (Timestamp(rfc3339: rfc3339)?.microsecondsSinceEpoch ?? 0) / 1_000
    }
}

/// Counts how often the tests' assignment arrived; a consumer without a listener would use the committed offsets.
final class AssignmentRecorder: KafkaRebalanceListener {
    let assigned = Mutex<Set<TopicPartition>>([])

    func partitionsAssigned(_ partitions: [TopicPartition]) throws -> [TopicPartition: Int64?] {
        assigned.withLock { $0.formUnion(partitions) }
        return [:]
    }

    func partitionsRevoked(_ partitions: [TopicPartition]) {
        assigned.withLock { $0.subtract(partitions) }
    }
}
