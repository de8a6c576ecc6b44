import ArgumentParser
import Foundation

/// The folder of ordered SQL migrations, for the commands that migrate a schema.
package struct MigrationsFolderOptions: ParsableArguments {
    package init() {}

    @Option(
        name: .customLong("migrations-dir"),
        help: "Folder of ordered SQL migrations (env ATTENDANCE_MIGRATIONS_DIR, default ./migrations)."
    )
    package var migrationsDirectory: String?

    package func migrationsURL() -> URL {
        URL(fileURLWithPath: Environment.value(migrationsDirectory, "ATTENDANCE_MIGRATIONS_DIR") ?? "migrations")
    }
}
