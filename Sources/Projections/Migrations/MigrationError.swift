/// A migration set that cannot be loaded or applied. `description` names the migration file.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: Hashable, Sendable {
            case invalidFileName, duplicateVersion, unreadableFile, invalidSchemaName
            case editedAfterApplied, missingFile, migrationFailed, databaseFailed
        }

        let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A `.sql` file whose name is not `NNNN_name.sql`.
        public static let invalidFileName = Self(.invalidFileName)
        /// Two files with the same version number.
        public static let duplicateVersion = Self(.duplicateVersion)
        /// A file or directory that cannot be read, or is not UTF-8.
        public static let unreadableFile = Self(.unreadableFile)
        /// The target schema is not a valid schema name.
        public static let invalidSchemaName = Self(.invalidSchemaName)
        /// An applied migration's file changed since it was applied.
        public static let editedAfterApplied = Self(.editedAfterApplied)
        /// The database records a migration for which there is no file.
        public static let missingFile = Self(.missingFile)
        /// A migration's SQL failed; nothing from this run was applied.
        public static let migrationFailed = Self(.migrationFailed)
        /// Reading or writing the migration bookkeeping failed.
        public static let databaseFailed = Self(.databaseFailed)

        public var description: String {
            switch self.base {
            case .invalidFileName: "invalidFileName"
            case .duplicateVersion: "duplicateVersion"
            case .unreadableFile: "unreadableFile"
            case .invalidSchemaName: "invalidSchemaName"
            case .editedAfterApplied: "editedAfterApplied"
            case .missingFile: "missingFile"
            case .migrationFailed: "migrationFailed"
            case .databaseFailed: "databaseFailed"
            }
        }
    }

    public let code: Code
    /// The migration file concerned (`0002_add_rewards.sql`), when there is one.
    public let file: String?
    /// The migration version concerned, when known.
    public let version: Int?
    public let message: String
    /// The database error behind `migrationFailed` / `databaseFailed`.
    public let underlying: PostgresError?

    init(_ code: Code, file: String? = nil, version: Int? = nil, _ message: String, underlying: PostgresError? = nil) {
        self.code = code
        self.file = file
        self.version = version
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        var subject = ""
        if let file { subject = " \(file)" } else if let version { subject = " version \(version)" }
        let cause = self.underlying.map { " — \($0)" } ?? ""
        return "MigrationError(\(self.code))\(subject): \(self.message)\(cause)"
    }
}
