/// Brings one schema up to date with a list of migrations.
public struct MigrationRunner: Sendable {
    /// Prefix of the advisory-lock key; the key is `hashtextextended(prefix || schema, 0)`, computed by the
    /// server so every process derives the same 64-bit key.
    static let lockKeyPrefix = "attendance.migrate:"

    public let schema: String

    /// - Throws: `invalidSchemaName` unless `schema` matches `^[a-z_][a-z0-9_]{0,62}$`.
    public init(schema: String) throws(MigrationError) {
        guard PostgresConnection.isValidSchemaName(schema) else {
            throw MigrationError(
                .invalidSchemaName,
                "schema \"\(schema)\" is not a valid schema name (expected ^[a-z_][a-z0-9_]{0,62}$)"
            )
        }
        self.schema = schema
    }

    /// Applies the migrations not yet applied to the schema, all in one transaction:
    ///
    /// 1. takes a transaction-scoped advisory lock for the schema, so concurrent runners (other processes)
    ///    wait, and then find the work done;
    /// 2. creates the schema and its `schema_migrations` table if missing, and sets `search_path` to the
    ///    schema for the rest of the transaction (migration SQL uses unqualified names);
    /// 3. refuses if an applied migration's file was edited (SHA-256 of the text differs) or is gone;
    /// 4. runs each missing migration in version order and records it.
    ///
    /// Any failure rolls everything back. Blocking: run it on a ``ThreadExecutor``.
    ///
    /// - Throws: ``MigrationError``; database failures outside any one migration (lost connection, failed
    ///   COMMIT) are `databaseFailed` with the ``PostgresError`` as `underlying`.
    @discardableResult
    public func migrate(
        _ connection: PostgresConnection,
        migrations: [Migration]
    ) throws(MigrationError) -> MigrationReport {
        let migrations = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw MigrationError(
                .duplicateVersion,
                file: next.fileName,
                version: next.version,
                "version \(next.version) is also used by \(previous.fileName)"
            )
        }
        do {
            return try self.migrateInTransaction(connection, migrations: migrations)
        } catch let error as MigrationError {
            throw error
        } catch let error as PostgresError {
            throw MigrationError(.databaseFailed, "migration transaction failed", underlying: error)
        } catch {
            throw MigrationError(.databaseFailed, "migration transaction failed: \(error)")
        }
    }

    private func migrateInTransaction(_ connection: PostgresConnection, migrations: [Migration]) throws
        -> MigrationReport
    {
        let schema = PostgresConnection.quoteIdentifier(self.schema)
        return try connection.transaction { connection throws(MigrationError) in
            try Self.database("lock and prepare schema \(self.schema)") { () throws(PostgresError) in
                try connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                    [Self.lockKeyPrefix + self.schema]
                )
                try connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema)")
                try connection.execute("SET LOCAL search_path TO \(schema)")
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS \(schema).schema_migrations (
                        version integer PRIMARY KEY,
                        name text NOT NULL,
                        checksum text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """
                )
            }
            let applied = try Self.database("read schema_migrations") { () throws(PostgresError) in
                try connection.execute(
                    "SELECT version, name, checksum FROM \(schema).schema_migrations ORDER BY version"
                )
            }
            let checksums = try Self.checksums(of: migrations, on: connection)
            let files = Dictionary(uniqueKeysWithValues: zip(migrations.map(\.version), zip(migrations, checksums)))
            var appliedVersions = Set<Int>()
            for row in 0..<applied.count {
                let version = applied.int(row, 0) ?? 0
                appliedVersions.insert(version)
                guard let (migration, checksum) = files[version] else {
                    throw MigrationError(
                        .missingFile,
                        version: version,
                        "schema \(self.schema) has migration \(version) (\(applied.string(row, 1) ?? "?")) applied, "
                            + "but there is no file for it"
                    )
                }
                guard checksum == applied.string(row, 2) else {
                    throw MigrationError(
                        .editedAfterApplied,
                        file: migration.fileName,
                        version: version,
                        "was edited after it was applied to schema \(self.schema); add a new migration instead"
                    )
                }
            }
            var newlyApplied = [Migration]()
            for (migration, checksum) in zip(migrations, checksums) where !appliedVersions.contains(migration.version) {
                try Self.apply(migration, checksum: checksum, schema: schema, on: connection)
                newlyApplied.append(migration)
            }
            return MigrationReport(applied: newlyApplied, alreadyApplied: appliedVersions.count)
        }
    }

    private static func apply(
        _ migration: Migration,
        checksum: String,
        schema: String,
        on connection: PostgresConnection
    ) throws(MigrationError) {
        do {
            try connection.executeScript(migration.sql)
        } catch {
            throw MigrationError(
                .migrationFailed,
                file: migration.fileName,
                version: migration.version,
                "failed; nothing from this run was applied",
                underlying: error
            )
        }
        // A COMMIT or ROLLBACK inside the file would have ended the migration transaction and the lock.
        guard connection.isInOpenTransaction else {
            throw MigrationError(
                .migrationFailed,
                file: migration.fileName,
                version: migration.version,
                "ended the migration transaction (COMMIT/ROLLBACK in a migration file is not allowed)"
            )
        }
        try Self.database("record \(migration.fileName)") { () throws(PostgresError) in
            try connection.execute(
                "INSERT INTO \(schema).schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                [migration.version, migration.name, checksum]
            )
        }
    }

    /// SHA-256 (hex) of each migration's text, computed by the server in one round trip.
    private static func checksums(of migrations: [Migration], on connection: PostgresConnection) throws(MigrationError)
        -> [String]
    {
        let rows = try Self.database("compute checksums") { () throws(PostgresError) in
            try connection.execute(
                """
                SELECT encode(sha256(convert_to(sql, 'UTF8')), 'hex')
                FROM unnest($1::text[]) WITH ORDINALITY AS file(sql, position)
                ORDER BY position
                """,
                [migrations.map(\.sql)]
            )
        }
        return (0..<rows.count).map { rows.string($0, 0) ?? "" }
    }

    @discardableResult
    private static func database<T>(
        _ step: String,
        _ body: () throws(PostgresError) -> T
    ) throws(MigrationError) -> T {
        do {
            return try body()
        } catch {
            throw MigrationError(.databaseFailed, "could not \(step)", underlying: error)
        }
    }
}
