/// Where Postgres is: a libpq connection string (URI or `key=value` form), parsed and checked once at start-up and
/// then handed to every part that connects.
///
/// Its `description` lists the parsed settings with the password replaced by `***`, so a configuration can be
/// logged or shown in an error without leaking the credential.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    let connectionString: PostgresConnectionString

    /// Parses `conninfo` with libpq's own parser.
    ///
    /// - Throws: ``PostgresError`` with code `invalidConfiguration` when libpq refuses the string; the message
    ///   never quotes the string itself.
    public init(_ conninfo: String, file: String = #fileID, line: Int = #line) throws(PostgresError) {
        self.connectionString = try PostgresConnectionString(conninfo, file: file, line: line)
    }

    /// The connection string as given, for handing to a child process (its `DATABASE_URL`). It carries the
    /// password: never log it.
    public var conninfo: String { self.connectionString.conninfo }

    /// The settings the string carries, in libpq's order, the password shown as `***`.
    public var description: String {
        "PostgresConfiguration(\(self.connectionString.redactedSettings))"
    }
}
