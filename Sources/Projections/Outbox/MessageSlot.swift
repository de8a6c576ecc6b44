import Foundation

/// The logical replication slot through which a schema's outbox messages are published.
///
/// The batch transaction emits each message into the write-ahead log (``OutboxStore/append(_:on:)``); the slot
/// keeps that WAL until the relay has published the messages and acknowledged their commit LSN. One slot per
/// schema, named from it, decoded with the built-in `pgoutput` plugin through a publication without tables
/// (pgoutput needs one; logical messages are not filtered by publications). Only one relay can stream a slot
/// at a time, which makes the slot the relay's leader lock.
///
/// A slot that nobody reads keeps WAL forever: `docs/operations.md` says how to watch and what to do.
public struct MessageSlot: Sendable, Hashable {
    /// The publication pgoutput is started with (database-wide, shared by every schema).
    public static let publication = "attendance_messages"

    public let schema: String
    /// `attendance_<schema>`, shortened with a hash of the schema when it would pass the 63-byte name limit.
    public let name: String

    public init(schema: String) {
        self.schema = schema
        let full = "attendance_" + schema
        if full.utf8.count <= 63 {
            self.name = full
        } else {
            // FNV-1a: stable across processes and versions, unlike Swift's seeded `hashValue`.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in schema.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let suffix = String(hash, radix: 16)
            self.name = String(full.prefix(62 - suffix.count)) + "_" + suffix
        }
    }

    /// The prefix of this schema's messages (every slot of the database decodes every schema's messages).
    public var messagePrefix: String { "attendance:" + schema }

    public struct Status: Sendable, Hashable {
        /// Whether a relay is streaming the slot now.
        public var isActive: Bool
        /// Everything before this position has been published and acknowledged.
        public var confirmedFlush: LogSequenceNumber?
        /// WAL written since `confirmedFlush` (bytes the slot holds back from recycling).
        public var retainedBytes: Int64
        /// Seconds since the relay last acknowledged, while it streams (from `pg_stat_replication`).
        public var replyAgeSeconds: Double?
    }

    /// Creates the publication and the slot when missing. The slot must exist before the first message is
    /// emitted (a slot sees only WAL written after it), so `migrate`, the consumers and the relay all call this
    /// before they start. Needs `wal_level = logical` and a role with the REPLICATION attribute.
    /// Returns true when it created the slot.
    @discardableResult
    public func ensure(on connection: PostgresConnection) throws -> Bool {
        if try self.exists(on: connection) { return false }
        let level = try connection.execute("SHOW wal_level").string(0, 0) ?? "?"
        guard level == "logical" else {
            throw PostgresError(
                code: .queryFailed,
                message: """
                    the outbox is published from the write-ahead log, which needs wal_level = logical (this server \
                    has \(level)); set it and restart Postgres (scripts/setup.sh does this locally; \
                    docs/operations.md says what managed services need)
                    """
            )
        }
        do {
            try connection.execute(
                """
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT FROM pg_publication WHERE pubname = '\(Self.publication)') THEN
                        CREATE PUBLICATION \(Self.publication);
                    END IF;
                END $$
                """
            )
        } catch {
            // 42710: created by someone else in the meantime.
            guard error.sqlState == "42710" else { throw error }
        }
        let refusal: PostgresError
        do {
            try connection.execute("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [self.name])
            return true
        } catch {
            if error.sqlState == "42710" { return false }  // created concurrently
            guard error.sqlState == "42501" else { throw error }
            refusal = error
        }
        throw PostgresError(
            code: .queryFailed,
            sqlState: refusal.sqlState,
            message: """
                the outbox replication slot \(self.name) does not exist and this role may not create it; \
                run `attendance migrate` as the schema owner (a role with REPLICATION)
                """
        )
    }

    public func exists(on connection: PostgresConnection) throws -> Bool {
        try connection.execute(
            "SELECT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = $1 AND database = current_database())",
            [self.name]
        ).bool(0, 0) ?? false
    }

    /// nil when the slot does not exist.
    public func status(on connection: PostgresConnection) throws -> Status? {
        let rows = try connection.execute(
            """
            SELECT s.active, s.confirmed_flush_lsn::text,
                   COALESCE(pg_current_wal_lsn() - s.confirmed_flush_lsn, 0)::bigint,
                   extract(epoch FROM now() - r.reply_time)::float8
            FROM pg_replication_slots s
            LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
            WHERE s.slot_name = $1
            """,
            [self.name]
        )
        guard rows.count == 1 else { return nil }
        return Status(
            isActive: rows.bool(0, 0) ?? false,
            confirmedFlush: rows.string(0, 1).flatMap(LogSequenceNumber.init),
            retainedBytes: rows.int64(0, 2) ?? 0,
            replyAgeSeconds: rows.double(0, 3)
        )
    }

    /// The server's current WAL position: once the slot's confirmed position reaches it, every message committed
    /// before this call has been published.
    public static func currentPosition(on connection: PostgresConnection) throws -> LogSequenceNumber {
        let text = try connection.execute("SELECT pg_current_wal_lsn()::text").string(0, 0) ?? ""
        guard let position = LogSequenceNumber(text) else {
            throw PostgresError(code: .queryFailed, message: "unexpected WAL position '\(text)'")
        }
        return position
    }

    /// Whether every message committed before `position` has been published and acknowledged.
    public func hasPublished(through position: LogSequenceNumber, on connection: PostgresConnection) throws -> Bool {
        guard let confirmed = try self.status(on: connection)?.confirmedFlush else { return false }
        return confirmed >= position
    }

    /// The messages waiting in the slot, oldest first, without consuming them. Only while no relay streams the
    /// slot (for tests and for an operator looking at a stopped pipeline).
    public func peek(on connection: PostgresConnection, limit: Int = 100_000) throws -> [OutboxMessage] {
        let rows = try connection.execute(
            """
            SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, $2,
                'proto_version', '1', 'publication_names', '\(Self.publication)', 'messages', 'true')
            """,
            [self.name, limit]
        )
        var messages: [OutboxMessage] = []
        for row in 0..<rows.count {
            guard let data = rows.bytes(row, 0),
                case .message(let message) = try PgOutputDecoder.decodePgOutput(data),
                message.prefix == self.messagePrefix
            else { continue }
            messages.append(contentsOf: try OutboxEnvelope.decode(message.content))
        }
        return messages
    }

    /// Drops the slot, first ending the session streaming it if `force`. Safe when it does not exist.
    public func drop(on connection: PostgresConnection, force: Bool = false) throws {
        if force {
            try connection.execute(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active",
                [self.name]
            )
        }
        var attempts = 0
        while true {
            do {
                try connection.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1",
                    [self.name]
                )
                return
            } catch {
                // 55006: the terminated walsender is still releasing the slot.
                guard error.sqlState == "55006", force, attempts < 50 else { throw error }
                attempts += 1
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }
}
