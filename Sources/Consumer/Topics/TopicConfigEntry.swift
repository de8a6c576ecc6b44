/// One entry of a topic's configuration as DescribeConfigs reports it.
public struct TopicConfigEntry: Sendable, Hashable {
    public let name: String
    /// nil when the broker withholds it (sensitive entries).
    public let value: String?
    /// Set on the topic itself, not inherited from the broker: what AlterConfigs would reset if left out.
    public let isTopicOverride: Bool
    public let isReadOnly: Bool
    public let isSensitive: Bool

    public init(
        name: String,
        value: String?,
        isTopicOverride: Bool,
        isReadOnly: Bool = false,
        isSensitive: Bool = false
    ) {
        self.name = name
        self.value = value
        self.isTopicOverride = isTopicOverride
        self.isReadOnly = isReadOnly
        self.isSensitive = isSensitive
    }
}
