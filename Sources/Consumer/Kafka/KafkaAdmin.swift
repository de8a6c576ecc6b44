internal import CRdKafka
import Logging

/// What the cluster reports about an existing topic.
public struct TopicDescription: Sendable, Hashable {
    public let name: String
    public let partitions: Int
    public let replicationFactor: Int

    public init(name: String, partitions: Int, replicationFactor: Int) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
    }
}

/// Admin operations against a real cluster: CreateTopics, topic metadata, DescribeConfigs, AlterConfigs.
///
/// Every call is bounded by its `timeout`. Brokers that do not implement an Admin API (librdkafka's mock cluster
/// implements neither CreateTopics nor DescribeConfigs) fail fast with `_UNSUPPORTED_FEATURE`.
///
/// `@unchecked Sendable`: the only state is the thread-safe client handle; each call uses its own result queue.
public final class KafkaAdmin: @unchecked Sendable {
    private let client: RDKafkaClient
    private let logger: Logger

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let properties = try configuration.resolvedProperties(
            defaults: [:],
            kind: .admin,
            client: "KafkaAdmin"
        )
        client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER,
            properties: properties,
            context: RDKafkaCallbackContext(logger: logger)
        )
        self.logger = logger
    }

    /// Creates a topic; returns false if it already existed (`TOPIC_ALREADY_EXISTS` is not an error).
    @discardableResult
    public func createTopic(
        name: String,
        partitions: Int,
        replicationFactor: Int,
        configs: [String: String],
        timeout: Duration
    ) throws(KafkaError) -> Bool {
        var errorText = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(name, Int32(partitions), Int32(replicationFactor), &errorText, 512)
        else {
            throw .invalidConfiguration("topic \(name): \(String(errorBuffer: errorText))")
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
            try KafkaError.check(rd_kafka_NewTopic_set_config(newTopic, key, value), "topic \(name) config \(key)")
        }
        let event = try runAdminRequest(RD_KAFKA_ADMIN_OP_CREATETOPICS, "CreateTopics \(name)", timeout: timeout) {
            var topics: [OpaquePointer?] = [newTopic]
            rd_kafka_CreateTopics(client.handle, &topics, 1, $0, $1)
        }
        defer { rd_kafka_event_destroy(event) }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
            let topics = rd_kafka_CreateTopics_result_topics(result, &count), count == 1, let topic = topics[0]
        else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__BAD_MSG, message: "CreateTopics \(name): malformed result")
        }
        let code = rd_kafka_topic_result_error(topic)
        switch code {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            logger.info("created topic", metadata: ["topic": "\(name)", "partitions": "\(partitions)"])
            return true
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
            return false
        default:
            let detail = rd_kafka_topic_result_error_string(topic).map { String(cString: $0) }
            throw KafkaError(
                code: code,
                message: "CreateTopics \(name): \(detail ?? String(cString: rd_kafka_err2str(code)))"
            )
        }
    }

    /// Partition count and replication factor from cluster metadata; nil if the topic does not exist.
    public func describeTopic(name: String, timeout: Duration) throws(KafkaError) -> TopicDescription? {
        guard let topic = try client.topicMetadata(timeout: timeout)[name] else { return nil }
        switch topic.error {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return TopicDescription(
                name: name,
                partitions: topic.partitions,
                replicationFactor: topic.replicationFactor
            )
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            return nil
        default:
            throw KafkaError(
                code: topic.error,
                message: "metadata for topic \(name): \(KafkaError(code: topic.error).message)"
            )
        }
    }

    /// The topic's effective configuration (entries whose value the broker withholds, such as sensitive ones, are
    /// left out).
    public func describeConfigs(topic: String, timeout: Duration) throws(KafkaError) -> [String: String] {
        var configs: [String: String] = [:]
        for entry in try describeConfigEntries(topic: topic, timeout: timeout) {
            if let value = entry.value { configs[entry.name] = value }
        }
        return configs
    }

    /// Every config entry of the topic, with where its value comes from.
    public func describeConfigEntries(topic: String, timeout: Duration) throws(KafkaError) -> [TopicConfigEntry] {
        let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
        defer { rd_kafka_ConfigResource_destroy(resource) }
        let event = try runAdminRequest(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, "DescribeConfigs \(topic)", timeout: timeout)
        {
            var resources: [OpaquePointer?] = [resource]
            rd_kafka_DescribeConfigs(client.handle, &resources, 1, $0, $1)
        }
        defer { rd_kafka_event_destroy(event) }
        var count = 0
        guard let result = rd_kafka_event_DescribeConfigs_result(event),
            let resources = rd_kafka_DescribeConfigs_result_resources(result, &count), count == 1,
            let described = resources[0]
        else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__BAD_MSG, message: "DescribeConfigs \(topic): malformed result")
        }
        let code = rd_kafka_ConfigResource_error(described)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let detail = rd_kafka_ConfigResource_error_string(described).map { String(cString: $0) }
            throw KafkaError(code: code, message: "DescribeConfigs \(topic): \(detail ?? "")")
        }
        var entryCount = 0
        guard let entries = rd_kafka_ConfigResource_configs(described, &entryCount) else { return [] }
        return (0..<entryCount).compactMap { index in
            guard let entry = entries[index] else { return nil }
            return TopicConfigEntry(
                name: String(cString: rd_kafka_ConfigEntry_name(entry)),
                value: rd_kafka_ConfigEntry_value(entry).map { String(cString: $0) },
                isTopicOverride: rd_kafka_ConfigEntry_source(entry) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG,
                isReadOnly: rd_kafka_ConfigEntry_is_read_only(entry) != 0,
                isSensitive: rd_kafka_ConfigEntry_is_sensitive(entry) != 0
            )
        }
    }

    /// Replaces the topic's configuration with `configs` (AlterConfigs).
    ///
    /// AlterConfigs is not incremental: every topic-level setting left out of `configs` reverts to the broker's
    /// default. Callers pass the topic's current overrides with their changes merged in
    /// (``TopicReconciler/alterations(_:current:)``).
    public func alterConfigs(topic: String, configs: [String: String], timeout: Duration) throws(KafkaError) {
        let resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
        defer { rd_kafka_ConfigResource_destroy(resource) }
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
            try KafkaError.check(
                rd_kafka_ConfigResource_set_config(resource, key, value),
                "AlterConfigs \(topic) config \(key)"
            )
        }
        let event = try runAdminRequest(RD_KAFKA_ADMIN_OP_ALTERCONFIGS, "AlterConfigs \(topic)", timeout: timeout) {
            var resources: [OpaquePointer?] = [resource]
            rd_kafka_AlterConfigs(client.handle, &resources, 1, $0, $1)
        }
        defer { rd_kafka_event_destroy(event) }
        var count = 0
        guard let result = rd_kafka_event_AlterConfigs_result(event),
            let resources = rd_kafka_AlterConfigs_result_resources(result, &count), count == 1,
            let altered = resources[0]
        else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__BAD_MSG, message: "AlterConfigs \(topic): malformed result")
        }
        let code = rd_kafka_ConfigResource_error(altered)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let detail = rd_kafka_ConfigResource_error_string(altered).map { String(cString: $0) }
            throw KafkaError(code: code, message: "AlterConfigs \(topic): \(detail ?? "")")
        }
        logger.info("altered topic configs", metadata: ["topic": "\(topic)", "configs": "\(configs.keys.sorted())"])
    }

    /// CreateTopics and DescribeConfigs go to the controller; librdkafka would wait for it until the timeout. A
    /// cluster whose metadata names a controller that is not one of its brokers (librdkafka's mock cluster reports
    /// controller 0, its brokers are 1…n) or none at all fails fast instead.
    private func requireController(_ what: String, timeout: Duration) throws(KafkaError) {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        // Brokers only (no topics): enough to learn the broker ids; the controller id is cached from the response.
        try KafkaError.check(rd_kafka_metadata(client.handle, 0, nil, &metadata, timeout.clampedMilliseconds), what)
        guard let metadata else { return }
        defer { rd_kafka_metadata_destroy(metadata) }
        let brokers = (0..<Int(metadata.pointee.broker_cnt)).map { metadata.pointee.brokers[$0].id }
        let controller = rd_kafka_controllerid(client.handle, 0)
        guard !brokers.contains(controller) else { return }
        throw KafkaError(
            code: RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE,
            message: "\(what): the cluster names controller \(controller), which is not among its brokers \(brokers); "
                + "this Admin API needs a controller (librdkafka's mock cluster has none; on a real cluster, retry "
                + "after the controller election)",
            isRetriable: true
        )
    }

    /// Runs one Admin API call on a private queue and returns its result event (the caller destroys it).
    ///
    /// Ownership: options and queue are destroyed here; librdkafka copies what it needs from the options.
    private func runAdminRequest(
        _ operation: rd_kafka_admin_op_t,
        _ what: String,
        timeout: Duration,
        _ call: (OpaquePointer?, OpaquePointer?) -> Void
    ) throws(KafkaError) -> OpaquePointer {
        try requireController(what, timeout: timeout)
        let queue = rd_kafka_queue_new(client.handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.handle, operation)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 512)
        let milliseconds = max(timeout.clampedMilliseconds, 1)
        try KafkaError.check(
            rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &errorText, errorText.count),
            "\(what): request timeout"
        )
        if operation == RD_KAFKA_ADMIN_OP_CREATETOPICS {
            try KafkaError.check(
                rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &errorText, errorText.count),
                "\(what): operation timeout"
            )
        }
        call(options, queue)
        // librdkafka enforces the request timeout itself; the extra second only guards against a lost event.
        guard let event = rd_kafka_queue_poll(queue, milliseconds + 1000) else {
            throw .timedOut("\(what): no answer within \(timeout)")
        }
        let code = rd_kafka_event_error(event)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let detail = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            rd_kafka_event_destroy(event)
            throw KafkaError(code: code, message: "\(what): \(detail)")
        }
        return event
    }
}
