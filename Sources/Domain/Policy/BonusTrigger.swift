/// Which counter a bonus rule watches.
public enum BonusTrigger: String, Sendable, Codable, CaseIterable {
    /// Consecutive attendance days.
    case streak = "STREAK"
    /// All successes in the event.
    case total = "TOTAL"
}
