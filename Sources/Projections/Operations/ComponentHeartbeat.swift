import Foundation

/// One running component instance (a consumer, relay or settler of some process) as it last reported itself, so that
/// `attendance status` in another process can show who runs and the last error of each.
///
/// Stored in `component_heartbeat` in the service's schema. The table is not part of the migrations: the first
/// writer creates it (`ensureTable`), which needs CREATE on the schema; with a role without it, create the table once
/// with ``createTableSQL`` as the schema owner.
public struct ComponentHeartbeat: Sendable, Hashable, Codable {
    /// `consumer`, `relay` or `settler`.
    public var component: String
    /// `host:pid` (with `/n` for the n-th consumer of a process).
    public var instance: String
    public var startedAt: Date
    public var heartbeatAt: Date
    public var lastError: String?
    public var lastErrorAt: Date?

    public init(component: String, instance: String, startedAt: Date, heartbeatAt: Date = Date(), lastError: String?) {
        self.component = component
        self.instance = instance
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case component, instance
        case startedAt = "started_at"
        case heartbeatAt = "heartbeat_at"
        case lastError = "last_error"
        case lastErrorAt = "last_error_at"
    }

    public static let createTableSQL = """
        CREATE TABLE IF NOT EXISTS component_heartbeat (
            component      TEXT        NOT NULL,
            instance       TEXT        NOT NULL,
            started_at     TIMESTAMPTZ NOT NULL,
            heartbeat_at   TIMESTAMPTZ NOT NULL,
            last_error     TEXT,
            last_error_at  TIMESTAMPTZ,
            PRIMARY KEY (component, instance)
        )
        """

    /// Creates the table unless it exists (looking first, so a role without CREATE works once it does).
    public static func ensureTable(on connection: PostgresConnection) throws {
        let exists = try connection.execute("SELECT to_regclass('component_heartbeat') IS NOT NULL").bool(0, 0) ?? false
        if !exists { try connection.executeScript(createTableSQL) }
    }

    /// Upserts these instances' rows; `last_error_at` moves only when the error text changes. Rows silent for a week
    /// are removed (every restart is a new instance).
    public static func write(_ beats: [ComponentHeartbeat], on connection: PostgresConnection) throws {
        guard !beats.isEmpty else { return }
        try connection.execute(
            """
            INSERT INTO component_heartbeat AS h (component, instance, started_at, heartbeat_at, last_error, last_error_at)
            SELECT c, i, to_timestamp(s / 1000.0), now(), e, CASE WHEN e IS NULL THEN NULL ELSE now() END
            FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS x(c, i, s, e)
            ON CONFLICT (component, instance) DO UPDATE SET
                heartbeat_at = now(),
                last_error_at = CASE WHEN excluded.last_error IS DISTINCT FROM h.last_error
                                     AND excluded.last_error IS NOT NULL THEN now() ELSE h.last_error_at END,
                last_error = COALESCE(excluded.last_error, h.last_error)
            """,
            [
                beats.map { $0.component as String? },
                beats.map { $0.instance as String? },
                beats.map { Int64($0.startedAt.timeIntervalSince1970 * 1_000) as Int64? },
                beats.map { $0.lastError.map { String($0.prefix(500)) } },
            ]
        )
        try connection.execute("DELETE FROM component_heartbeat WHERE heartbeat_at < now() - interval '7 days'")
    }

    /// Every row, most recent heartbeat first; empty when the table does not exist yet.
    public static func loadAll(on connection: PostgresConnection) throws -> [ComponentHeartbeat] {
        let exists = try connection.execute("SELECT to_regclass('component_heartbeat') IS NOT NULL").bool(0, 0) ?? false
        guard exists else { return [] }
        let rows = try connection.execute(
            """
            SELECT component, instance, extract(epoch FROM started_at)::float8, extract(epoch FROM heartbeat_at)::float8,
                   last_error, extract(epoch FROM last_error_at)::float8
            FROM component_heartbeat ORDER BY heartbeat_at DESC, component, instance
            """
        )
        return (0..<rows.count).map { row in
            var beat = ComponentHeartbeat(
                component: rows.string(row, 0) ?? "",
                instance: rows.string(row, 1) ?? "",
                startedAt: Date(timeIntervalSince1970: rows.double(row, 2) ?? 0),
                heartbeatAt: Date(timeIntervalSince1970: rows.double(row, 3) ?? 0),
                lastError: rows.string(row, 4)
            )
            beat.lastErrorAt = rows.double(row, 5).map(Date.init(timeIntervalSince1970:))
            return beat
        }
    }
}
