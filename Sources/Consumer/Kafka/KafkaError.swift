internal import CRdKafka

/// An error reported by librdkafka or by this wrapper.
///
/// `code` is the raw `rd_kafka_resp_err_t`: positive values are Kafka protocol errors, negative ones are
/// librdkafka-internal (for example `-185` `_TIMED_OUT`). `description` never contains payloads or
/// configuration values.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    /// librdkafka's symbolic name of `code` (`rd_kafka_err2name`), e.g. `_QUEUE_FULL`, `UNKNOWN_TOPIC_OR_PART`.
    public let name: String
    public let message: String
    public let isRetriable: Bool
    public let isFatal: Bool
    public let file: String
    public let line: Int

    init(
        code: rd_kafka_resp_err_t,
        message: String? = nil,
        isRetriable: Bool? = nil,
        isFatal: Bool = false,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code.rawValue
        self.name = String(cString: rd_kafka_err2name(code))
        self.message = message ?? String(cString: rd_kafka_err2str(code))
        self.isRetriable = isRetriable ?? Self.retriableCodes.contains(code)
        self.isFatal = isFatal || code == RD_KAFKA_RESP_ERR__FATAL
        self.file = file
        self.line = line
    }

    /// Copies an `rd_kafka_error_t` and destroys it: the caller hands over ownership.
    static func consuming(_ error: OpaquePointer, file: String = #fileID, line: Int = #line) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        return KafkaError(
            code: rd_kafka_error_code(error),
            message: String(cString: rd_kafka_error_string(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            file: file,
            line: line
        )
    }

    /// A configuration problem; `message` names the property.
    static func invalidConfiguration(_ message: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG, message: message, isRetriable: false, file: file, line: line)
    }

    static func timedOut(_ message: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__TIMED_OUT, message: message, isRetriable: true, file: file, line: line)
    }

    /// Throws when `code` is not `NO_ERROR`.
    static func check(
        _ code: rd_kafka_resp_err_t,
        _ context: @autoclosure () -> String,
        file: String = #fileID,
        line: Int = #line
    ) throws(KafkaError) {
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        throw KafkaError(
            code: code,
            message: "\(context()): \(String(cString: rd_kafka_err2str(code)))",
            file: file,
            line: line
        )
    }

    public var description: String {
        var text = "KafkaError(\(name), \(code)): \(message)"
        if isFatal { text += " [fatal]" }
        if isRetriable { text += " [retriable]" }
        return text + " at \(file):\(line)"
    }

    /// Codes worth retrying when librdkafka does not say so itself (plain `rd_kafka_resp_err_t` results).
    private static let retriableCodes: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__QUEUE_FULL,
        RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
        RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
    ]
}
