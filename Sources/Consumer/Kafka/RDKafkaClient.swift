internal import CRdKafka
import Logging

/// State that librdkafka's callbacks reach through the handle's opaque pointer (`rd_kafka_opaque`).
///
/// It is owned by the `RDKafkaClient` whose handle carries the pointer, so it outlives every callback.
final class RDKafkaCallbackContext: Sendable {
    let logger: Logger
    let rebalanceListener: (any KafkaRebalanceListener)?

    init(logger: Logger, rebalanceListener: (any KafkaRebalanceListener)? = nil) {
        self.logger = logger
        self.rebalanceListener = rebalanceListener
    }

    static func from(_ handle: OpaquePointer?) -> RDKafkaCallbackContext? {
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Owns one `rd_kafka_t` and destroys it in `deinit`.
///
/// `@unchecked Sendable`: the only stored state is the immutable handle pointer and an immutable, `Sendable`
/// context; librdkafka documents every function used on the handle as thread-safe.
final class RDKafkaClient: @unchecked Sendable {
    let handle: OpaquePointer
    let context: RDKafkaCallbackContext

    /// Builds an `rd_kafka_conf_t` from `properties`, lets `configure` install callbacks, and creates the handle.
    ///
    /// Ownership: the conf is ours until `rd_kafka_new` succeeds, which takes it over; on every failure path before
    /// or including a failed `rd_kafka_new` we destroy it here.
    init(
        type: rd_kafka_type_t,
        properties: [(key: String, value: String)],
        context: RDKafkaCallbackContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE, message: "rd_kafka_conf_new failed")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw .invalidConfiguration(Self.describeConfigurationFailure(key: key, result: result, errorText))
            }
        }
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        configure(conf)
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw .invalidConfiguration("rd_kafka_new failed: \(String(errorBuffer: errorText))")
        }
        self.handle = handle
        self.context = context
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// The fatal error that stopped this client, if any (`rd_kafka_fatal_error`).
    func fatalError() -> KafkaError? {
        Self.fatalError(of: handle)
    }

    static func fatalError(of handle: OpaquePointer) -> KafkaError? {
        var text = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &text, text.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: code, message: String(errorBuffer: text), isRetriable: false, isFatal: true)
    }

    /// librdkafka's texts for invalid values quote the value, so sensitive keys get a generic message.
    private static func describeConfigurationFailure(
        key: String,
        result: rd_kafka_conf_res_t,
        _ errorText: [CChar]
    ) -> String {
        if result == RD_KAFKA_CONF_UNKNOWN {
            return "Unknown configuration property \"\(key)\""
        }
        if KafkaConfiguration.isSensitive(key) {
            return "Invalid value for configuration property \"\(key)\" (value redacted)"
        }
        return "Invalid configuration property \"\(key)\": \(String(errorBuffer: errorText))"
    }
}

private func rdKafkaErrorCallback(
    _ handle: OpaquePointer?,
    _ code: Int32,
    _ reason: UnsafePointer<CChar>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let opaque else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let errorCode = rd_kafka_resp_err_t(rawValue: code)
    let text = reason.map { String(cString: $0) } ?? ""
    if errorCode == RD_KAFKA_RESP_ERR__FATAL, let handle {
        var detail = [CChar](repeating: 0, count: 512)
        let underlying = rd_kafka_fatal_error(handle, &detail, detail.count)
        let error = KafkaError(
            code: underlying,
            message: String(errorBuffer: detail),
            isRetriable: false,
            isFatal: true
        )
        context.logger.critical("librdkafka fatal error", metadata: ["error": "\(error)"])
    } else {
        let error = KafkaError(code: errorCode, message: text)
        context.logger.warning("librdkafka error", metadata: ["error": "\(error)"])
    }
}

private func rdKafkaLogCallback(
    _ handle: OpaquePointer?,
    _ level: Int32,
    _ facility: UnsafePointer<CChar>?,
    _ message: UnsafePointer<CChar>?
) {
    guard let context = RDKafkaCallbackContext.from(handle) else { return }
    let logLevel: Logger.Level =
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    context.logger.log(
        level: logLevel,
        "\(message.map { String(cString: $0) } ?? "")",
        metadata: ["librdkafka.facility": "\(facility.map { String(cString: $0) } ?? "")"]
    )
}

extension String {
    /// Reads a NUL-terminated error buffer that librdkafka filled in.
    init(errorBuffer: [CChar]) {
        self = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
