import Domain
import Foundation

/// Every stored version of every event policy, to place each logged success on the attendance day its own
/// policy version defines (the time zone in force when it was decided, not today's).
///
/// Loaded once per rebuild: `event_policy_version` has one row per applied change, a tiny table. A version that
/// is missing or no longer decodes is absent; the caller falls back to the recorded day and reports it.
struct ReplayPolicies {
    private struct Key: Hashable {
        let eventID: Int64
        let version: Int
    }

    private var policies: [Key: EventPolicy] = [:]

    static func load(on connection: PostgresConnection) throws -> ReplayPolicies {
        let rows = try connection.execute("SELECT event_id, version, policy::text FROM event_policy_version")
        var loaded = ReplayPolicies()
        for row in 0..<rows.count {
            guard let eventID = rows.int64(row, 0), let version = rows.int(row, 1), let text = rows.string(row, 2),
                let policy = try? EventPolicy.decode(json: Data(text.utf8))
            else { continue }
            loaded.policies[Key(eventID: eventID, version: version)] = policy
        }
        return loaded
    }

    /// The day of `instant` under the event's policy `version`, or nil when that version is unknown.
    func attendanceDate(eventID: Int64, version: Int, of instant: Timestamp) -> AttendanceDate? {
        policies[Key(eventID: eventID, version: version)]?.attendanceDate(of: instant)
    }
}
