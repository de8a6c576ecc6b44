/// Brings a cluster in line with the topic specs by creating missing topics and reporting drift on existing ones.
public enum TopicReconciler {
    /// For each spec: creates the topic if missing; otherwise compares partitions, replication factor and every
    /// spec'd config with the cluster and reports differences. Never alters an existing topic. Configs are only
    /// described (DescribeConfigs) for specs that declare some.
    public static func apply(
        _ specs: [TopicSpec],
        admin: KafkaAdmin,
        timeout: Duration
    ) throws -> (created: [String], drift: [TopicDrift]) {
        var created: [String] = []
        var drift: [TopicDrift] = []
        for spec in specs {
            guard let existing = try admin.describeTopic(name: spec.name, timeout: timeout) else {
                let wasCreated = try admin.createTopic(
                    name: spec.name,
                    partitions: spec.partitions,
                    replicationFactor: spec.replicationFactor,
                    configs: spec.configs,
                    timeout: timeout
                )
                if wasCreated { created.append(spec.name) }
                continue
            }
            drift += compare(spec, with: existing)
            if !spec.configs.isEmpty {
                let actual = try admin.describeConfigs(topic: spec.name, timeout: timeout)
                drift += compareConfigs(spec, with: actual)
            }
        }
        return (created, drift)
    }

    /// For librdkafka's mock cluster, which does not answer CreateTopics: creates every spec'd topic through the
    /// mock API (replication factor capped at the broker count, though 2.0.2's mock then uses min(3, brokers) anyway;
    /// configs are not supported by the mock and ignored).
    /// Returns the topics created; topics that already exist are left alone.
    public static func apply(_ specs: [TopicSpec], mock: KafkaMockCluster) throws -> [String] {
        var created: [String] = []
        for spec in specs {
            do {
                try mock.createTopic(
                    spec.name,
                    partitions: spec.partitions,
                    replicationFactor: min(spec.replicationFactor, mock.brokerCount)
                )
                created.append(spec.name)
            } catch {
                guard error.name == "TOPIC_ALREADY_EXISTS" else { throw error }
            }
        }
        return created
    }

    static func compare(_ spec: TopicSpec, with existing: TopicDescription) -> [TopicDrift] {
        var drift: [TopicDrift] = []
        if existing.partitions != spec.partitions {
            drift.append(
                .init(
                    topic: spec.name,
                    field: "partitions",
                    expected: "\(spec.partitions)",
                    actual: "\(existing.partitions)"
                )
            )
        }
        if existing.replicationFactor != spec.replicationFactor {
            drift.append(
                .init(
                    topic: spec.name,
                    field: "replication_factor",
                    expected: "\(spec.replicationFactor)",
                    actual: "\(existing.replicationFactor)"
                )
            )
        }
        return drift
    }

    static func compareConfigs(_ spec: TopicSpec, with actual: [String: String]) -> [TopicDrift] {
        spec.configs.keys.sorted().compactMap { key in
            let expected = spec.configs[key]!
            guard actual[key] != expected else { return nil }
            return TopicDrift(topic: spec.name, field: "configs.\(key)", expected: expected, actual: actual[key])
        }
    }
}
