internal import CLibPQ
import Logging

/// One connection to Postgres, owning one libpq `PGconn`.
///
/// Every method blocks the calling thread until the server answers. Run them on a dedicated thread — e.g.
/// `try await withTaskExecutorPreference(executor) { try connection.execute(…) }` with a ``ThreadExecutor``
/// — never directly on Swift's cooperative pool.
///
/// Not thread-safe: use a connection from one thread at a time.
///
/// `@unchecked Sendable`: a connection may be handed from thread to thread (created on one, used on a
/// `ThreadExecutor`), which libpq allows, but its mutable state is unsynchronised; callers must never use it
/// concurrently. The owner-per-executor pattern above guarantees that.
public final class PostgresConnection: @unchecked Sendable {
    /// `nil` after `close()`. Freed with `PQfinish` in `close()` or `deinit`, whichever comes first.
    private(set) var handle: OpaquePointer?
    private let connectionString: PostgresConnectionString
    private let searchPath: [String]
    let logger: Logger
    /// Set when libpq reports the connection bad; cleared by a successful `reset()`.
    var isKnownBroken = false
    /// Statements prepared through `prepare`, by name, kept across `reset()` so they can be re-prepared.
    private var preparedStatements: [String: String] = [:]
    /// The subset of `preparedStatements` that exists in the current server session.
    private var preparedInSession: Set<String> = []
    /// True while a `transaction` body runs.
    var isInTransactionBody = false

