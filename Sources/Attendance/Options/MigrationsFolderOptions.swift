import ArgumentParser
import Foundation

/// The folder of ordered SQL migrations, for the commands that migrate a schema.
struct MigrationsFolderOptions: ParsableArguments {
    @Option(
        name: .customLong("migrations-dir"),
        help: "Folder of ordered SQL migrations (env ATTENDANCE_MIGRATIONS_DIR, default ./migrations)."
    )
    var migrationsDirectory: String?

    func migrationsURL() -> URL {
        URL(fileURLWithPath: Environment.value(migrationsDirectory, "ATTENDANCE_MIGRATIONS_DIR") ?? "migrations")
    }
}
