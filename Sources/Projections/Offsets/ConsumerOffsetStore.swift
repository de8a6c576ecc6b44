/// Consumer positions kept in Postgres, in the same transaction as the rows they produced.
///
/// Postgres, not Kafka, is the source of truth: a crash between the database commit and the Kafka commit
/// then never replays a processed message (it is skipped by offset) nor loses one.
public enum ConsumerOffsetStore {
    /// The stored next offsets for the given partitions (absent: never committed by this group).
    public static func load(
        groupID: String,
        partitions: [PartitionKey],
        on connection: PostgresConnection
    ) throws -> [PartitionKey: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let rows = try connection.execute(
            """
            SELECT o.topic, o.partition, o.next_offset
            FROM consumer_offset o
            JOIN unnest($2::text[], $3::int[]) AS p(topic, partition)
              ON o.topic = p.topic AND o.partition = p.partition
            WHERE o.group_id = $1
            """,
            [groupID, partitions.map { $0.topic as String? }, partitions.map { $0.partition as Int32? }]
        )
        var offsets: [PartitionKey: Int64] = [:]
        for row in 0..<rows.count {
            guard let topic = rows.string(row, 0), let partition = rows.int(row, 1), let next = rows.int64(row, 2)
            else { continue }
            offsets[PartitionKey(topic: topic, partition: Int32(partition))] = next
        }
        return offsets
    }

    /// Advances the stored offsets, fenced: each partition moves only from the offset this consumer
    /// believes is stored (`expected`, nil when no row exists yet). Run it first in the batch transaction:
    /// the row locks it takes serialise two writers of one partition (a zombie after a rebalance), and a
    /// fence that does not hold throws `OffsetFenceError`, so the caller rolls back instead of writing twice.
    public static func advance(
        groupID: String,
        from expected: [PartitionKey: Int64?],
        to next: [PartitionKey: Int64],
        on connection: PostgresConnection
    ) throws {
        let keys = next.keys.sorted()
        guard !keys.isEmpty else { return }
        let rows = try connection.execute(
            """
            WITH input AS (
                SELECT * FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[])
                    AS i(topic, partition, expected, next)
            ), moved AS (
                UPDATE consumer_offset o
                SET next_offset = i.next, updated_at = now()
                FROM input i
                WHERE o.group_id = $1 AND o.topic = i.topic AND o.partition = i.partition
                  AND i.expected IS NOT NULL AND o.next_offset = i.expected
                RETURNING 1
            ), created AS (
                INSERT INTO consumer_offset (group_id, topic, partition, next_offset)
                SELECT $1, topic, partition, next FROM input WHERE expected IS NULL
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM moved) + (SELECT count(*) FROM created)
            """,
            [
                groupID,
                keys.map { $0.topic as String? },
                keys.map { $0.partition as Int32? },
                keys.map { key -> Int64? in expected[key] ?? nil },
                keys.map { next[$0] },
            ]
        )
        let advanced = rows.int(0, 0) ?? 0
        guard advanced == keys.count else {
            throw OffsetFenceError(groupID: groupID, partitions: keys)
        }
    }
}

/// Another consumer moved a partition's stored offset since this one read it: this consumer's view is stale
/// (it lost the partition in a rebalance, or a second process shares its group). Roll back and re-read.
public struct OffsetFenceError: Error, Sendable, CustomStringConvertible {
    public let groupID: String
    public let partitions: [PartitionKey]

    public var description: String {
        "stored offsets of group \(groupID) moved under this consumer for one of "
            + partitions.map(\.description).joined(separator: ", ") + "; re-reading them"
    }
}
