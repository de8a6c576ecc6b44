internal import CRdKafka

/// Facts about the linked librdkafka, for status output and benchmark reports.
public enum KafkaLibrary {
    public static var version: String { String(cString: rd_kafka_version_str()) }
}
