import Domain
import Projections

/// The event summary as the API serves it, for `attendance report` too: one definition, two doors.
public enum EventSummaryReport {
    public enum Format: String, Sendable, CaseIterable {
        case json
        case csv
    }

    /// Renders the summary of `eventID` over `from`…`to` (defaults: the event's period, at most `maximumDays`).
    /// Returns nil when there is no such event; throws ``APIProblem`` for a bad range.
    public static func render(
        _ store: AttendanceReadStore,
        eventID: Int64,
        from: AttendanceDate?,
        to: AttendanceDate?,
        format: Format,
        maximumDays: Int = 366
    ) throws -> String? {
        guard let policy = try store.policy(eventID: eventID) else { return nil }
        let range = try EventSummaryRange(policy: policy.policy, from: from, to: to, maximumDays: maximumDays)
        let record = try store.eventSummary(eventID: eventID, from: range.from, to: range.to)
        let body = EventSummaryBody(policy: policy, from: range.from, to: range.to, record: record)
        switch format {
        case .csv: return body.csv
        case .json: return String(decoding: try APIServer.encodeData(body), as: UTF8.self)
        }
    }
}
