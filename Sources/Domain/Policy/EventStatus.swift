/// Whether an event accepts check-ins; only ``active`` does.
public enum EventStatus: String, Sendable, Codable, CaseIterable {
    case active = "ACTIVE"
    case paused = "PAUSED"
    case ended = "ENDED"
}
