/// A difference between a topic's spec and the cluster. The reconciler reports drift; it never alters a topic.
public struct TopicDrift: Sendable, Hashable, CustomStringConvertible {
    public let topic: String
    /// `partitions`, `replication_factor` or `configs.<key>`.
    public let field: String
    public let expected: String
    /// nil when the cluster does not report the config at all.
    public let actual: String?

    public init(topic: String, field: String, expected: String, actual: String?) {
        self.topic = topic
        self.field = field
        self.expected = expected
        self.actual = actual
    }

    public var description: String { "\(topic): \(field) expected \(expected), actual \(actual ?? "(absent)")" }
}
