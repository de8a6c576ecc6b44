import Domain

/// Where a message came from: the consumer's unit of progress.
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32
    public let offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic)[\(partition)]@\(offset)" }
}

/// A topic partition, as the offset store and the projector see it (no Kafka types here).
public struct PartitionKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let topic: String
    public let partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: PartitionKey, rhs: PartitionKey) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// A message header, with raw bytes (Kafka header values are bytes, and may be absent).
public struct MessageHeader: Hashable, Sendable {
    public let name: String
    public let value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

/// One check-in request message exactly as it arrived, before parsing.
public struct CheckInEnvelope: Sendable {
    public let position: SourcePosition
    public let key: [UInt8]?
    public let value: [UInt8]?
    public let headers: [MessageHeader]
    /// The Kafka message timestamp; the reference for REQUESTED_AT_IN_FUTURE.
    public let timestamp: Timestamp?

    public init(
        position: SourcePosition,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [MessageHeader],
        timestamp: Timestamp?
    ) {
        self.position = position
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// The W3C trace context header, when the producer sent one. Only short, visible-ASCII values are kept:
    /// the header is outside the request's contract, and a hostile value must never break a batch write.
    public var traceParent: String? {
        guard let header = headers.first(where: { $0.name == "traceparent" }), let value = header.value,
            (1...128).contains(value.count), value.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        return String(decoding: value, as: UTF8.self)
    }
}
