/// SQL for the outbox table. Writes happen inside the caller's transaction (the point of an outbox);
/// the relay reads in id order and deletes what the broker acknowledged.
public enum OutboxStore {
    /// Appends messages in one statement. Must run inside the transaction that records the facts.
    public static func append(_ messages: [OutboxMessage], on connection: PostgresConnection) throws {
        guard !messages.isEmpty else { return }
        try connection.execute(
            """
            INSERT INTO outbox (topic, message_key, payload, headers)
            SELECT t, k, p, h::jsonb
            FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::text[]) WITH ORDINALITY AS x(t, k, p, h, n)
            ORDER BY n
            """,
            [
                messages.map { $0.topic as String? },
                messages.map(\.key),
                messages.map(\.payload),
                messages.map { $0.headersJSON as String? },
            ]
        )
    }

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
