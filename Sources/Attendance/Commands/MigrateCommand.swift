import ArgumentParser
import Projections

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the SQL migrations in order (recorded with checksums; safe to run twice or concurrently)."
    )

    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let url = try options.requireDatabaseURL()
        let schema = try options.resolvedSchema()
        let directory = options.migrationsURL()
        let report = try await Blocking.run("migrate") {
            try Setup.migrate(databaseURL: url, schema: schema, directory: directory)
        }
        for migration in report.applied {
            say("applied \(String(format: "%04d", migration.version))_\(migration.name)")
        }
        say("schema \(schema): \(report.applied.count) applied, \(report.alreadyApplied) already applied")
    }
}
