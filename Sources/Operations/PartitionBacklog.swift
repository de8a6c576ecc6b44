import Consumer
import Foundation
import Projections

/// How far the check-in consumers are behind on one partition: the stored next offset (Postgres, the source of
/// truth) against the high watermark (Kafka), and how old the oldest unprocessed message is.
public struct PartitionBacklog: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    /// The group's stored next offset; nil when the group never committed this partition.
    public var storedOffset: Int64?
    public var lowWatermark: Int64
    public var highWatermark: Int64
    /// Messages not processed yet: high watermark − stored offset (− low watermark when nothing is stored).
    public var lag: Int64
    /// Age of the first unprocessed message (now − its Kafka timestamp); 0 without lag; nil when it could not be read.
    public var oldestAgeSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case topic, partition, lag
        case storedOffset = "stored_offset"
        case lowWatermark = "low_watermark"
        case highWatermark = "high_watermark"
        case oldestAgeSeconds = "oldest_age_seconds"
    }

    /// Every partition of `topic`: watermarks from Kafka, stored offsets of `groupID` from Postgres, and for each
    /// partition with lag the timestamp of the message at the stored offset. Blocking.
    public static func collect(
        topic: String,
        groupID: String,
        storedOffsets: [Int32: Int64],
        probe: KafkaTopicProbe,
        timeout: Duration,
        now: Date = Date()
    ) throws -> [PartitionBacklog] {
        guard let count = try probe.partitionCount(topic: topic, timeout: timeout) else { return [] }
        var backlogs: [PartitionBacklog] = []
        for partition in 0..<Int32(count) {
            let marks = try probe.watermarks(topic: topic, partition: partition, timeout: timeout)
            let stored = storedOffsets[partition]
            let start = max(stored ?? marks.low, marks.low)
            backlogs.append(
                PartitionBacklog(
                    topic: topic,
                    partition: partition,
                    storedOffset: stored,
                    lowWatermark: marks.low,
                    highWatermark: marks.high,
                    lag: max(0, marks.high - start),
                    oldestAgeSeconds: nil
                )
            )
        }
        var firstUnprocessed: [TopicPartition: Int64] = [:]
        for backlog in backlogs where backlog.lag > 0 {
            firstUnprocessed[TopicPartition(topic: topic, partition: backlog.partition)] =
                max(backlog.storedOffset ?? backlog.lowWatermark, backlog.lowWatermark)
        }
        let timestamps = try probe.timestamps(at: firstUnprocessed, timeout: timeout)
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1_000)
        for index in backlogs.indices {
            if backlogs[index].lag == 0 {
                backlogs[index].oldestAgeSeconds = 0
            } else if let timestamp = timestamps[TopicPartition(topic: topic, partition: backlogs[index].partition)] {
                backlogs[index].oldestAgeSeconds = Double(max(0, nowMilliseconds - timestamp)) / 1_000
            }
        }
        return backlogs
    }

    /// The stored next offsets of `groupID` on `topic`, by partition.
    public static func storedOffsets(groupID: String, topic: String, on connection: PostgresConnection) throws
        -> [Int32: Int64]
    {
        let rows = try connection.execute(
            "SELECT partition, next_offset FROM consumer_offset WHERE group_id = $1 AND topic = $2",
            [groupID, topic]
        )
        var offsets: [Int32: Int64] = [:]
        for row in 0..<rows.count {
            if let partition = rows.int(row, 0), let next = rows.int64(row, 1) { offsets[Int32(partition)] = next }
        }
        return offsets
    }
}

/// Messages in a dead-letter topic: the sum of its partitions' high watermarks (every message ever dead-lettered) and
/// of what retention still keeps.
public struct DeadLetterCount: Sendable, Hashable, Codable {
    public var topic: String
    public var messages: Int64
    public var retained: Int64

    public static func collect(topic: String, probe: KafkaTopicProbe, timeout: Duration) throws -> DeadLetterCount {
        var count = DeadLetterCount(topic: topic, messages: 0, retained: 0)
        guard let partitions = try probe.partitionCount(topic: topic, timeout: timeout) else { return count }
        for partition in 0..<Int32(partitions) {
            let marks = try probe.watermarks(topic: topic, partition: partition, timeout: timeout)
            count.messages += max(0, marks.high)
            count.retained += max(0, marks.high - max(0, marks.low))
        }
        return count
    }
}

/// What the outbox holds back: the schema's replication slot (how much WAL it retains since the relay's last
/// acknowledgement, and how long ago the streaming relay last answered) and rows an earlier version left in the
/// `outbox` table.
public struct OutboxBacklog: Sendable, Hashable, Codable {
    /// Rows in the legacy `outbox` table (0 once an upgrade is drained).
    public var messages: Int64
    public var oldestAgeSeconds: Double?
    public var slot: String
    public var slotExists: Bool
    /// Whether a relay is streaming the slot.
    public var slotActive: Bool
    /// WAL the slot retains (bytes written since the last acknowledged position; never 0 on a busy server).
    public var retainedBytes: Int64
    /// Seconds since the streaming relay last acknowledged (nil when none streams).
    public var replyAgeSeconds: Double?

    public init(
        messages: Int64,
        oldestAgeSeconds: Double?,
        slot: String = "",
        slotExists: Bool = true,
        slotActive: Bool = false,
        retainedBytes: Int64 = 0,
        replyAgeSeconds: Double? = nil
    ) {
        self.messages = messages
        self.oldestAgeSeconds = oldestAgeSeconds
        self.slot = slot
        self.slotExists = slotExists
        self.slotActive = slotActive
        self.retainedBytes = retainedBytes
        self.replyAgeSeconds = replyAgeSeconds
    }

    enum CodingKeys: String, CodingKey {
        case messages = "legacy_rows"
        case oldestAgeSeconds = "legacy_oldest_age_seconds"
        case slot
        case slotExists = "slot_exists"
        case slotActive = "slot_active"
        case retainedBytes = "retained_wal_bytes"
        case replyAgeSeconds = "relay_reply_age_seconds"
    }

    public static func load(on connection: PostgresConnection, schema: String) throws -> OutboxBacklog {
        let (count, age) = try OutboxStore.backlog(on: connection)
        let slot = MessageSlot(schema: schema)
        let status = try slot.status(on: connection)
        return OutboxBacklog(
            messages: count,
            oldestAgeSeconds: age,
            slot: slot.name,
            slotExists: status != nil,
            slotActive: status?.isActive ?? false,
            retainedBytes: status?.retainedBytes ?? 0,
            replyAgeSeconds: status?.replyAgeSeconds
        )
    }
}
