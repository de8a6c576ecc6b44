/// The transactional outbox. Messages are written into the write-ahead log as transactional logical decoding
/// messages (`pg_logical_emit_message`) inside the caller's transaction: they exist only if that transaction
/// commits, cost no table row, no index entry, no DELETE and no VACUUM, and the relay reads them back in commit
/// order from the schema's replication slot (see ``MessageSlot``).
///
/// The `outbox` table is what earlier versions wrote; the relay still drains rows left in it by an upgrade.
public enum OutboxStore {
    /// Emits messages in order, as one logical decoding message. Must run inside the transaction that records
    /// the facts.
    public static func append(_ messages: [OutboxMessage], on connection: PostgresConnection) throws {
        guard !messages.isEmpty else { return }
        try connection.execute(
            "SELECT pg_logical_emit_message(true, 'attendance:' || current_schema(), $1::bytea)",
            [OutboxEnvelope.encode(messages)]
        )
    }

    /// Rows an earlier version left in the `outbox` table, oldest first (drained by the relay after an upgrade).
    /// The oldest unpublished messages, in publication order.
    public static func next(limit: Int, on connection: PostgresConnection) throws -> [OutboxMessage] {
        let rows = try connection.execute(
            "SELECT id, topic, message_key, payload, headers::text FROM outbox ORDER BY id LIMIT $1",
            [limit]
        )
        return (0..<rows.count).map { row in
            OutboxMessage(
                id: rows.int64(row, 0),
                topic: rows.string(row, 1) ?? "",
                key: rows.bytes(row, 2),
                payload: rows.bytes(row, 3),
                headers: OutboxMessage.decodeHeaders(rows.string(row, 4) ?? "[]")
            )
        }
    }

    /// Removes published messages (after the broker acknowledged them).
    public static func remove(ids: [Int64], on connection: PostgresConnection) throws {
        guard !ids.isEmpty else { return }
        try connection.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [ids.map { $0 as Int64? }])
    }

    /// Backlog size and the age of the oldest message, for status and metrics.
    public static func backlog(on connection: PostgresConnection) throws -> (count: Int64, oldestAgeSeconds: Double?) {
        let rows = try connection.execute(
            "SELECT count(*), extract(epoch FROM now() - min(created_at))::float8 FROM outbox"
        )
        return (rows.int64(0, 0) ?? 0, rows.string(0, 1).flatMap(Double.init))
    }
}
