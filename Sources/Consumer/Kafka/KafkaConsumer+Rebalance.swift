internal import CRdKafka
import Logging

/// librdkafka's `rebalance_cb`: asks the listener, then (un)assigns. Runs inside `rd_kafka_consumer_poll` or
/// `rd_kafka_consumer_close`, on the caller's thread. It must not throw or trap, so every failure is logged.
func rdKafkaRebalanceCallback(
    _ handle: OpaquePointer?,
    _ code: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let handle, let partitions, let opaque else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let logger = context.logger
    let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
    let topicPartitions = RDKafkaTopicPartitionList.elements(of: partitions).map(\.partition)

    switch code {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        var startOffsets: [TopicPartition: Int64?] = [:]
        if let listener = context.rebalanceListener {
            do {
                startOffsets = try listener.partitionsAssigned(topicPartitions)
            } catch {
                logger.error(
                    "rebalance listener failed; assigning nothing",
                    metadata: ["partitions": "\(topicPartitions)", "error": "\(error)"]
                )
                if !cooperative { logAssignError(rd_kafka_assign(handle, nil), logger) }
                return
            }
        }
        let assignment = RDKafkaTopicPartitionList(capacity: topicPartitions.count)
        for partition in topicPartitions {
            let offset = startOffsets[partition].flatMap { $0 } ?? Int64(RD_KAFKA_OFFSET_STORED)
            assignment.add(partition, offset: offset)
        }
        logger.info("partitions assigned", metadata: ["partitions": "\(topicPartitions)"])
        if cooperative {
            if let error = rd_kafka_incremental_assign(handle, assignment.pointer) {
                logger.error("incremental assign failed", metadata: ["error": "\(KafkaError.consuming(error))"])
            }
        } else {
            logAssignError(rd_kafka_assign(handle, assignment.pointer), logger)
        }

    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        context.rebalanceListener?.partitionsRevoked(topicPartitions)
        logger.info("partitions revoked", metadata: ["partitions": "\(topicPartitions)"])
        if cooperative {
            if let error = rd_kafka_incremental_unassign(handle, partitions) {
                logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError.consuming(error))"])
            }
        } else {
            logAssignError(rd_kafka_assign(handle, nil), logger)
        }

    default:
        logger.error("rebalance error; dropping the assignment", metadata: ["error": "\(KafkaError(code: code))"])
        if !cooperative { logAssignError(rd_kafka_assign(handle, nil), logger) }
    }
}

private func logAssignError(_ code: rd_kafka_resp_err_t, _ logger: Logger) {
    guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
    logger.error("assign failed", metadata: ["error": "\(KafkaError(code: code))"])
}

/// librdkafka's `offset_commit_cb`: only asynchronous commit failures need reporting.
func rdKafkaOffsetCommitCallback(
    _ handle: OpaquePointer?,
    _ code: rd_kafka_resp_err_t,
    _ offsets: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard code != RD_KAFKA_RESP_ERR_NO_ERROR, code != RD_KAFKA_RESP_ERR__NO_OFFSET, let opaque else { return }
    let context = Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    let partitions = offsets.map { RDKafkaTopicPartitionList.elements(of: $0).map(\.partition) } ?? []
    context.logger.warning(
        "offset commit failed",
        metadata: ["error": "\(KafkaError(code: code))", "partitions": "\(partitions)"]
    )
}
