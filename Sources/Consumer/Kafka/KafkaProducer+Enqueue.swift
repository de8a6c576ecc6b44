internal import CRdKafka

/// A non-null pointer for empty (but present) keys and values; librdkafka reads zero bytes from it.
nonisolated(unsafe) private let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

extension KafkaProducer {
    /// One `rd_kafka_produceva` call with `RD_KAFKA_MSG_F_COPY`, so the Swift buffers only need to live for the call.
    ///
    /// Ownership: the header list is librdkafka's once the call succeeds; on failure we destroy it.
    func enqueue(_ message: OutgoingMessage, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        let headers: OpaquePointer? = message.headers.isEmpty ? nil : rd_kafka_headers_new(message.headers.count)
        if let headers {
            for header in message.headers {
                let added: rd_kafka_resp_err_t
                if let value = header.value {
                    added = value.withUnsafeBytes {
                        rd_kafka_header_add(headers, header.key, -1, $0.baseAddress, $0.count)
                    }
                } else {
                    added = rd_kafka_header_add(headers, header.key, -1, nil, 0)
                }
                precondition(added == RD_KAFKA_RESP_ERR_NO_ERROR, "rd_kafka_header_add cannot fail on a fresh list")
            }
        }
        let error: OpaquePointer? = message.topic.withCString { topic in
            withOptionalBytes(message.key) { key, keyCount in
                withOptionalBytes(message.value) { value, valueCount in
                    var values: [rd_kafka_vu_t] = []
                    func append(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                        var item = rd_kafka_vu_t()
                        item.vtype = type
                        fill(&item)
                        values.append(item)
                    }
                    append(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                    append(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                    append(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
                    if let key { append(RD_KAFKA_VTYPE_KEY) { $0.u.mem = .init(ptr: key, size: keyCount) } }
                    if let value { append(RD_KAFKA_VTYPE_VALUE) { $0.u.mem = .init(ptr: value, size: valueCount) } }
                    if let partition = message.partition { append(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition } }
                    if let timestamp = message.timestampMilliseconds {
                        append(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp }
                    }
                    if let headers { append(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers } }
                    return rd_kafka_produceva(client.handle, values, values.count)
                }
            }
        }
        guard let error else { return nil }
        if let headers { rd_kafka_headers_destroy(headers) }
        return KafkaError.consuming(error)
    }
}

/// Calls `body` with a pointer to `bytes` (nil for a null key/value, `emptyBytes` for an empty one) and the count.
private func withOptionalBytes<Result>(
    _ bytes: [UInt8]?,
    _ body: (UnsafeMutableRawPointer?, Int) -> Result
) -> Result {
    guard let bytes else { return body(nil, 0) }
    guard !bytes.isEmpty else { return body(emptyBytes, 0) }
    return bytes.withUnsafeBytes { body(UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
}
