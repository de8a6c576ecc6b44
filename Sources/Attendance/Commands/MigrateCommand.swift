import ArgumentParser
import CommandSupport
import Projections

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the SQL migrations in order (recorded with checksums; safe to run twice or concurrently)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var migrations: MigrationsFolderOptions

    func run() async throws {
        let postgres = try database.requireDatabase()
        let schema = try database.resolvedSchema()
        let directory = migrations.migrationsURL()
        let report = try await Blocking.run("migrate") {
            try Setup.migrate(postgres: postgres, schema: schema, directory: directory)
        }
        for migration in report.applied {
            say("applied \(String(format: "%04d", migration.version))_\(migration.name)")
        }
        say("schema \(schema): \(report.applied.count) applied, \(report.alreadyApplied) already applied")
    }
}
