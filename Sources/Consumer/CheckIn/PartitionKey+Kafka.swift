import Projections

extension PartitionKey {
    init(_ partition: TopicPartition) {
        self.init(topic: partition.topic, partition: partition.partition)
    }

    init(_ message: KafkaMessage) {
        self.init(topic: message.topic, partition: message.partition)
    }
}

extension TopicPartition {
    init(_ partition: PartitionKey) {
        self.init(topic: partition.topic, partition: partition.partition)
    }
}
