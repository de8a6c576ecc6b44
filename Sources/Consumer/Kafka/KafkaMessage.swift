internal import CRdKafka

/// A record header. Kafka allows duplicate keys and a null value, so headers are an ordered list.
public struct KafkaHeader: Sendable, Hashable {
    public let key: String
    public let value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

public struct TopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// A consumed record, copied out of librdkafka's `rd_kafka_message_t` (which is destroyed right after).
public struct KafkaMessage: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]?
    public let headers: [KafkaHeader]
    /// CreateTime or LogAppendTime in milliseconds since the epoch; nil if the broker did not provide one.
    public let timestampMilliseconds: Int64?

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }

    /// A message as if consumed: for tests of what is done with messages, without a broker.
    init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]? = nil,
        value: [UInt8]? = nil,
        headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// Copies everything the message points to; the caller still destroys `message`.
    init(copying message: UnsafePointer<rd_kafka_message_t>) {
        let raw = message.pointee
        topic = String(cString: rd_kafka_topic_name(raw.rkt))
        partition = raw.partition
        offset = raw.offset
        key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) }

        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        timestampMilliseconds = timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp

        var copied: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var headerValue: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &headerValue, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                copied.append(
                    KafkaHeader(
                        key: name.map { String(cString: $0) } ?? "",
                        value: headerValue.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                    )
                )
                index += 1
            }
        }
        headers = copied
    }
}

/// A record to produce.
public struct OutgoingMessage: Sendable {
    public let topic: String
    public let key: [UInt8]?
    public let value: [UInt8]?
    public let headers: [KafkaHeader]
    /// nil lets the partitioner choose (murmur2 of the key, like Java's default partitioner).
    public let partition: Int32?
    /// CreateTime in milliseconds since the epoch; nil means "now" (set by librdkafka when enqueued).
    public let timestampMilliseconds: Int64?

    public init(
        topic: String,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        partition: Int32? = nil,
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// Where the broker stored a produced record.
public struct DeliveryReport: Sendable, Hashable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
}
