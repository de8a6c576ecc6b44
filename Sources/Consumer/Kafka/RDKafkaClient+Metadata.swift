internal import CRdKafka

/// What a metadata response says about one topic.
struct TopicMetadataSnapshot: Sendable {
    let name: String
    let partitions: Int
    /// Replica count of partition 0 (Kafka keeps it uniform per topic unless reassigned by hand).
    let replicationFactor: Int
    let error: rd_kafka_resp_err_t
}

extension RDKafkaClient {
    /// Asks for metadata of all topics: asking for one topic can auto-create it on brokers that allow that.
    func topicMetadata(timeout: Duration) throws(KafkaError) -> [String: TopicMetadataSnapshot] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        try KafkaError.check(
            rd_kafka_metadata(handle, 1, nil, &metadata, timeout.clampedMilliseconds),
            "metadata request"
        )
        guard let metadata else { return [:] }
        defer { rd_kafka_metadata_destroy(metadata) }
        var topics: [String: TopicMetadataSnapshot] = [:]
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            let name = String(cString: topic.topic)
            let replicas = topic.partition_cnt > 0 ? Int(topic.partitions[0].replica_cnt) : 0
            topics[name] = TopicMetadataSnapshot(
                name: name,
                partitions: Int(topic.partition_cnt),
                replicationFactor: replicas,
                error: topic.err
            )
        }
        return topics
    }
}
