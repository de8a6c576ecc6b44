import Projections

extension CheckInCoordination {
    /// What the worker does, in the order returned. An action whose outcome the worker reports (a write, a
    /// keep-alive, a resynchronisation) comes last in its list: the report's transition returns the next actions.
    enum Action {
        /// Write the messages in one transaction whose stored offsets move from `fence`; report `written`,
        /// `fenced` or `writeFailed`.
        case write([KafkaMessage], fence: [PartitionKey: Int64?])
        /// Isolating: write this part of a refused batch; report `written`, `sliceRefused` or `isolationFailed`.
        case writeSlice([KafkaMessage], fence: [PartitionKey: Int64?])
        /// Isolating: the database refuses this message alone; set it aside to the DLQ with its offset and report
        /// `written` or `isolationFailed`.
        case setAside(KafkaMessage, refusal: PostgresError, fence: [PartitionKey: Int64?])
        /// Open the connection to isolate a refused message on; report `isolationStarted` or `isolationFailed`.
        case prepareIsolation
        /// Follow the stored offsets to Kafka (only lag tooling reads them).
        case commitToKafka([PartitionKey: Int64], synchronously: Bool)
        /// Another consumer moved these partitions' stored offsets: re-read them, report each with
        /// `storedOffsetReread` (seeking to what it returns) and then `resynchronised`.
        case resynchronise([PartitionKey])
        /// Pause fetching of these partitions (those assigned and not paused yet); report the ones still assigned
        /// with `fetchingPaused`.
        case pauseFetching([PartitionKey])
        /// Poll (serving rebalances and heartbeats) for this long, reporting every message with `discarded`;
        /// then report `backoffEnded`.
        case keepAlive(Duration)
        /// Seek partitions back to where their discarded messages start.
        case seek([PartitionKey: Int64])
        /// Seek partitions back to their stored offsets, which their messages skipped (see `seekBackOverGaps`).
        case seekBackOverGap([PartitionKey: Int64])
        /// Resume fetching of partitions that `pauseFetching` paused.
        case resumeFetching([PartitionKey])
    }
}
