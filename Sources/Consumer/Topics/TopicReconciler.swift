/// Brings a cluster in line with the topic specs: creates missing topics, reconciles safe config drift when asked,
/// and reports every other difference with the reason it is left alone.
public enum TopicReconciler {
    /// For each spec: creates the topic if missing; otherwise compares partitions, replication factor and every
    /// spec'd config with the cluster and reports differences. Never alters an existing topic. Configs are only
    /// described (DescribeConfigs) for specs that declare some.
    public static func apply(
        _ specs: [TopicSpec],
        admin: KafkaAdmin,
        timeout: Duration
    ) throws -> (created: [String], drift: [TopicDrift]) {
        let report = try apply(specs, admin: admin, settings: TopicApplySettings(), timeout: timeout)
        return (report.created, report.findings.map(\.drift))
    }

    /// Describes every topic and decides first; refuses the whole run (``TopicApplyError``, nothing changed) when an
    /// override would weaken an existing topic or a topic cannot be created as asked. Then creates the missing
    /// topics and, with `settings.alter`, alters the safe configs of existing ones. Configs are only described for
    /// specs that declare some (or when `--min-insync-replicas` must be checked against the topic).
    public static func apply(
        _ specs: [TopicSpec],
        admin: KafkaAdmin,
        settings: TopicApplySettings,
        timeout: Duration
    ) throws -> TopicApplyReport {
        var creations: [Creation] = []
        var alterations: [(topic: String, configs: [String: String])] = []
        var report = TopicApplyReport()
        for spec in specs {
            guard let existing = try admin.describeTopic(name: spec.name, timeout: timeout) else {
                creations.append(try creation(spec, settings: settings))
                continue
            }
            let needsConfigs = !expectedConfigs(spec, settings).isEmpty
            let configs = needsConfigs ? try admin.describeConfigEntries(topic: spec.name, timeout: timeout) : nil
            let decision = try plan(spec, existing: existing, configs: configs, settings: settings)
            report.findings += decision.findings
            if let configs = decision.alterConfigs { alterations.append((spec.name, configs)) }
        }
        for creation in creations {
            let wasCreated = try admin.createTopic(
                name: creation.name,
                partitions: creation.partitions,
                replicationFactor: creation.replicationFactor,
                configs: creation.configs,
                timeout: timeout
            )
            if wasCreated { report.created.append(creation.name) }
        }
        for alteration in alterations {
            try admin.alterConfigs(topic: alteration.topic, configs: alteration.configs, timeout: timeout)
        }
        return report
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
}
