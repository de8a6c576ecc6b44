internal import CRdKafka
import Logging

/// librdkafka's in-process mock cluster: real Kafka protocol on loopback listeners, for tests, the embedded demo and
/// benchmarks.
///
/// Not a durable broker: everything lives in memory (about 5 MB retained per partition) and disappears with the
/// object. It implements produce (including idempotence), fetch, consumer groups with offset commits and metadata,
/// but not the Admin APIs CreateTopics and DescribeConfigs; create topics with `createTopic`.
///
/// `@unchecked Sendable`: both handles are immutable pointers and the mock API is thread-safe (it posts operations
/// to the cluster's own thread).
public final class KafkaMockCluster: @unchecked Sendable {
    /// Consumer settings for latency measured against the mock (``KafkaConfiguration/consumerProperties``): it holds
    /// a fetch that finds no data for the whole `fetch.wait.max.ms` (500 ms by default) even when a producer writes
    /// meanwhile, where a real broker answers as soon as data arrives. A short wait gives a consumer of the mock a
    /// real broker's latency, for more idle fetches.
    public static let lowLatencyConsumerProperties = ["fetch.wait.max.ms": "10"]

    public let brokerCount: Int
    /// The private handle librdkafka needs for the cluster's bookkeeping; it serves no traffic of its own.
    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    private let logger: Logger

    public init(brokers: Int, logger: Logger = Logger(label: "kafka.mock-cluster")) throws(KafkaError) {
        guard brokers >= 1 else { throw .invalidConfiguration("KafkaMockCluster needs at least one broker") }
        client = try RDKafkaClient(
            type: RD_KAFKA_PRODUCER,
            // The handle never connects anywhere, so librdkafka's "no bootstrap.servers" warning is noise here.
            properties: [("log_level", "3")],
            context: RDKafkaCallbackContext(logger: logger)
        )
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL, message: "rd_kafka_mock_cluster_new failed")
        }
        self.cluster = cluster
        self.brokerCount = brokers
        self.logger = logger
    }

    /// The cluster is destroyed first; the handle it was created on goes when `client` is released afterwards.
    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    /// `host:port,…` of the loopback listeners, for `KafkaConfiguration.bootstrapServers`.
    public var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// Creates a topic. Fails with `TOPIC_ALREADY_EXISTS` if it exists.
    ///
    /// librdkafka 2.0.2's mock ignores `replicationFactor`: every partition gets min(3, `brokerCount`) replicas, and
    /// metadata reports that. Topic configs are not supported at all.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int) throws(KafkaError) {
        try KafkaError.check(
            rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor)),
            "mock create topic \(name)"
        )
    }

    /// Broker ids run from 1 to `brokerCount`.
    public func setBrokerDown(_ id: Int32) {
        logFailure(rd_kafka_mock_broker_set_down(cluster, id), "set broker \(id) down")
    }

    public func setBrokerUp(_ id: Int32) {
        logFailure(rd_kafka_mock_broker_set_up(cluster, id), "set broker \(id) up")
    }

    /// The next `errors.count` requests with `apiKey` (e.g. 0 = Produce) fail with these codes, in order.
    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, codes.count, codes)
    }

    private func logFailure(_ code: rd_kafka_resp_err_t, _ what: String) {
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        logger.error("mock cluster: \(what) failed", metadata: ["error": "\(KafkaError(code: code))"])
    }
}
