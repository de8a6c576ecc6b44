/// What `topics apply` may do beyond creating missing topics exactly as specified.
public struct TopicApplySettings: Sendable, Hashable {
    /// Replication factor of the topics it creates, instead of the specs' (a cluster with fewer brokers). Refused
    /// when it is below the replication factor of an existing topic.
    public var replicationFactor: Int?
    /// `min.insync.replicas` of the topics it creates, instead of the specs'. Refused when it is below the value of an
    /// existing topic.
    public var minInsyncReplicas: Int?
    /// Reconcile the configs ``TopicReconciler/safeToAlter`` names on existing topics (AlterConfigs).
    public var alter: Bool

    public init(replicationFactor: Int? = nil, minInsyncReplicas: Int? = nil, alter: Bool = false) {
        self.replicationFactor = replicationFactor
        self.minInsyncReplicas = minInsyncReplicas
        self.alter = alter
    }
}

/// A topic `topics apply` refuses to create or touch as asked; nothing is changed when any topic is refused.
public struct TopicApplyError: Error, Sendable, Hashable, CustomStringConvertible {
    public let topic: String
    public let problem: String

    public init(topic: String, problem: String) {
        self.topic = topic
        self.problem = problem
    }

    public var description: String { "\(topic): \(problem)" }
}

/// One difference between a spec and an existing topic, and what `topics apply` did about it.
public struct TopicFinding: Sendable, Hashable, CustomStringConvertible {
    public enum Resolution: Sendable, Hashable {
        /// Set to the expected value through AlterConfigs.
        case altered
        /// Left as it is, for the reason given.
        case leftAsIs(why: String)
    }

    public let drift: TopicDrift
    public let resolution: Resolution

    public init(_ drift: TopicDrift, _ resolution: Resolution) {
        self.drift = drift
        self.resolution = resolution
    }

    public var isResolved: Bool { resolution == .altered }

    public var description: String {
        switch resolution {
        case .altered: "altered \(drift.topic): \(drift.field) \(drift.actual ?? "(absent)") → \(drift.expected)"
        case .leftAsIs(let why): "drift \(drift): \(why)"
        }
    }
}

/// What `topics apply` decided and did, topic by topic.
public struct TopicApplyReport: Sendable, Hashable {
    public var created: [String] = []
    public var findings: [TopicFinding] = []

    public init(created: [String] = [], findings: [TopicFinding] = []) {
        self.created = created
        self.findings = findings
    }

    /// Differences still there after the run.
    public var remainingDrift: [TopicFinding] { findings.filter { !$0.isResolved } }
}
