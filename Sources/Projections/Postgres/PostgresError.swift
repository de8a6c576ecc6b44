/// An error from the Postgres wrapper: a failed connect, a lost connection or a statement the server refused.
///
/// `description` is safe to log: it never contains SQL parameters, row values or credentials. The server's
/// `detail` is kept for debugging but left out of `description`, because for constraint violations it echoes
/// key values (`Key (request_id)=(…) already exists.`).
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; the server's own classification is in ``PostgresError/sqlState``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case connectionFailed
            case connectionLost
            case connectionClosed
            case queryFailed
            case protocolViolation
            case invalidConfiguration
        }

        let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// Could not establish a connection (unreachable host, refused, bad credentials, timeout).
        public static let connectionFailed = Self(.connectionFailed)
        /// An established connection broke (server restart, `pg_terminate_backend`, network). Call `reset()`.
        public static let connectionLost = Self(.connectionLost)
        /// The connection was used after `close()`.
        public static let connectionClosed = Self(.connectionClosed)
        /// The server (or the wrapper, before sending) refused a statement; see `sqlState`.
        public static let queryFailed = Self(.queryFailed)
        /// The server answered in a way this wrapper does not handle (e.g. a statement that starts a COPY, sent where
        /// rows were expected), or answered with less than was asked for.
        public static let protocolViolation = Self(.protocolViolation)
        /// A connection string, schema name or other setting is malformed.
        public static let invalidConfiguration = Self(.invalidConfiguration)

        public var description: String {
            switch self.base {
            case .connectionFailed: "connectionFailed"
            case .connectionLost: "connectionLost"
            case .connectionClosed: "connectionClosed"
            case .queryFailed: "queryFailed"
            case .protocolViolation: "protocolViolation"
            case .invalidConfiguration: "invalidConfiguration"
            }
        }
    }

    public let code: Code
    /// The five-character SQLSTATE reported by the server (e.g. `23505`), if the server sent one.
    public let sqlState: String?
    /// The server's primary message, or the wrapper's own. For data exceptions (class 22), where the server
    /// quotes the offending input, the quoted text is replaced by `"…"`.
    public let message: String
    /// The server's detail line. May echo row values: never part of `description`.
    public let detail: String?
    /// The violated constraint (`PG_DIAG_CONSTRAINT_NAME`), for integrity violations.
    public let constraint: String?
    /// Whether running the same work again (after `reset()` for connection errors) may succeed.
    public let isRetriable: Bool
    /// Where the failing call was made.
    public let file: String
    public let line: Int

    public init(
        code: Code,
        sqlState: String? = nil,
        message: String,
        detail: String? = nil,
        constraint: String? = nil,
        isRetriable: Bool? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.isRetriable = isRetriable ?? Self.isRetriable(code: code, sqlState: sqlState)
        self.file = file
        self.line = line
    }

    public var description: String {
        var fields = [self.code.description]
        if let sqlState { fields.append("sqlState: \(sqlState)") }
        if let constraint { fields.append("constraint: \(constraint)") }
        if self.isRetriable { fields.append("retriable") }
        return "PostgresError(\(fields.joined(separator: ", "))): \(self.message) [\(self.file):\(self.line)]"
    }
}
