import ArgumentParser
import CommandSupport
import Projections

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Manage events and their attendance policies.",
        subcommands: [Apply.self]
    )

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract:
                "Validate and apply event policy files. Unchanged files change nothing; a changed file becomes a new policy version.",
            discussion:
                "Every file is validated before anything is applied: one invalid file refuses the whole run (exit 2)."
        )

        @OptionGroup var database: DatabaseOptions

        @Argument(help: "Event policy JSON files (format in PRODUCT §2).")
        var files: [String]

        func run() async throws {
            let postgres = try database.requireDatabase()
            let schema = try database.resolvedSchema()
            let policies = try Setup.loadPolicies(files)
            let outcomes = try await Blocking.run("events-apply") {
                try Setup.apply(policies, postgres: postgres, schema: schema)
            }
            for (policy, outcome) in outcomes {
                say("event \(policy.id) \"\(policy.name)\": \(outcome)")
            }
        }
    }
}
