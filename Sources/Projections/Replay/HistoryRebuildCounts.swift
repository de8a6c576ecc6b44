/// What a rebuild read and wrote, including the log rows it could not turn into history rows.
public struct HistoryRebuildCounts: Sendable, Hashable, Codable {
    /// CHECK_IN log rows read.
    public var replayed: Int64 = 0
    /// Shadow rows written.
    public var written: Int64 = 0
    /// A second success on a day the member already has (the live unique key would refuse it).
    public var skippedSameDay: Int64 = 0
    /// A success on a day before the member's latest one (history is append-only; the live rules say OUT_OF_ORDER).
    public var skippedEarlierDay: Int64 = 0
    /// Rows whose recorded attendance_date differs from the day their policy version gives (the rebuild uses the
    /// policy's; the diff then shows the live row as different).
    public var dateMismatches: Int64 = 0
    /// Rows whose policy version is not stored (or no longer decodes): their recorded attendance_date is used.
    public var missingPolicies: Int64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case replayed, written
        case skippedSameDay = "skipped_same_day"
        case skippedEarlierDay = "skipped_earlier_day"
        case dateMismatches = "date_mismatches"
        case missingPolicies = "missing_policies"
    }
}
