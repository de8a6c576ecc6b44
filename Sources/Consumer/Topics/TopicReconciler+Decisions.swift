/// The decisions of `topics apply`, apart from the Admin API calls so they are tested without a cluster.
extension TopicReconciler {
    /// Configs `--alter` sets on an existing topic: they change how long and how large messages are kept, never
    /// where a key goes or which writes are accepted.
    public static let safeToAlter: Set<String> = [
        "cleanup.policy", "max.message.bytes", "retention.bytes", "retention.ms",
    ]

    static let minInsyncReplicas = "min.insync.replicas"

    /// A topic as `topics apply` creates it: the spec with the settings' overrides.
    public struct Creation: Sendable, Hashable {
        public let name: String
        public let partitions: Int
        public let replicationFactor: Int
        public let configs: [String: String]
    }

    /// What to do about an existing topic: the full config set to send with AlterConfigs (nil: nothing to alter) and
    /// every difference found, with what was done about it.
    public struct ExistingTopicPlan: Sendable, Hashable {
        public var alterConfigs: [String: String]?
        public var findings: [TopicFinding] = []
    }

    /// The spec's configs with the `min.insync.replicas` override applied.
    static func expectedConfigs(_ spec: TopicSpec, _ settings: TopicApplySettings) -> [String: String] {
        var configs = spec.configs
        if let minInsync = settings.minInsyncReplicas { configs[minInsyncReplicas] = String(minInsync) }
        return configs
    }

    /// The topic as it would be created. Refused when `min.insync.replicas` exceeds the replication factor: every
    /// write with `acks=all` would then fail.
    public static func creation(
        _ spec: TopicSpec,
        settings: TopicApplySettings
    ) throws(TopicApplyError) -> Creation {
        try validate(settings, topic: spec.name)
        let replicationFactor = settings.replicationFactor ?? spec.replicationFactor
        let configs = expectedConfigs(spec, settings)
        if let text = configs[minInsyncReplicas], let minInsync = Int(text), minInsync > replicationFactor {
            throw TopicApplyError(
                topic: spec.name,
                problem: "min.insync.replicas \(minInsync) is more than the replication factor \(replicationFactor): "
                    + "every write with acks=all would fail; pass --min-insync-replicas \(replicationFactor) or less"
            )
        }
        return Creation(
            name: spec.name,
            partitions: spec.partitions,
            replicationFactor: replicationFactor,
            configs: configs
        )
    }

