/// An extra reward for reaching a streak or total count (PRODUCT §2).
public struct BonusRule: Hashable, Sendable {
    public let id: String
    public let trigger: BonusTrigger
    public let count: Int
    /// Fires again at every multiple of ``count`` (the file's `repeat` field).
    public let repeats: Bool
    public let reward: RewardSpec

    /// Not validated on its own: a rule is checked when it becomes part of an ``EventPolicy``.
    public init(id: String, trigger: BonusTrigger, count: Int, repeats: Bool = false, reward: RewardSpec) {
        self.id = id
        self.trigger = trigger
        self.count = count
        self.repeats = repeats
        self.reward = reward
    }

    /// Whether the success that brought the member to `total` successes and a `streak`-day
    /// streak earns this bonus: the watched value equals ``count``, or is a multiple of it
    /// when the rule ``repeats``.
    public func fires(total: Int, streak: Int) -> Bool {
        guard count > 0 else { return false }
        let value = trigger == .streak ? streak : total
        return value == count || (repeats && value > 0 && value % count == 0)
    }
}