    private init(
        handle: OpaquePointer,
        connectionString: PostgresConnectionString,
        searchPath: [String],
        logger: Logger
    ) {
        self.handle = handle
        self.connectionString = connectionString
        self.searchPath = searchPath
        self.logger = logger
        // The receiver sees `self` unretained: `self` owns the PGconn, so it outlives every callback.
        PQsetNoticeReceiver(handle, receiveNotice, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection.
    ///
    /// - Parameters:
    ///   - configuration: where Postgres is. A `connect_timeout` in its connection string is honoured; without
    ///     one the timeout is 10 seconds.
    ///   - applicationName: reported in `pg_stat_activity`.
    ///   - searchPath: comma-separated schema names set as `search_path` after connecting (and after every
    ///     `reset()`); each must match `^[a-z_][a-z0-9_]{0,62}$`.
    ///   - logger: receives server notices and connection events. Never parameters or credentials.
    public static func connect(
        _ configuration: PostgresConfiguration,
        applicationName: String = "attendance",
        searchPath: String? = nil,
        logger: Logger = Logger(label: "attendance.postgres"),
        file: String = #fileID,
        line: Int = #line
    ) throws(PostgresError) -> PostgresConnection {
        let connectionString = configuration.connectionString
        let schemas =
            try searchPath.map { path throws(PostgresError) in
                try Self.parseSearchPath(path, file: file, line: line)
            } ?? []
        let handle = try Self.openHandle(connectionString, applicationName: applicationName, file: file, line: line)
        let connection = PostgresConnection(
            handle: handle,
            connectionString: connectionString,
            searchPath: schemas,
            logger: logger
        )
        try connection.applySearchPath(file: file, line: line)
        return connection
    }

    /// Opens a libpq connection; `extra` keywords (e.g. `replication`) are applied after the connection string.
    static func openHandle(
        _ connectionString: PostgresConnectionString,
        applicationName: String,
        extra: [(String, String)] = [],
        file: String = #fileID,
        line: Int = #line
    ) throws(PostgresError) -> OpaquePointer {
        // Keywords are applied in order and later ones win: the default timeout comes before the expanded
        // connection string so the string can override it; application name and encoding come after it.
        let keywords = ["connect_timeout", "dbname"] + extra.map(\.0) + ["application_name", "client_encoding"]
        let values = ["10", connectionString.conninfo] + extra.map(\.1) + [applicationName, "UTF8"]
        let handle = withCStringArray(keywords) { keywords in
            withCStringArray(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let handle else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = connectionString.redacting(String(cString: PQerrorMessage(handle)))
            // PQconnectdbParams returns a PGconn even when connecting failed; it is still ours to free.
            PQfinish(handle)
            throw PostgresError(code: .connectionFailed, message: message, file: file, line: line)
        }
        return handle
    }

    /// Whether the connection is open and not known to be broken. A connection the server dropped while idle
    /// only shows up as broken on its next use.
    public var isConnected: Bool {
        guard let handle, !self.isKnownBroken else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// The server process serving this connection (for `pg_terminate_backend`, `pg_stat_activity`).
    public var backendProcessID: Int32? {
        self.handle.map { PQbackendPID($0) }
    }

    /// Reconnects with the original settings, re-applies `search_path`, and forgets which statements were
    /// prepared in the old session (`executePrepared` re-prepares them on first use).
    public func reset(file: String = #fileID, line: Int = #line) throws(PostgresError) {
        guard let handle else { throw self.closedError(file: file, line: line) }
        self.preparedInSession.removeAll()
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            self.isKnownBroken = true
            let message = self.connectionString.redacting(String(cString: PQerrorMessage(handle)))
            throw PostgresError(code: .connectionFailed, message: message, file: file, line: line)
        }
        self.isKnownBroken = false
        self.logger.info("Postgres connection reset")
        try self.applySearchPath(file: file, line: line)
    }

    /// Closes the connection. Later calls throw `connectionClosed`. Safe to call twice.
    public func close() {
        if let handle { PQfinish(handle) }
        self.handle = nil
    }

    /// Runs one statement (`PQexecParams`). Parameters are `$1`, `$2`, …; `nil` is NULL.
    @discardableResult
    public func execute(
        _ sql: String,
        _ parameters: [(any PostgresBindable)?] = [],
        file: String = #fileID,
        line: Int = #line
    ) throws(PostgresError) -> PostgresRows {
        let handle = try self.usableHandle(file: file, line: line)
        try Self.rejectNUL(in: sql, file: file, line: line)
        let bound = try PostgresParameters(parameters, file: file, line: line)
        let result = bound.withUnsafeArrays { types, values, lengths, formats in
            PQexecParams(handle, sql, bound.count, types, values, lengths, formats, 0)
        }
        return try self.rows(from: result, file: file, line: line)
    }

    /// Prepares a named statement (`PQprepare`). Preparing the same name with the same SQL again is a no-op.
    /// The name and SQL are remembered, so the statement is prepared again in a new session after `reset()`.
    /// Parameter types are inferred by the server from the SQL; add casts (`$1::bigint`) where they are ambiguous.
    public func prepare(_ name: String, _ sql: String, file: String = #fileID, line: Int = #line) throws(PostgresError)
    {
        let handle = try self.usableHandle(file: file, line: line)
        if self.preparedInSession.contains(name), self.preparedStatements[name] == sql { return }
        try Self.rejectNUL(in: sql, file: file, line: line)
        let result = PQprepare(handle, name, sql, 0, nil)
        _ = try self.rows(from: result, file: file, line: line)
        self.preparedStatements[name] = sql
        self.preparedInSession.insert(name)
    }

    /// Runs a statement prepared with `prepare` (`PQexecPrepared`).
    @discardableResult
    public func executePrepared(
        _ name: String,
        _ parameters: [(any PostgresBindable)?] = [],
        file: String = #fileID,
        line: Int = #line
    ) throws(PostgresError) -> PostgresRows {
        if let sql = self.preparedStatements[name], !self.preparedInSession.contains(name) {
            try self.prepare(name, sql, file: file, line: line)
        }
        let handle = try self.usableHandle(file: file, line: line)
        let bound = try PostgresParameters(parameters, file: file, line: line)
        let result = bound.withUnsafeArrays { _, values, lengths, formats in
            PQexecPrepared(handle, name, bound.count, values, lengths, formats, 0)
        }
        return try self.rows(from: result, file: file, line: line)
    }

    /// Runs a script of one or more statements without parameters (`PQexec`); for migrations. Stops at the
    /// first failing statement. Outside a transaction, each statement commits on its own.
    public func executeScript(_ sql: String, file: String = #fileID, line: Int = #line) throws(PostgresError) {
        let handle = try self.usableHandle(file: file, line: line)
        try Self.rejectNUL(in: sql, file: file, line: line)
        _ = try self.rows(from: PQexec(handle, sql), file: file, line: line)
    }

    /// The libpq transaction state, `PQTRANS_UNKNOWN` when closed or broken.
    var transactionStatus: PGTransactionStatusType {
        guard let handle, !self.isKnownBroken else { return PQTRANS_UNKNOWN }
        return PQtransactionStatus(handle)
    }

    /// Inside a transaction block that has not failed.
    var isInOpenTransaction: Bool { self.transactionStatus == PQTRANS_INTRANS }

    // MARK: - Internals

    private func usableHandle(file: String, line: Int) throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw self.closedError(file: file, line: line) }
        guard !self.isKnownBroken else {
            throw PostgresError(
                code: .connectionLost,
                message: "connection is broken; call reset() before using it again",
                file: file,
                line: line
            )
        }
        return handle
    }

    /// SQL travels as a C string: a NUL would silently cut it short.
    private static func rejectNUL(in sql: String, file: String, line: Int) throws(PostgresError) {
        guard sql.utf8.contains(0) else { return }
        throw PostgresError(code: .queryFailed, message: "SQL text contains a NUL byte", file: file, line: line)
    }

    func closedError(file: String, line: Int) -> PostgresError {
        PostgresError(code: .connectionClosed, message: "connection was closed", file: file, line: line)
    }

    private func applySearchPath(file: String, line: Int) throws(PostgresError) {
        guard !self.searchPath.isEmpty, let handle = self.handle else { return }
        var quoted = [String]()
        for schema in self.searchPath {
            guard let escaped = PQescapeIdentifier(handle, schema, schema.utf8.count) else {
                throw PostgresError(
                    code: .invalidConfiguration,
                    message: "searchPath: cannot quote \"\(schema)\": \(self.libpqMessage(handle))",
                    file: file,
                    line: line
                )
            }
            quoted.append(String(cString: escaped))
            PQfreemem(escaped)
        }
        try self.execute("SET search_path TO \(quoted.joined(separator: ", "))", file: file, line: line)
    }

    func libpqMessage(_ handle: OpaquePointer) -> String {
        PostgresConnectionString.firstLine(String(cString: PQerrorMessage(handle)))
    }
}

/// Calls `body` with a NULL-terminated C array of C strings that stays valid for the duration of the call.
private func withCStringArray<Result>(
    _ strings: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result
) -> Result {
    func nest(_ remaining: ArraySlice<String>, _ pointers: [UnsafePointer<CChar>?]) -> Result {
        guard let first = remaining.first else {
            return (pointers + [nil]).withUnsafeBufferPointer { body($0.baseAddress!) }
        }
        return first.withCString { nest(remaining.dropFirst(), pointers + [$0]) }
    }
    return nest(strings[...], [])
}