    /// Compares an existing topic with its spec (and the settings' overrides). Refuses overrides that would weaken
    /// the topic; never plans a partition or replication change; plans AlterConfigs for the safe configs with
    /// `--alter`. `configs` is nil when they were not described (the spec names none and no override needs them).
    public static func plan(
        _ spec: TopicSpec,
        existing: TopicDescription,
        configs: [TopicConfigEntry]?,
        settings: TopicApplySettings
    ) throws(TopicApplyError) -> ExistingTopicPlan {
        try validate(settings, topic: spec.name)
        if let replicationFactor = settings.replicationFactor, replicationFactor < existing.replicationFactor {
            throw TopicApplyError(
                topic: spec.name,
                problem: "--replication-factor \(replicationFactor) would weaken the existing topic "
                    + "(replication factor \(existing.replicationFactor))"
            )
        }
        let actual = Dictionary(
            (configs ?? []).compactMap { entry in entry.value.map { (entry.name, $0) } },
            uniquingKeysWith: { first, _ in first }
        )
        if let minInsync = settings.minInsyncReplicas, let current = actual[minInsyncReplicas].flatMap({ Int($0) }),
            minInsync < current
        {
            throw TopicApplyError(
                topic: spec.name,
                problem: "--min-insync-replicas \(minInsync) would weaken the existing topic "
                    + "(min.insync.replicas \(current))"
            )
        }

        var plan = ExistingTopicPlan()
        if existing.partitions != spec.partitions {
            plan.findings.append(
                TopicFinding(
                    TopicDrift(
                        topic: spec.name,
                        field: "partitions",
                        expected: "\(spec.partitions)",
                        actual: "\(existing.partitions)"
                    ),
                    .leftAsIs(why: partitionsWhy(spec, existing: existing))
                )
            )
        }
        let replicationFactor = settings.replicationFactor ?? spec.replicationFactor
        if existing.replicationFactor != replicationFactor {
            plan.findings.append(
                TopicFinding(
                    TopicDrift(
                        topic: spec.name,
                        field: "replication_factor",
                        expected: "\(replicationFactor)",
                        actual: "\(existing.replicationFactor)"
                    ),
                    .leftAsIs(why: "never changed here: more replicas need a partition reassignment")
                )
            )
        }
        guard let configs else { return plan }

        var changes: [String: String] = [:]
        var configDrift: [TopicDrift] = []
        let expected = expectedConfigs(spec, settings)
        for key in expected.keys.sorted() where actual[key] != expected[key] {
            let drift = TopicDrift(
                topic: spec.name,
                field: "configs.\(key)",
                expected: expected[key]!,
                actual: actual[key]
            )
            if safeToAlter.contains(key) {
                if settings.alter {
                    changes[key] = expected[key]
                    configDrift.append(drift)
                } else {
                    plan.findings.append(TopicFinding(drift, .leftAsIs(why: "--alter sets it")))
                }
            } else if key == minInsyncReplicas {
                plan.findings.append(
                    TopicFinding(
                        drift,
                        .leftAsIs(
                            why:
                                "never altered here: it decides which writes the brokers accept; change it deliberately"
                        )
                    )
                )
            } else {
                plan.findings.append(
                    TopicFinding(
                        drift,
                        .leftAsIs(why: "--alter changes only \(safeToAlter.sorted().joined(separator: ", "))")
                    )
                )
            }
        }
        guard !changes.isEmpty else { return plan }
        if let full = alterations(changes, current: configs) {
            plan.alterConfigs = full
            plan.findings += configDrift.map { TopicFinding($0, .altered) }
        } else {
            plan.findings += configDrift.map {
                TopicFinding(
                    $0,
                    .leftAsIs(
                        why: "not altered: the topic has a sensitive setting the broker does not reveal, which "
                            + "AlterConfigs would reset"
                    )
                )
            }
        }
        return plan
    }

    /// The full config set to send with AlterConfigs, which resets whatever it leaves out: the topic's own settings
    /// (not read-only), then `changes`. Nil when a topic-level setting's value is withheld (sensitive): it could not
    /// be sent back, and would be lost.
    public static func alterations(_ changes: [String: String], current: [TopicConfigEntry]) -> [String: String]? {
        var configs: [String: String] = [:]
        for entry in current where entry.isTopicOverride && !entry.isReadOnly {
            guard let value = entry.value else { return nil }
            configs[entry.name] = value
        }
        configs.merge(changes) { _, new in new }
        return configs
    }

    private static func partitionsWhy(_ spec: TopicSpec, existing: TopicDescription) -> String {
        if spec.partitions < existing.partitions {
            return "never changed here: Kafka cannot remove partitions"
        }
        if spec.keyFormat != "none" {
            return "never changed here: the topic is keyed (\(spec.keyDescription ?? spec.keyFormat)); more partitions "
                + "would send keys to other partitions and break the per-key order its consumers rely on. "
                + "Publish a new version of the topic to repartition"
        }
        return "never changed here: add partitions with the cluster's tools if consumers allow it"
    }

    private static func validate(_ settings: TopicApplySettings, topic: String) throws(TopicApplyError) {
        if let replicationFactor = settings.replicationFactor, replicationFactor < 1 {
            throw TopicApplyError(topic: topic, problem: "--replication-factor must be at least 1")
        }
        if let minInsync = settings.minInsyncReplicas, minInsync < 1 {
            throw TopicApplyError(topic: topic, problem: "--min-insync-replicas must be at least 1")
        }
    }
}
